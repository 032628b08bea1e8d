/**
 * The studio's model: pure functions (no DOM, no network) that turn what the page shows into a
 * mapping spec and back. Kept as a string of plain ES2017 (no build step, shipped inside the
 * compiled service as is) and served as its own script; it defines `CanonqlStudioModel` on the
 * global object. The unit tests evaluate this very text in a `vm` context, so the spec the tests
 * validate is the one the browser builds.
 *
 * A spec in the studio is a list of rows. A row is one field mapping (`src` → `dst`, transform
 * steps, a field `default`) or, when it has neither source nor transform, one entry of the spec's
 * `defaults`. A spec loaded for editing keeps its original objects as templates, so what the page
 * does not edit (`when`, `precedence`, descriptions, `schemaId`, key order) comes out unchanged:
 * building an untouched spec gives back the document that was loaded.
 */
export const STUDIO_MODEL_SCRIPT = String.raw`(function (root) {
  'use strict';

  function isObject(value) { return typeof value === 'object' && value !== null && !Array.isArray(value); }
  function clone(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function has(object, key) { return isObject(object) && Object.prototype.hasOwnProperty.call(object, key); }

  /** $.items[*].sku, items[*].sku and $['items'][*].sku name the same field here. */
  function normalizePath(path) {
    return String(path || '')
      .replace(/\['([^']*)'\]/g, '.$1')
      .replace(/\[\d+\]/g, '[*]')
      .replace(/^\$\.?/, '');
  }

  function memberPath(name) {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? '.' + name : "['" + name + "']";
  }

  /** "canonical.order.v1" and "order" both name subject "order". */
  function subjectName(subject) {
    return String(subject || '').replace(/^canonical\./, '').replace(/\.v\d+$/, '');
  }

  function schemaTypes(schema) {
    if (!isObject(schema)) return [];
    if (Array.isArray(schema.type)) return schema.type.filter(function (t) { return typeof t === 'string'; });
    if (typeof schema.type === 'string') return [schema.type];
    return [];
  }

  /**
   * The leaf fields of a canonical JSON Schema, in schema order: objects are walked into
   * ($.customer.email), arrays of objects into their items ($.line_items[*].sku).
   */
  function canonicalFields(schema) {
    var out = [];
    function walk(node, path, required) {
      var types = schemaTypes(node);
      var objectLike = isObject(node.properties) && (types.length === 0 || types.indexOf('object') >= 0);
      if (objectLike && path !== '$' || path === '$' && isObject(node.properties)) {
        var requiredNames = Array.isArray(node.required) ? node.required : [];
        Object.keys(node.properties).forEach(function (name) {
          var child = node.properties[name];
          if (isObject(child)) walk(child, path + memberPath(name), requiredNames.indexOf(name) >= 0);
        });
        return;
      }
      if (types.indexOf('array') >= 0 && isObject(node.items) && isObject(node.items.properties)) {
        walk(node.items, path + '[*]', false);
        return;
      }
      if (path === '$') return;
      out.push({
        path: path,
        types: types.length ? types : (Array.isArray(node.enum) ? ['enum'] : ['any']),
        required: required,
        format: typeof node.format === 'string' ? node.format : null,
        decimal: node['x-canonql-type'] === 'Decimal',
        enumValues: Array.isArray(node.enum) ? node.enum.slice() : null,
        description: typeof node.description === 'string' ? node.description : null
      });
    }
    if (isObject(schema)) walk(schema, '$', true);
    return out;
  }

  // ---- transforms -------------------------------------------------------------------------

  /** A spec's transform (name, {name, args} or a list) as steps [{name, args}]. */
  function parseSteps(transform) {
    if (transform === undefined || transform === null) return [];
    var list = Array.isArray(transform) ? transform : [transform];
    return list.map(function (step) {
      if (typeof step === 'string') return { name: step, args: {} };
      return {
        name: isObject(step) && typeof step.name === 'string' ? step.name : '',
        args: isObject(step) && isObject(step.args) ? clone(step.args) : {}
      };
    });
  }

  /** Steps back to the spec form: a name, {name, args}, or a list when there are several. */
  function stepsToTransform(steps) {
    var list = steps.filter(function (s) { return s.name; }).map(function (s) {
      return Object.keys(s.args || {}).length ? { name: s.name, args: clone(s.args) } : s.name;
    });
    if (list.length === 0) return undefined;
    return list.length === 1 ? list[0] : list;
  }

  // ---- values typed into text fields ------------------------------------------------------

  /** A default typed as text: JSON when it parses (42, true, null, {"a":1}), else the text itself. */
  function parseValueText(text) {
    var trimmed = String(text).trim();
    if (trimmed === '') return { has: false };
    try { return { has: true, value: JSON.parse(trimmed) }; } catch (e) { return { has: true, value: String(text) }; }
  }

  /** The text that parseValueText turns back into the value (strings that look like JSON get quotes). */
  function formatValueText(value) {
    if (value === undefined) return '';
    if (typeof value === 'string') {
      try { JSON.parse(value.trim()); return JSON.stringify(value); } catch (e) { return value.trim() === '' ? JSON.stringify(value) : value; }
    }
    return JSON.stringify(value);
  }

  /**
   * An argument typed as text, read by its declared type (mappingTransforms). What does not parse
   * is passed on as typed, so the server's validation names the problem.
   */
  function parseArgText(text, type) {
    var trimmed = String(text).trim();
    if (trimmed === '') return { has: false };
    if (type === 'string' || type === 'path') return { has: true, value: String(text) };
    if (type === 'number' || type === 'integer') {
      var n = Number(trimmed);
      return { has: true, value: isFinite(n) && /^-?\d/.test(trimmed) ? n : trimmed };
    }
    if (type === 'boolean') return { has: true, value: trimmed === 'true' ? true : trimmed === 'false' ? false : trimmed };
    try { return { has: true, value: JSON.parse(trimmed) }; } catch (e) {
      if (type === 'paths') return { has: true, value: trimmed.split(',').map(function (p) { return p.trim(); }).filter(Boolean) };
      return { has: true, value: trimmed };
    }
  }

  function formatArgText(value, type) {
    if (value === undefined) return '';
    if (typeof value === 'string') {
      if (type === 'string' || type === 'path' || type === 'number' || type === 'integer' || type === 'boolean') return value;
      try { JSON.parse(value); return JSON.stringify(value); } catch (e) { return value; }
    }
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return JSON.stringify(value);
  }

  // ---- rows ---------------------------------------------------------------------------------

  var nextRowId = 1;
  function newRow(fields) {
    var row = { id: 'r' + (nextRowId++), dst: '', src: '', steps: [], hasDefault: false, defaultValue: undefined, template: null, origTransform: undefined, defaultKey: null };
    Object.keys(fields || {}).forEach(function (k) { row[k] = fields[k]; });
    return row;
  }

  function rowIsUsed(row) { return !!row.src || row.steps.some(function (s) { return s.name; }) || row.hasDefault; }
  function rowIsMapping(row) { return !!row.src || row.steps.some(function (s) { return s.name; }); }

  /** Adds an empty row per canonical field that no row writes yet; drops unused rows of fields that left. */
  function syncRows(rows, fields) {
    var written = {};
    var fieldPaths = {};
    fields.forEach(function (f) { fieldPaths[normalizePath(f.path)] = true; });
    var kept = rows.filter(function (row) {
      if (rowIsUsed(row) || row.template) { written[normalizePath(row.dst)] = true; return true; }
      return fieldPaths[normalizePath(row.dst)] === true;
    });
    kept.forEach(function (row) { written[normalizePath(row.dst)] = true; });
    fields.forEach(function (f) {
      if (!written[normalizePath(f.path)]) kept.push(newRow({ dst: f.path }));
    });
    return kept;
  }

  /** A new spec for a raw topic and a subject: one empty row per canonical field. */
  function newState(options) {
    return {
      base: null,
      mappingId: options.mappingId || '',
      version: options.version === undefined ? 1 : options.version,
      description: options.description || '',
      topic: options.topic || '',
      subject: options.subject || '',
      key: undefined,
      deleteMode: '',
      rows: syncRows([], options.fields || [])
    };
  }

  /** A spec (from specs/ or the registry) as an editable state; building it unchanged gives it back. */
  function stateFromSpec(spec, fields) {
    var source = isObject(spec.source) ? spec.source : {};
    var target = isObject(spec.target) ? spec.target : {};
    var rows = (Array.isArray(spec.fieldMappings) ? spec.fieldMappings : []).map(function (m) {
      m = isObject(m) ? m : {};
      return newRow({
        dst: typeof m.dst === 'string' ? m.dst : '',
        src: typeof m.src === 'string' ? m.src : '',
        steps: parseSteps(m.transform),
        hasDefault: has(m, 'default'),
        defaultValue: clone(m['default']),
        template: clone(m),
        origTransform: clone(m.transform)
      });
    });
    if (isObject(spec.defaults)) {
      Object.keys(spec.defaults).forEach(function (key) {
        rows.push(newRow({
          dst: key.charAt(0) === '$' ? key : '$' + (key.charAt(0) === '[' ? '' : '.') + key,
          hasDefault: true, defaultValue: clone(spec.defaults[key]), defaultKey: key
        }));
      });
    }
    return {
      base: clone(spec),
      mappingId: typeof spec.mappingId === 'string' ? spec.mappingId : '',
      version: typeof spec.version === 'number' ? spec.version : null,
      description: typeof spec.description === 'string' ? spec.description : '',
      topic: typeof source.topic === 'string' ? source.topic : (Array.isArray(source.topics) ? source.topics[0] || '' : ''),
      subject: subjectName(target.subject),
      key: clone(spec.key),
      deleteMode: typeof spec.deleteMode === 'string' ? spec.deleteMode : '',
      rows: syncRows(rows, fields || [])
    };
  }

  function buildMapping(row) {
    var mapping = row.template ? clone(row.template) : {};
    if (row.src) mapping.src = row.src; else delete mapping.src;
    mapping.dst = row.dst;
    var transform = row.template && same(parseSteps(row.origTransform), row.steps) ? clone(row.origTransform) : stepsToTransform(row.steps);
    if (transform === undefined) delete mapping.transform; else mapping.transform = transform;
    if (row.hasDefault) mapping['default'] = clone(row.defaultValue); else delete mapping['default'];
    // A new mapping lists its members in the usual order: src, dst, transform, default.
    if (!row.template) {
      var ordered = {};
      ['src', 'dst', 'transform', 'default'].forEach(function (k) { if (has(mapping, k)) ordered[k] = mapping[k]; });
      return ordered;
    }
    return mapping;
  }

  function defaultKeyOf(row) {
    return row.defaultKey || normalizePath(row.dst);
  }

  /** The spec document the state stands for, as a specs/ file holds it. */
  function buildSpec(state) {
    var base = state.base;
    var spec = base ? clone(base) : {
      $schema: '../schema/mapping-spec.schema.json',
      mappingId: '', version: 1, description: '', source: {}, target: {}, key: undefined, deleteMode: '', fieldMappings: [], defaults: {}
    };
    spec.mappingId = state.mappingId;
    if (state.version === null || state.version === undefined || state.version === '') delete spec.version; else spec.version = state.version;
    if (state.description) spec.description = state.description; else delete spec.description;

    var source = isObject(spec.source) ? spec.source : {};
    if (!has(source, 'type')) source = Object.assign({ type: 'kafka' }, source);
    var keepTopics = !has(source, 'topic') && Array.isArray(source.topics) && source.topics.indexOf(state.topic) >= 0;
    if (!keepTopics) source.topic = state.topic;
    spec.source = source;

    var target = isObject(spec.target) ? spec.target : {};
    if (subjectName(target.subject) !== state.subject) target.subject = state.subject;
    spec.target = target;

    if (state.key === undefined || state.key === null) delete spec.key; else spec.key = clone(state.key);
    if (state.deleteMode) spec.deleteMode = state.deleteMode; else delete spec.deleteMode;

    var mappings = [];
    var defaults = {};
    state.rows.forEach(function (row) {
      if (rowIsMapping(row)) mappings.push(buildMapping(row));
      else if (row.hasDefault) defaults[defaultKeyOf(row)] = clone(row.defaultValue);
    });
    spec.fieldMappings = mappings;
    if (Object.keys(defaults).length) spec.defaults = defaults; else delete spec.defaults;
    return spec;
  }

  /** The spec as the studio shows it and a specs/ file would hold it. */
  function specJson(spec) {
    return JSON.stringify(spec, null, 2) + '\n';
  }

  // ---- raw fields ---------------------------------------------------------------------------

  /** "number 60% · string 40%" from a field's type counts. */
  function typeShares(types) {
    var total = 0;
    Object.keys(types || {}).forEach(function (t) { total += types[t] || 0; });
    if (!total) return [];
    return Object.keys(types).filter(function (t) { return types[t] > 0; })
      .sort(function (a, b) { return types[b] - types[a] || (a < b ? -1 : 1); })
      .map(function (t) { return { type: t, share: types[t] / total }; });
  }

  function percent(share) {
    var p = Math.round(share * 1000) / 10;
    return (p % 1 === 0 ? p.toFixed(0) : p.toFixed(1)) + '%';
  }

  function pathSegments(path) {
    var parts = [];
    normalizePath(path).split('.').forEach(function (part) {
      var m = /^(.*?)((?:\[\*\])*)$/.exec(part);
      if (m[1]) parts.push({ name: m[1] });
      for (var i = 0; i < m[2].length / 3; i += 1) parts.push({ items: true });
    });
    return parts;
  }

  /**
   * A first canonical JSON Schema drafted from a raw topic's inferred fields (current ones), to
   * edit before registering: leaf fields only, integer+number as number, null allowed when the
   * field was ever null or absent, date-time strings with their format. An open model.
   */
  function draftSchema(rawFields, title) {
    var current = rawFields.filter(function (f) { return f.current !== false; });
    var paths = current.map(function (f) { return normalizePath(f.path); });
    var rootSchema = { $schema: 'https://json-schema.org/draft/2020-12/schema', title: title || 'Draft', type: 'object', properties: {} };
    current.forEach(function (field) {
      var path = normalizePath(field.path);
      if (path === '' || path.charAt(0) === '_') return;
      var container = paths.some(function (p) { return p !== path && (p.indexOf(path + '.') === 0 || p.indexOf(path + '[*]') === 0); });
      if (container) return;
      var node = rootSchema;
      var segments = pathSegments(path);
      segments.forEach(function (segment, i) {
        var last = i === segments.length - 1;
        if (segment.items) {
          node.type = 'array';
          node.items = node.items || {};
          node = node.items;
        } else {
          if (node.type !== 'object') node.type = 'object';
          node.properties = node.properties || {};
          node.properties[segment.name] = node.properties[segment.name] || {};
          node = node.properties[segment.name];
        }
        if (last) {
          var types = (field.typeSet || []).filter(function (t) { return t !== 'null' && t !== 'object' && t !== 'array'; });
          if (types.indexOf('integer') >= 0 && types.indexOf('number') >= 0) types.splice(types.indexOf('integer'), 1);
          if (types.length === 0) types = ['string'];
          var nullable = (field.nullRate || 0) > 0 || (field.presence !== undefined && field.presence < 1);
          if (nullable) types.push('null');
          node.type = types.length === 1 ? types[0] : types;
          var formats = field.formats || [];
          if (formats.length === 1 && formats[0].format === 'date-time') node.format = 'date-time';
        }
      });
    });
    return rootSchema;
  }

  /** Type mismatches of a preview that concern a row (direct copies whose raw types the field refuses). */
  function mismatchesFor(row, mismatches) {
    var dst = normalizePath(row.dst);
    var src = normalizePath(row.src);
    return (mismatches || []).filter(function (m) { return normalizePath(m.target) === dst && normalizePath(m.source) === src; });
  }

  /**
   * Which validation problems concern which row: a problem located at fieldMappings[i] belongs to
   * the row that builds the i-th mapping, one at defaults.<key> to the row of that default.
   */
  function problemsByRow(rows, problems) {
    var out = {};
    var mappingRows = rows.filter(rowIsMapping);
    (problems || []).forEach(function (problem) {
      var m = /^fieldMappings\[(\d+)\]/.exec(problem);
      var row = m ? mappingRows[Number(m[1])] : null;
      if (!row) {
        var d = /^defaults(?:\.([A-Za-z_$][\w$]*)|\[("(?:[^"\\]|\\.)*")\])/.exec(problem);
        var key = d ? (d[1] !== undefined ? d[1] : JSON.parse(d[2])) : null;
        if (d) row = rows.filter(function (r) { return !rowIsMapping(r) && r.hasDefault && defaultKeyOf(r) === key; })[0] || null;
      }
      if (row) (out[row.id] = out[row.id] || []).push(problem);
    });
    return out;
  }

  root.CanonqlStudioModel = {
    normalizePath: normalizePath, subjectName: subjectName, canonicalFields: canonicalFields,
    parseSteps: parseSteps, stepsToTransform: stepsToTransform,
    parseValueText: parseValueText, formatValueText: formatValueText, parseArgText: parseArgText, formatArgText: formatArgText, rowIsMapping: rowIsMapping,
    newRow: newRow, rowIsUsed: rowIsUsed, syncRows: syncRows, newState: newState, stateFromSpec: stateFromSpec,
    buildSpec: buildSpec, specJson: specJson, typeShares: typeShares, percent: percent, draftSchema: draftSchema,
    mismatchesFor: mismatchesFor, problemsByRow: problemsByRow
  };
})(typeof window !== 'undefined' ? window : globalThis);
`;
