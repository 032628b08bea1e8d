/**
 * The studio's page script (plain ES2017 DOM code, no framework, no build step), run after the
 * model script (`CanonqlStudioModel`). Everything it knows comes from the public GraphQL API of
 * the page's own origin (JSON POST, `Authorization: Bearer <key>` when a key was given); the admin
 * key lives in sessionStorage only, so it leaves with the tab.
 *
 * Rendering: lists and tables are rebuilt from the state; text fields update the state as typed
 * (without a rebuild, so focus and caret stay), selects and buttons rebuild the mapping table and
 * put focus back on the control with the same id. Every change schedules one debounced update:
 * the JSON panel, then a dry run (previewMappingSpec) whose answer is dropped if a newer one was
 * asked for meanwhile.
 */
export const STUDIO_CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var M = window.CanonqlStudioModel;
  var config = JSON.parse(document.getElementById('canonql-studio-config').textContent);
  var endpoint = new URL(config.endpointPath, window.location.href).href;
  var KEY_STORAGE = 'canonql.studio.adminKey';
  var PREVIEW_DEBOUNCE_MS = 400;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === 'text') node.textContent = value;
      else if (name === 'className') node.className = value;
      else if (name.slice(0, 2) === 'on') node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function option(value, label, selected) { return el('option', { value: value, selected: !!selected, text: label }); }
  function short(value, max) {
    var text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  }

  // ---- the page's state ------------------------------------------------------------------------

  var S = {
    transforms: [],          // mappingTransforms
    topics: [],              // rawTopics
    raw: null,               // rawTopic(topic) of the selected topic
    subjects: [],            // schemaSubjects
    canonicalSchema: null,   // schemaVersion(subject).schema
    fields: [],              // canonical fields of the subject
    specs: [],               // mappingSpecs (all)
    versions: [],            // mappingSpecs(id) of the spec being edited
    model: M.newState({}),
    preview: null,
    previewSeq: 0,
    timer: null,
    problems: []             // validation problems of the spec as built now (from the last dry run)
  };

  // ---- GraphQL ---------------------------------------------------------------------------------

  function adminKey() { return window.sessionStorage.getItem(KEY_STORAGE) || ''; }

  function GraphqlProblem(errors) {
    this.errors = errors;
    this.message = errors.map(function (e) { return e.message; }).join('; ');
  }

  function gql(query, variables) {
    var headers = { 'content-type': 'application/json', accept: 'application/json' };
    var key = adminKey();
    if (key) headers.authorization = 'Bearer ' + key;
    return fetch(endpoint, { method: 'POST', headers: headers, body: JSON.stringify({ query: query, variables: variables || {} }), credentials: 'same-origin' })
      .then(function (response) {
        return response.json().catch(function () { return { errors: [{ message: 'HTTP ' + response.status + ' from ' + endpoint, extensions: { code: 'HTTP_' + response.status } }] }; });
      }, function (error) {
        return { errors: [{ message: 'cannot reach ' + endpoint + ': ' + error.message, extensions: { code: 'NETWORK' } }] };
      })
      .then(function (result) {
        if (result.errors && result.errors.length) throw new GraphqlProblem(result.errors);
        return result.data;
      });
  }

  /** Every problem of a failed call: the details of each error when it has them, else its message. */
  function problemsOf(error) {
    if (!(error instanceof GraphqlProblem)) return [{ code: 'CLIENT', text: String(error && error.message || error) }];
    var out = [];
    error.errors.forEach(function (e) {
      var code = (e.extensions && e.extensions.code) || 'ERROR';
      var details = e.extensions && e.extensions.details;
      if (Array.isArray(details) && details.length) {
        details.forEach(function (d) { out.push({ code: code, text: formatDetail(d) }); });
      } else if (details && typeof details === 'object' && (Array.isArray(details.problems) || Array.isArray(details.violations))) {
        (details.problems || []).concat(details.violations || []).forEach(function (d) { out.push({ code: code, text: formatDetail(d) }); });
      } else {
        out.push({ code: code, text: e.message });
      }
    });
    return out;
  }

  function formatDetail(detail) {
    if (typeof detail === 'string') return detail;
    if (detail && typeof detail === 'object' && typeof detail.message === 'string') {
      return (detail.path ? detail.path + ': ' : '') + detail.message + (detail.rule ? ' (' + detail.rule + ')' : '');
    }
    return JSON.stringify(detail);
  }

  function showProblems(container, title, problems) {
    var list = clear(container.querySelector('ul'));
    if (title !== null) container.querySelector('h3').textContent = title;
    problems.forEach(function (p) { list.appendChild(el('li', { 'data-code': p.code }, [el('code', { text: p.code }), ' ', p.text])); });
    container.hidden = problems.length === 0;
  }

  function setStatus(id, text, isError) {
    var node = $(id);
    node.textContent = text;
    node.className = isError ? 'status-error' : '';
  }

  // ---- admin key -------------------------------------------------------------------------------

  function renderKeyStatus() {
    $('key-status').textContent = adminKey() ? 'Key set for this tab: changes allowed.' : 'No key: reading only (saving, activating and rolling back need an admin key).';
  }
  $('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var value = $('admin-key').value.trim();
    if (value) window.sessionStorage.setItem(KEY_STORAGE, value); else window.sessionStorage.removeItem(KEY_STORAGE);
    $('admin-key').value = '';
    renderKeyStatus();
  });
  $('forget-key').addEventListener('click', function () {
    window.sessionStorage.removeItem(KEY_STORAGE);
    renderKeyStatus();
  });

  // ---- 1. raw topics ---------------------------------------------------------------------------

  var RAW_TOPIC_QUERY = 'query StudioRawTopic($topic: String!) { rawTopic(topic: $topic) { topic currentVersion sampled lastSeen ' +
    'versions { version recordedAt changes { added removed typeChanged { path from to } } } ' +
    'fields(includeRemoved: false) { path typeSet types { string number integer boolean null object array } presence nullRate examples formats { format count } current } } }';

  function loadTopics() {
    return gql('query StudioRawTopics { rawTopics { topic currentVersion sampled } }').then(function (data) {
      S.topics = data.rawTopics.slice().sort(function (a, b) { return a.topic < b.topic ? -1 : 1; });
      renderTopicSelect();
    });
  }

  /** Kafka topics neither read by a spec nor profiled yet: what an admin may ask to profile. */
  function loadSourceTopics() {
    return gql('query StudioSourceTopics { sourceTopics { topic readBySpecs profiledOnly } }').then(function (data) {
      var profiled = {};
      S.topics.forEach(function (t) { profiled[t.topic] = true; });
      var select = clear($('source-topic-select'));
      var candidates = data.sourceTopics.filter(function (t) { return !t.readBySpecs.length && !t.profiledOnly && !profiled[t.topic]; });
      select.appendChild(option('', candidates.length ? 'Choose a Kafka topic' : 'Every topic is profiled already', true));
      candidates.forEach(function (t) { select.appendChild(option(t.topic, t.topic, false)); });
    });
  }

  $('profile-topic').addEventListener('click', function () {
    var topic = $('source-topic-select').value;
    if (!topic) { setStatus('profile-status', 'Choose a Kafka topic first.', true); return; }
    setStatus('profile-status', 'Asking discovery to profile ' + topic + '…', false);
    gql('mutation StudioProfileTopic($topic: String!) { profileRawTopic(topic: $topic) }', { topic: topic }).then(function () {
      setStatus('profile-status', topic + ' is being profiled from its beginning; its fields appear in the list above within seconds (Reload statistics).', false);
      S.model.topic = topic;
      renderTopicSelect();
      return loadSourceTopics();
    }).catch(function (error) {
      var problems = problemsOf(error);
      setStatus('profile-status', 'Not profiled: ' + problems.map(function (p) { return p.code + ' ' + p.text; }).join('; '), true);
    });
  });

  function renderTopicSelect() {
    var select = clear($('topic-select'));
    select.appendChild(option('', S.topics.length ? 'Choose a raw topic' : 'No profiled raw topics yet', !S.model.topic));
    var known = false;
    S.topics.forEach(function (t) {
      if (t.topic === S.model.topic) known = true;
      select.appendChild(option(t.topic, t.topic + ' (raw schema v' + (t.currentVersion || 0) + ', ' + t.sampled + ' records profiled)', t.topic === S.model.topic));
    });
    if (S.model.topic && !known) select.appendChild(option(S.model.topic, S.model.topic + ' (not profiled yet)', true));
  }

  function loadRawTopic(topic) {
    if (!topic) { S.raw = null; renderRaw(); return Promise.resolve(); }
    return gql(RAW_TOPIC_QUERY, { topic: topic }).then(function (data) {
      S.raw = data.rawTopic;
      renderRaw();
      renderMappingTable();
    });
  }

  function renderRaw() {
    var body = clear($('raw-fields').querySelector('tbody'));
    var versions = clear($('topic-versions'));
    var raw = S.raw;
    if (!raw) {
      $('topic-summary').textContent = S.model.topic
        ? S.model.topic + ' has not been profiled yet: no inferred fields or samples until discovery has read it (Reload statistics).'
        : 'Raw topics appear here once discovery has profiled them: an active spec reads them, or an admin asked to profile them (above).';
      return;
    }
    $('topic-summary').textContent = raw.topic + ': ' + raw.sampled + ' records profiled, raw schema version ' + (raw.currentVersion || 0) +
      (raw.lastSeen ? ', last seen ' + raw.lastSeen : '') + '.';
    raw.versions.forEach(function (v) {
      var parts = [];
      if (v.changes.added.length) parts.push('added ' + v.changes.added.join(', '));
      if (v.changes.removed.length) parts.push('removed ' + v.changes.removed.join(', '));
      v.changes.typeChanged.forEach(function (c) { parts.push(c.path + ' ' + c.from.join('|') + ' → ' + c.to.join('|')); });
      versions.appendChild(el('li', { text: 'v' + v.version + ' (' + v.recordedAt + '): ' + (parts.join('; ') || 'no change') }));
    });
    raw.fields.forEach(function (f) {
      var shares = M.typeShares(f.types);
      var typeCell = el('td', { className: shares.length > 1 ? 'mixed' : '' }, shares.map(function (s) {
        return el('span', { className: 'share', text: s.type + ' ' + M.percent(s.share) });
      }));
      body.appendChild(el('tr', { 'data-path': f.path }, [
        el('th', { scope: 'row' }, [el('code', { text: f.path })]),
        typeCell,
        el('td', { text: M.percent(f.presence) }),
        el('td', { text: M.percent(f.nullRate) }),
        el('td', { className: 'mono', text: f.examples.map(function (x) { return short(x, 40); }).join(', ') })
      ]));
    });
  }

  $('topic-select').addEventListener('change', function () {
    S.model.topic = $('topic-select').value;
    loadRawTopic(S.model.topic).catch(reportLoadError);
    changed();
  });
  $('reload-topic').addEventListener('click', function () {
    loadTopics().then(function () { return loadRawTopic(S.model.topic); }).then(changed).catch(reportLoadError);
  });

  // ---- 2. canonical subjects -------------------------------------------------------------------

  function loadSubjects() {
    return gql('query StudioSubjects { schemaSubjects { subject latestVersion deprecated } }').then(function (data) {
      S.subjects = data.schemaSubjects.slice().sort(function (a, b) { return a.subject < b.subject ? -1 : 1; });
      renderSubjectSelect();
    });
  }

  function renderSubjectSelect() {
    var select = clear($('subject-select'));
    select.appendChild(option('', 'Choose a subject', !S.model.subject));
    var known = false;
    S.subjects.forEach(function (s) {
      if (s.subject === S.model.subject) known = true;
      select.appendChild(option(s.subject, s.subject + ' (schema v' + s.latestVersion + (s.deprecated ? ', deprecated' : '') + ')', s.subject === S.model.subject));
    });
    if (S.model.subject && !known) select.appendChild(option(S.model.subject, S.model.subject + ' (not registered)', true));
  }

  function loadSubject(subject) {
    if (!subject) { S.canonicalSchema = null; S.fields = []; renderFields(); renderMappingTable(); return Promise.resolve(); }
    return gql('query StudioSchema($subject: String!) { schemaVersion(subject: $subject) { version schema } }', { subject: subject }).then(function (data) {
      S.canonicalSchema = data.schemaVersion ? data.schemaVersion.schema : null;
      S.fields = M.canonicalFields(S.canonicalSchema);
      S.model.rows = M.syncRows(S.model.rows, S.fields);
      renderFields();
      renderKeySelect();
      renderMappingTable();
    });
  }

  function renderFields() {
    var body = clear($('canonical-fields').querySelector('tbody'));
    S.fields.forEach(function (f) {
      body.appendChild(el('tr', { 'data-path': f.path }, [
        el('th', { scope: 'row' }, [el('code', { text: f.path })]),
        el('td', { text: f.types.join(' | ') + (f.format ? ' (' + f.format + ')' : '') + (f.decimal ? ' (Decimal)' : '') + (f.enumValues ? ' ∈ ' + f.enumValues.join(', ') : '') }),
        el('td', { text: f.required ? 'required' : '' }),
        el('td', { text: f.description || '' })
      ]));
    });
  }

  $('subject-select').addEventListener('change', function () {
    S.model.subject = $('subject-select').value;
    if (!S.model.mappingId && S.model.subject) {
      S.model.mappingId = S.model.subject + '-canonicalization';
      $('mapping-id').value = S.model.mappingId;
      loadVersions().catch(reportLoadError);
    }
    loadSubject(S.model.subject).then(changed).catch(reportLoadError);
  });

  $('draft-schema').addEventListener('click', function () {
    if (!S.raw) { setStatus('lifecycle-status', 'Choose a profiled raw topic first: the draft is made from its inferred fields.', true); return; }
    var last = S.raw.topic.split('.').pop().replace(/[^A-Za-z0-9_]/g, '_').replace(/s$/, '');
    if (!$('new-subject-name').value) $('new-subject-name').value = /^[A-Za-z]/.test(last) ? last : 'subject_' + last;
    var title = $('new-subject-name').value.charAt(0).toUpperCase() + $('new-subject-name').value.slice(1);
    $('new-subject-schema').value = JSON.stringify(M.draftSchema(S.raw.fields, title), null, 2);
  });

  $('register-subject').addEventListener('click', function () {
    var subject = $('new-subject-name').value.trim();
    var schema;
    try {
      schema = JSON.parse($('new-subject-schema').value);
    } catch (error) {
      showProblems($('problems'), 'The schema is not JSON', [{ code: 'BAD_USER_INPUT', text: error.message }]);
      return;
    }
    runAction('Registering subject ' + subject + '…', function () {
      return gql('mutation StudioRegisterSchema($subject: String!, $schema: JSON!) { registerCanonicalSchema(subject: $subject, schema: $schema, expectedVersion: 0) { subject version created } }',
        { subject: subject, schema: schema });
    }, 'Subject rejected').then(function (data) {
      if (!data) return;
      setStatus('lifecycle-status', 'Registered subject ' + data.registerCanonicalSchema.subject + ' (schema v' + data.registerCanonicalSchema.version + ').');
      S.model.subject = data.registerCanonicalSchema.subject;
      if (!S.model.mappingId) { S.model.mappingId = S.model.subject + '-canonicalization'; $('mapping-id').value = S.model.mappingId; }
      $('new-subject').open = false;
      return loadSubjects().then(function () { return loadSubject(S.model.subject); }).then(loadVersions).then(changed);
    }).catch(reportLoadError);
  });

  // ---- 3. mapping ------------------------------------------------------------------------------

  function transformByName(name) {
    for (var i = 0; i < S.transforms.length; i += 1) if (S.transforms[i].name === name) return S.transforms[i];
    return null;
  }
  function fieldByPath(path) {
    var key = M.normalizePath(path);
    for (var i = 0; i < S.fields.length; i += 1) if (M.normalizePath(S.fields[i].path) === key) return S.fields[i];
    return null;
  }
  function rawField(path) {
    if (!S.raw) return null;
    var key = M.normalizePath(path);
    for (var i = 0; i < S.raw.fields.length; i += 1) if (M.normalizePath(S.raw.fields[i].path) === key) return S.raw.fields[i];
    return null;
  }
  function rawLabel(f) {
    return f.path + ' — ' + M.typeShares(f.types).map(function (s) { return s.type + ' ' + M.percent(s.share); }).join(', ');
  }

  function renderMetaForm() {
    var m = S.model;
    $('mapping-id').value = m.mappingId;
    $('spec-version').value = m.version === null || m.version === undefined ? '' : String(m.version);
    $('spec-description').value = m.description;
    $('delete-mode').value = m.deleteMode || '';
    renderKeySelect();
    renderVersionHint();
  }

  function renderKeySelect() {
    var select = clear($('spec-key'));
    var current = S.model.key === undefined || S.model.key === null ? '' : JSON.stringify(S.model.key);
    var choices = [['', 'not set (the Debezium record key)'], [JSON.stringify({ source: true }), 'the Debezium record key ({"source": true})']];
    S.fields.forEach(function (f) {
      if (f.path.indexOf('[*]') < 0) choices.push([JSON.stringify({ fields: [f.path] }), 'canonical field ' + f.path]);
    });
    if (current && !choices.some(function (c) { return c[0] === current; })) choices.push([current, 'as loaded: ' + current]);
    choices.forEach(function (c) { select.appendChild(option(c[0], c[1], c[0] === current)); });
  }

  function renderVersionHint() {
    var registered = S.versions.map(function (v) { return v.version; });
    var max = registered.length ? Math.max.apply(null, registered) : 0;
    var version = S.model.version;
    $('version-hint').textContent = registered.indexOf(version) >= 0
      ? 'v' + version + ' is registered; an edit makes this v' + (max + 1) + '.'
      : registered.length ? 'New version (latest registered: v' + max + ').' : 'No version of this mapping id is registered yet.';
  }

  $('mapping-id').addEventListener('input', function () { S.model.mappingId = $('mapping-id').value.trim(); changed(); });
  $('mapping-id').addEventListener('change', function () { loadVersions().then(changed).catch(reportLoadError); });
  $('spec-version').addEventListener('input', function () {
    var text = $('spec-version').value.trim();
    S.model.version = text === '' ? null : Number(text);
    renderVersionHint();
    changed({ keepVersion: true });
  });
  $('spec-description').addEventListener('input', function () { S.model.description = $('spec-description').value; changed(); });
  $('spec-key').addEventListener('change', function () {
    var value = $('spec-key').value;
    S.model.key = value === '' ? undefined : JSON.parse(value);
    changed();
  });
  $('delete-mode').addEventListener('change', function () { S.model.deleteMode = $('delete-mode').value; changed(); });

  /**
   * Rebuilds the mapping table and puts focus back on the control that had it. Removing a focused
   * field fires its blur and change events, whose handlers may ask for a rebuild: that one is
   * skipped, the rebuild under way shows the same state.
   */
  var renderingTable = false;
  function renderMappingTable() {
    if (renderingTable) return;
    renderingTable = true;
    try {
      var focused = document.activeElement && document.activeElement.id;
      var body = clear($('mapping-table').querySelector('tbody'));
      var mismatches = S.preview ? S.preview.typeMismatches : [];
      var problems = M.problemsByRow(S.model.rows, S.problems);
      S.model.rows.forEach(function (row) { body.appendChild(renderRow(row, mismatches, problems[row.id] || [])); });
      if (focused && $(focused) && document.activeElement !== $(focused)) $(focused).focus();
    } finally {
      renderingTable = false;
    }
  }

  function renderRow(row, mismatches, problems) {
    var field = fieldByPath(row.dst);
    var rowMismatches = M.mismatchesFor(row, mismatches);
    var checks = [];
    problems.forEach(function (p) { checks.push(el('span', { className: 'badge bad', 'data-check': 'problem', text: p.replace(/^(fieldMappings\[\d+\]|defaults(\.[\w$]+|\[[^\]]*\]))[.:]?\s*/, '') })); });
    rowMismatches.forEach(function (m) { checks.push(el('span', { className: 'badge bad', 'data-check': 'type-mismatch', text: 'type mismatch: ' + m.message })); });
    if (row.src && S.raw && !rawField(row.src)) checks.push(el('span', { className: 'badge warn', 'data-check': 'missing-source', text: 'not in the raw data' }));
    if (!field && row.dst) checks.push(el('span', { className: 'badge warn', 'data-check': 'unknown-field', text: 'not in the canonical schema' }));
    if (field && field.required && !M.rowIsUsed(row)) checks.push(el('span', { className: 'badge bad', 'data-check': 'required', text: 'required, unmapped' }));
    if (!checks.length && M.rowIsUsed(row)) checks.push(el('span', { className: 'badge ok', text: 'ok' }));

    var fieldCell = el('th', { scope: 'row' }, [
      el('code', { id: 'dst-' + row.id, text: row.dst }),
      el('div', { className: 'hint', text: field ? field.types.join(' | ') + (field.decimal ? ' (Decimal)' : '') + (field.format ? ' (' + field.format + ')' : '') : '' })
    ]);

    var srcSelect = el('select', { id: 'src-' + row.id, 'aria-label': 'Source path for ' + row.dst, onchange: function () {
      row.src = srcSelect.value;
      renderMappingTable();
      changed();
    } });
    srcSelect.appendChild(option('', '(no source)', !row.src));
    var listed = false;
    (S.raw ? S.raw.fields : []).forEach(function (f) {
      if (f.path === row.src) listed = true;
      srcSelect.appendChild(option(f.path, rawLabel(f), f.path === row.src));
    });
    if (row.src && !listed) srcSelect.appendChild(option(row.src, row.src + ' (not in the raw data)', true));

    var steps = el('div', { className: 'steps' });
    row.steps.forEach(function (step, index) { steps.appendChild(renderStep(row, step, index)); });
    steps.appendChild(el('button', { type: 'button', id: 'add-step-' + row.id, 'aria-label': 'Add a transform to ' + row.dst, text: row.steps.length ? '+ transform' : '+ add transform', onclick: function () {
      row.steps.push({ name: '', args: {} });
      renderMappingTable();
      var select = $('step-' + row.id + '-' + (row.steps.length - 1));
      if (select) select.focus();
    } }));

    var defaultInput = el('input', {
      id: 'default-' + row.id, 'aria-label': 'Default for ' + row.dst, placeholder: row.src ? 'when null or absent' : 'constant', spellcheck: 'false',
      value: row.hasDefault ? M.formatValueText(row.defaultValue) : ''
    });
    defaultInput.addEventListener('input', function () {
      var parsed = M.parseValueText(defaultInput.value);
      row.hasDefault = parsed.has;
      row.defaultValue = parsed.value;
      changed();
    });
    defaultInput.addEventListener('change', renderMappingTable);

    return el('tr', { 'data-dst': row.dst, 'data-row': row.id, className: (M.rowIsUsed(row) ? '' : 'unused') + (rowMismatches.length ? ' mismatch' : '') }, [
      fieldCell, el('td', null, [srcSelect]), el('td', null, [steps]), el('td', null, [defaultInput]), el('td', { 'data-checks': row.id }, checks)
    ]);
  }

  function renderStep(row, step, index) {
    var prefix = 'step-' + row.id + '-' + index;
    var select = el('select', { id: prefix, 'aria-label': 'Transform ' + (index + 1) + ' for ' + row.dst, onchange: function () {
      step.name = select.value;
      step.args = {};
      renderMappingTable();
      changed();
    } });
    select.appendChild(option('', '(choose a transform)', !step.name));
    var known = false;
    S.transforms.forEach(function (t) {
      if (t.name === step.name) known = true;
      select.appendChild(option(t.name, t.name, t.name === step.name));
    });
    if (step.name && !known) select.appendChild(option(step.name, step.name + ' (unknown)', true));
    var transform = transformByName(step.name);
    if (transform) select.title = transform.description;

    var args = el('div', { className: 'args' });
    (transform ? transform.args : []).forEach(function (arg) { args.appendChild(renderArg(row, step, index, arg)); });
    // Arguments the engine does not declare (kept as loaded, reported by the validation).
    Object.keys(step.args).forEach(function (name) {
      if (transform && transform.args.some(function (a) { return a.name === name; })) return;
      args.appendChild(renderArg(row, step, index, { name: name, type: 'any', required: false, description: 'not an argument of ' + step.name, values: null }));
    });
    var remove = el('button', { type: 'button', id: prefix + '-remove', 'aria-label': 'Remove transform ' + (index + 1) + ' of ' + row.dst, text: 'Remove', onclick: function () {
      row.steps.splice(index, 1);
      renderMappingTable();
      changed();
      var add = $('add-step-' + row.id);
      if (add) add.focus();
    } });
    return el('div', { className: 'step' }, [select, args, remove]);
  }

  function renderArg(row, step, index, arg) {
    var id = 'arg-' + row.id + '-' + index + '-' + arg.name;
    var label = el('label', { 'for': id, title: arg.description, text: arg.name + (arg.required ? ' *' : '') });
    var control;
    var current = step.args[arg.name];
    if (arg.values && arg.values.length || arg.type === 'boolean') {
      var values = arg.type === 'boolean' ? ['true', 'false'] : arg.values;
      control = el('select', { id: id, title: arg.description });
      control.appendChild(option('', arg['default'] !== null && arg['default'] !== undefined ? '(default ' + JSON.stringify(arg['default']) + ')' : '(not set)', current === undefined));
      values.forEach(function (v) { control.appendChild(option(v, v, String(current) === v)); });
      control.addEventListener('change', function () { setArg(step, arg, control.value); changed(); });
    } else {
      control = el('input', {
        id: id, title: arg.description, spellcheck: 'false', value: M.formatArgText(current, arg.type),
        placeholder: arg.type === 'object' ? '{"from": "TO"}' : arg.type === 'paths' ? '$.a, $.b' : arg.type
      });
      control.addEventListener('input', function () { setArg(step, arg, control.value); changed(); });
    }
    return el('span', { className: 'arg' }, [label, ' ', control]);
  }

  function setArg(step, arg, text) {
    var parsed = M.parseArgText(text, arg.type);
    if (parsed.has) step.args[arg.name] = parsed.value; else delete step.args[arg.name];
  }

  // ---- updates: JSON panel and live preview ----------------------------------------------------

  function registeredVersion(version) {
    for (var i = 0; i < S.versions.length; i += 1) if (S.versions[i].version === version) return S.versions[i];
    return null;
  }

  /** An edit of a registered version makes the spec the next version: saving always adds one. */
  function bumpIfRegistered() {
    var registered = registeredVersion(S.model.version);
    if (!registered) return;
    if (JSON.stringify(M.buildSpec(S.model)) === JSON.stringify(registered.spec)) return;
    var max = Math.max.apply(null, S.versions.map(function (v) { return v.version; }));
    S.model.version = max + 1;
    $('spec-version').value = String(S.model.version);
    renderVersionHint();
  }

  function changed(options) {
    if (!(options && options.keepVersion)) bumpIfRegistered();
    $('spec-json').value = M.specJson(M.buildSpec(S.model));
    if (S.timer) window.clearTimeout(S.timer);
    var status = $('preview-status');
    status.setAttribute('data-state', 'pending');
    S.timer = window.setTimeout(runPreview, PREVIEW_DEBOUNCE_MS);
  }

  var PREVIEW_QUERY = 'query StudioPreview($spec: JSON!, $last: Int!) { previewMappingSpec(spec: $spec, last: $last) { subject mapped failed skipped ' +
    'coveredSourceFields unmappedSourceFields missingSourceFields typeMismatches { source target sourceTypes targetTypes message } ' +
    'records { topic partition offset status op key canonical unset errors errorCode } } }';

  function runPreview() {
    S.timer = null;
    var seq = ++S.previewSeq;
    var status = $('preview-status');
    var spec = M.buildSpec(S.model);
    if (!S.model.topic || !S.model.subject || !spec.fieldMappings.length) {
      S.preview = null;
      S.problems = [];
      renderPreview();
      showProblems($('preview-problems'), null, []);
      status.textContent = 'Choose a raw topic, a subject and map at least one field to see a preview.';
      status.setAttribute('data-state', 'idle');
      status.setAttribute('data-seq', String(seq));
      return;
    }
    status.textContent = 'Previewing…';
    gql(PREVIEW_QUERY, { spec: spec, last: 20 }).then(function (data) {
      if (seq !== S.previewSeq) return;
      S.preview = data.previewMappingSpec;
      S.problems = [];
      showProblems($('preview-problems'), null, []);
      var p = S.preview;
      status.textContent = 'Preview of ' + p.records.length + ' sampled records: ' + p.mapped + ' mapped, ' + p.failed + ' failed, ' + p.skipped + ' skipped' +
        (p.typeMismatches.length ? '; ' + p.typeMismatches.length + ' type mismatch' + (p.typeMismatches.length > 1 ? 'es' : '') : '') + '.';
      status.setAttribute('data-state', 'done');
      status.setAttribute('data-seq', String(seq));
      renderPreview();
      renderMappingTable();
    }, function (error) {
      if (seq !== S.previewSeq) return;
      S.preview = null;
      var problems = problemsOf(error);
      S.problems = problems.map(function (p) { return p.text; });
      renderPreview();
      renderMappingTable();
      showProblems($('preview-problems'), 'The spec is not valid (' + problems.length + ' problem' + (problems.length > 1 ? 's' : '') + ')', problems);
      status.textContent = 'No preview: the spec is not valid.';
      status.setAttribute('data-state', 'invalid');
      status.setAttribute('data-seq', String(seq));
    });
  }

  function renderPreview() {
    var body = clear($('preview-table').querySelector('tbody'));
    var coverage = clear($('coverage'));
    var p = S.preview;
    if (!p) return;
    function list(title, items, className) {
      if (!items.length) return;
      coverage.appendChild(el('p', { className: 'hint' }, [el('strong', { text: title + ': ' })].concat(items.map(function (i) { return el('span', { className: 'badge ' + className, text: i }); }))));
    }
    list('Source fields read', p.coveredSourceFields, 'ok');
    list('Source fields not mapped', p.unmappedSourceFields, 'warn');
    list('Source fields read but never seen', p.missingSourceFields, 'bad');
    list('Type mismatches', p.typeMismatches.map(function (m) { return m.message; }), 'bad');
    p.records.forEach(function (r) {
      body.appendChild(el('tr', { 'data-status': r.status, 'data-offset': r.offset }, [
        el('td', { text: r.partition + ':' + r.offset }),
        el('td', { text: r.op || '' }),
        el('td', { className: 'mono', text: r.key || '' }),
        el('td', { className: 'status-' + r.status, text: r.status }),
        el('td', null, [el('pre', { text: r.canonical ? JSON.stringify(r.canonical, null, 1) : '' })].concat(r.unset.length ? [el('div', { className: 'hint', text: 'unset: ' + r.unset.join(', ') })] : [])),
        el('td', null, [el('ul', null, r.errors.map(function (e) { return el('li', { text: (r.errorCode ? r.errorCode + ': ' : '') + e }); }))])
      ]));
    });
  }

  // ---- 5. versions and lifecycle ---------------------------------------------------------------

  var SPEC_FIELDS = 'id version active origin registeredAt subject topics spec';

  function loadSpecs() {
    return gql('query StudioSpecs { mappingSpecs { ' + SPEC_FIELDS + ' } }').then(function (data) {
      S.specs = data.mappingSpecs;
      var select = clear($('spec-load'));
      select.appendChild(option('', S.specs.length ? 'Choose a registered spec version' : 'No registered specs', true));
      S.specs.slice().sort(function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version; }).forEach(function (s) {
        select.appendChild(option(s.id + '@' + s.version, s.id + ' v' + s.version + (s.active ? ' (active)' : '') + ' → ' + s.subject + ' from ' + s.topics.join(', ')));
      });
    });
  }

  function loadVersions() {
    var id = S.model.mappingId;
    if (!id) { S.versions = []; renderVersions(); return Promise.resolve(); }
    return Promise.all([
      gql('query StudioVersions($id: String!) { mappingSpecs(id: $id) { ' + SPEC_FIELDS + ' } }', { id: id }),
      gql('query StudioHistory($id: String!) { mappingSpecHistory(id: $id) { action version at } }', { id: id })
    ]).then(function (results) {
      if (id !== S.model.mappingId) return;
      S.versions = results[0].mappingSpecs.slice().sort(function (a, b) { return a.version - b.version; });
      S.history = results[1].mappingSpecHistory;
      renderVersions();
      renderVersionHint();
    });
  }

  function activeVersion() {
    for (var i = 0; i < S.versions.length; i += 1) if (S.versions[i].active) return S.versions[i].version;
    return null;
  }

  function renderVersions() {
    var body = clear($('versions-table').querySelector('tbody'));
    S.versions.forEach(function (v) {
      body.appendChild(el('tr', { 'data-version': String(v.version), 'data-active': v.active ? 'true' : 'false' }, [
        el('th', { scope: 'row', text: 'v' + v.version }),
        el('td', { text: v.active ? 'active' : 'inactive' }),
        el('td', { text: v.registeredAt }),
        el('td', { text: v.origin }),
        el('td', null, [
          el('button', { type: 'button', id: 'load-version-' + v.version, text: 'Load v' + v.version, onclick: function () { loadSpecVersion(v); } }),
          ' ',
          el('button', { type: 'button', id: 'activate-version-' + v.version, text: 'Activate v' + v.version, disabled: v.active, onclick: function () { activate(v.version); } })
        ])
      ]));
    });
    $('spec-history').textContent = S.history && S.history.length
      ? 'History: ' + S.history.map(function (h) { return h.action + (h.version === null ? '' : ' v' + h.version); }).join(' → ')
      : '';
  }

  /** Runs a mutation: status while it runs, every problem on failure (resolves to undefined then). */
  function runAction(pending, call, rejectedTitle) {
    setStatus('lifecycle-status', pending);
    showProblems($('problems'), null, []);
    return call().then(function (data) { return data; }, function (error) {
      var problems = problemsOf(error);
      showProblems($('problems'), rejectedTitle + ' (' + problems.length + ' problem' + (problems.length > 1 ? 's' : '') + ')', problems);
      setStatus('lifecycle-status', rejectedTitle + '.', true);
      $('problems').focus();
      return undefined;
    });
  }

  function afterLifecycle(message) {
    setStatus('lifecycle-status', message);
    return Promise.all([loadVersions(), loadSpecs(), loadTopics()]).then(function () { renderTopicSelect(); });
  }

  $('save-spec').addEventListener('click', function () {
    var spec = M.buildSpec(S.model);
    runAction('Saving ' + spec.mappingId + ' v' + spec.version + '…', function () {
      return gql('mutation StudioRegisterSpec($spec: JSON!) { registerMappingSpec(spec: $spec) { ' + SPEC_FIELDS + ' } }', { spec: spec });
    }, 'Spec rejected').then(function (data) {
      if (!data) return;
      var saved = data.registerMappingSpec;
      S.model = M.stateFromSpec(saved.spec, S.fields);
      renderMetaForm();
      renderMappingTable();
      return afterLifecycle('Saved ' + saved.id + ' v' + saved.version + ' (inactive until activated).').then(function () { changed(); });
    }).catch(reportLoadError);
  });

  function activate(version) {
    var id = S.model.mappingId;
    var expected = activeVersion();
    runAction('Activating ' + id + ' v' + version + '…', function () {
      return gql('mutation StudioActivate($id: String!, $version: Int!, $expected: Int) { activateMappingSpec(id: $id, version: $version, expectedActiveVersion: $expected) { id version active } }',
        { id: id, version: version, expected: expected });
    }, 'Activation rejected').then(function (data) {
      if (data) return afterLifecycle('Activated ' + id + ' v' + data.activateMappingSpec.version + ': ingestion now maps ' + S.model.topic + ' with it.');
    }).catch(reportLoadError);
  }

  $('activate-spec').addEventListener('click', function () { activate(S.model.version); });

  $('rollback-spec').addEventListener('click', function () {
    var id = S.model.mappingId;
    runAction('Rolling back ' + id + '…', function () {
      return gql('mutation StudioRollback($id: String!) { rollbackMappingSpec(id: $id) { id version active spec } }', { id: id });
    }, 'Rollback rejected').then(function (data) {
      if (!data) return;
      var now = data.rollbackMappingSpec;
      return afterLifecycle('Rolled back ' + id + ': v' + now.version + ' is active again.');
    }).catch(reportLoadError);
  });

  $('deactivate-spec').addEventListener('click', function () {
    var id = S.model.mappingId;
    runAction('Deactivating ' + id + '…', function () {
      return gql('mutation StudioDeactivate($id: String!) { deactivateMappingSpec(id: $id) }', { id: id });
    }, 'Deactivation rejected').then(function (data) {
      if (data) return afterLifecycle('Deactivated ' + id + ': its topic waits until a version is active again.');
    }).catch(reportLoadError);
  });

  // ---- loading a spec --------------------------------------------------------------------------

  function loadSpecVersion(version) {
    var spec = version.spec;
    var subject = M.subjectName(spec.target && spec.target.subject);
    S.model = M.stateFromSpec(spec, []);
    S.preview = null;
    setStatus('lifecycle-status', 'Loaded ' + version.id + ' v' + version.version + (version.active ? ' (active)' : '') + '.');
    showProblems($('problems'), null, []);
    renderMetaForm();
    renderTopicSelect();
    renderSubjectSelect();
    return Promise.all([loadRawTopic(S.model.topic), loadSubject(subject), loadVersions()]).then(function () {
      renderMetaForm();
      renderMappingTable();
      changed();
    }).catch(reportLoadError);
  }

  $('load-spec').addEventListener('click', function () {
    var value = $('spec-load').value;
    if (!value) return;
    var at = value.lastIndexOf('@');
    var id = value.slice(0, at);
    var version = Number(value.slice(at + 1));
    var found = S.specs.filter(function (s) { return s.id === id && s.version === version; })[0];
    if (found) loadSpecVersion(found);
  });

  $('new-spec').addEventListener('click', function () {
    S.model = M.newState({ topic: S.model.topic, subject: S.model.subject, fields: S.fields,
      mappingId: S.model.subject ? S.model.subject + '-canonicalization' : '' });
    S.preview = null;
    renderMetaForm();
    renderMappingTable();
    loadVersions().then(function () {
      // A new spec under an id that exists starts as its next version.
      if (S.versions.length) S.model.version = Math.max.apply(null, S.versions.map(function (v) { return v.version; })) + 1;
      renderMetaForm();
      changed({ keepVersion: true });
    }).catch(reportLoadError);
  });

  function reportLoadError(error) {
    var problems = problemsOf(error);
    showProblems($('problems'), 'Request failed (' + problems.length + ' problem' + (problems.length > 1 ? 's' : '') + ')', problems);
    setStatus('lifecycle-status', 'A request failed.', true);
  }

  // ---- start -----------------------------------------------------------------------------------

  $('problems').setAttribute('tabindex', '-1');
  renderKeyStatus();
  renderMetaForm();
  Promise.all([
    gql('query StudioTransforms { mappingTransforms { name description args { name type required description values default } } }').then(function (data) { S.transforms = data.mappingTransforms; }),
    loadTopics().then(loadSourceTopics), loadSubjects(), loadSpecs()
  ]).then(function () {
    renderMappingTable();
    changed();
    document.body.setAttribute('data-ready', 'true');
  }, function (error) {
    reportLoadError(error);
    document.body.setAttribute('data-ready', 'error');
  });

  window.canonqlStudio = { state: S, model: M };
})();
`;
