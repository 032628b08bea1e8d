import { subjectNameProblems, subjectNoun } from '../../catalog/subject-name';
import { byId, clear, el, option, pageConfig, within } from '../dom';
import { adminKey, createClient, problemsOf, setAdminKey, type Problem } from './graphql-client';
import * as M from './model';
import { canonicalFields, type CanonicalField } from './canonical-fields';
import { isObject, type JsonObject } from './json-value';
import { autoMap, draftSchema, percent, typeShares } from './raw-fields';
import type { StepState } from './transform-steps';
import { formatArgText, formatValueText, parseArgText, parseValueText } from './value-text';
import {
  ACTIVATE_SPEC,
  DEACTIVATE_SPEC,
  PREVIEW,
  PROFILE_TOPIC,
  RAW_TOPIC,
  RAW_TOPICS,
  REGISTER_SPEC,
  REGISTER_SUBJECT,
  ROLLBACK_SPEC,
  SOURCE_TOPICS,
  SPEC_HISTORY,
  SPEC_VERSIONS,
  SPECS,
  SUBJECT_SCHEMA,
  SUBJECTS,
  TRANSFORMS,
  type MappingTransform,
  type PreviewRecord,
  type RawFieldStats,
  type RawTopicDetail,
  type RawTopicSummary,
  type SchemaSubject,
  type SpecActivation,
  type SpecPreview,
  type SpecVersion,
  type TransformArg,
} from './operations';

/**
 * The studio's page script (DOM code, no framework). Everything it knows comes from the public
 * GraphQL API of the page's own origin.
 *
 * Rendering: lists and tables are rebuilt from the state; text fields update the state as typed
 * (without a rebuild, so focus and caret stay), selects and buttons rebuild the mapping table and
 * put focus back on the control with the same id. Every change schedules one debounced update:
 * the JSON panel, then a dry run (previewMappingSpec) whose answer is dropped if a newer one was
 * asked for meanwhile.
 */
const config = pageConfig<{ endpointPath: string }>('canonql-studio-config');
const endpoint = new URL(config.endpointPath, window.location.href).href;
const request = createClient(endpoint);
const PREVIEW_DEBOUNCE_MS = 400;

const input = (id: string) => byId(id, HTMLInputElement);
const select = (id: string) => byId(id, HTMLSelectElement);
const button = (id: string) => byId(id, HTMLButtonElement);
const textarea = (id: string) => byId(id, HTMLTextAreaElement);
const node = (id: string) => byId(id, HTMLElement);
const tbody = (tableId: string) => within(node(tableId), 'tbody', HTMLTableSectionElement);
const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** A table body with one row saying why it is empty (or nothing when it has rows). */
function emptyState(body: HTMLTableSectionElement, columns: number, text: string): void {
  if (body.rows.length === 0) body.appendChild(el('tr', { className: 'empty' }, [el('td', { colspan: columns, text })]));
}

/** Where a step's outcome shows: its status line and its problem list. */
interface Panel {
  readonly status: string;
  readonly problems: string;
}
const SUBJECT_PANEL: Panel = { status: 'subject-status', problems: 'subject-problems' };
const LIFECYCLE_PANEL: Panel = { status: 'lifecycle-status', problems: 'problems' };

// ---- the page's state -------------------------------------------------------------------------

interface PageState {
  transforms: MappingTransform[];
  topics: RawTopicSummary[];
  /** rawTopic(topic) of the selected topic. */
  raw: RawTopicDetail | null;
  subjects: SchemaSubject[];
  canonicalSchema: JsonObject | null;
  fields: CanonicalField[];
  /** Every registered spec version. */
  specs: SpecVersion[];
  /** The versions of the spec being edited. */
  versions: SpecVersion[];
  history: SpecActivation[];
  model: M.StudioState;
  preview: SpecPreview | null;
  previewSeq: number;
  timer: number | null;
  /** Validation problems of the spec as built now (from the last dry run). */
  problems: string[];
  /** A canonical schema drafted in step 2 and not registered (yet): mapped and previewed against. */
  draft: { subject: string; schema: JsonObject } | null;
  /** The subject name whose schema was last drafted from the raw topic: its fields are auto-mapped once it is in use. */
  draftedFromTopic: string | null;
}

const S: PageState = {
  transforms: [],
  topics: [],
  raw: null,
  subjects: [],
  canonicalSchema: null,
  fields: [],
  specs: [],
  versions: [],
  history: [],
  model: M.newState({}),
  preview: null,
  previewSeq: 0,
  timer: null,
  problems: [],
  draft: null,
  draftedFromTopic: null,
};

function showProblems(container: HTMLElement, title: string | null, problems: readonly Problem[]): void {
  const list = clear(within(container, 'ul', HTMLUListElement));
  if (title !== null) within(container, 'h3', HTMLHeadingElement).textContent = title;
  for (const p of problems) list.appendChild(el('li', { 'data-code': p.code }, [el('code', { text: p.code }), ' ', p.text]));
  container.hidden = problems.length === 0;
}

function setStatus(id: string, text: string, isError = false): void {
  const status = node(id);
  status.textContent = text;
  status.className = isError ? 'status-error' : '';
}

// ---- admin key --------------------------------------------------------------------------------

/** Actions that change what canonql runs are disabled without a key, the hint next to them says why. */
function renderKeyStatus(): void {
  const key = adminKey() !== '';
  node('key-status').textContent = key ? 'Key set for this tab: changes allowed.' : 'No key: read-only.';
  document.body.setAttribute('data-admin', key ? 'true' : 'false');
  node('admin-hint').hidden = key;
  for (const control of document.querySelectorAll<HTMLButtonElement>('button.admin-only')) {
    // A version already active stays disabled whatever the key.
    control.disabled = !key || control.getAttribute('data-active') === 'true';
    control.title = key ? '' : 'Needs an admin key (Admin key, at the top of the page)';
  }
}
byId('key-form', HTMLFormElement).addEventListener('submit', (event) => {
  event.preventDefault();
  setAdminKey(input('admin-key').value.trim());
  input('admin-key').value = '';
  renderKeyStatus();
});
button('forget-key').addEventListener('click', () => {
  setAdminKey('');
  renderKeyStatus();
});

// ---- 1. raw topics ----------------------------------------------------------------------------

async function loadTopics(): Promise<void> {
  const data = await request(RAW_TOPICS, {});
  S.topics = [...data.catalog.rawTopics].sort((a, b) => (a.topic < b.topic ? -1 : 1));
  renderTopicSelect();
}

/** Kafka topics neither read by a spec nor profiled yet: what an admin may ask to profile. */
async function loadSourceTopics(): Promise<void> {
  const data = await request(SOURCE_TOPICS, {});
  const profiled = new Set(S.topics.map((t) => t.topic));
  const list = clear(select('source-topic-select'));
  const candidates = data.catalog.sourceTopics.filter((t) => !t.readBySpecs.length && !t.profiledOnly && !profiled.has(t.topic));
  list.appendChild(option('', candidates.length ? 'Choose a Kafka topic' : 'Every topic is profiled already', true));
  for (const t of candidates) list.appendChild(option(t.topic, t.topic));
}

button('profile-topic').addEventListener('click', () => {
  const topic = select('source-topic-select').value;
  if (!topic) {
    setStatus('profile-status', 'Choose a Kafka topic first.', true);
    return;
  }
  setStatus('profile-status', `Asking discovery to profile ${topic}…`);
  request(PROFILE_TOPIC, { topic })
    .then(() => {
      setStatus('profile-status', `${topic} is being profiled from its beginning; its fields appear in the list above within seconds (Reload statistics).`);
      S.model.topic = topic;
      renderTopicSelect();
      return loadSourceTopics();
    })
    .catch((error: unknown) => {
      setStatus(
        'profile-status',
        `Not profiled: ${problemsOf(error)
          .map((p) => `${p.code} ${p.text}`)
          .join('; ')}`,
        true,
      );
    });
});

function renderTopicSelect(): void {
  const list = clear(select('topic-select'));
  list.appendChild(option('', S.topics.length ? 'Choose a raw topic' : 'No profiled raw topics yet', !S.model.topic));
  let known = false;
  for (const t of S.topics) {
    if (t.topic === S.model.topic) known = true;
    list.appendChild(option(t.topic, `${t.topic} (raw schema v${t.currentVersion ?? 0}, ${t.sampled} records profiled)`, t.topic === S.model.topic));
  }
  if (S.model.topic && !known) list.appendChild(option(S.model.topic, `${S.model.topic} (not profiled yet)`, true));
}

async function loadRawTopic(topic: string): Promise<void> {
  if (!topic) {
    S.raw = null;
    renderRaw();
    return;
  }
  const section = node('topic-section');
  section.setAttribute('aria-busy', 'true');
  node('topic-summary').textContent = `Loading the fields of ${topic}…`;
  try {
    const data = await request(RAW_TOPIC, { topic });
    S.raw = data.catalog.rawTopic;
  } finally {
    section.removeAttribute('aria-busy');
  }
  renderRaw();
  renderMappingTable();
}

function renderRaw(): void {
  const body = clear(tbody('raw-fields'));
  const versions = clear(node('topic-versions'));
  const raw = S.raw;
  if (!raw) {
    emptyState(body, 5, S.model.topic ? 'No fields profiled yet.' : 'Choose a raw topic to see the fields discovery inferred.');
    node('topic-summary').textContent = S.model.topic
      ? `${S.model.topic} has not been profiled yet: no inferred fields or samples until discovery has read it (Reload statistics).`
      : 'Raw topics appear here once discovery has profiled them: an active spec reads them, or an admin asked to profile them (above).';
    return;
  }
  node('topic-summary').textContent =
    `${raw.topic}: ${raw.sampled} records profiled, raw schema version ${raw.currentVersion ?? 0}${raw.lastSeen ? `, last seen ${raw.lastSeen}` : ''}.`;
  for (const v of raw.versions) {
    const parts: string[] = [];
    if (v.changes.added.length) parts.push(`added ${v.changes.added.join(', ')}`);
    if (v.changes.removed.length) parts.push(`removed ${v.changes.removed.join(', ')}`);
    for (const c of v.changes.typeChanged) parts.push(`${c.path} ${c.from.join('|')} → ${c.to.join('|')}`);
    versions.appendChild(el('li', { text: `v${v.version} (${v.recordedAt}): ${parts.join('; ') || 'no change'}` }));
  }
  for (const f of raw.fields) {
    const shares = typeShares(f.types);
    const typeCell = el(
      'td',
      { className: shares.length > 1 ? 'mixed' : '' },
      shares.map((s) => el('span', { className: 'share', text: `${s.type} ${percent(s.share)}` })),
    );
    body.appendChild(
      el('tr', { 'data-path': f.path }, [
        el('th', { scope: 'row' }, [el('code', { text: f.path })]),
        typeCell,
        presenceCell(f),
        el('td', { className: 'num', text: percent(f.nullRate) }),
        el(
          'td',
          { className: 'examples' },
          f.examples.flatMap((x, i) => [i > 0 ? ', ' : null, el('code', { className: 'example', text: JSON.stringify(x) })]),
        ),
      ]),
    );
  }
  emptyState(body, 5, 'No fields profiled yet.');
}

/** Presence counts full row images; a field seen only in partial updates says so instead of 0%. */
function presenceCell(f: RawFieldStats): HTMLTableCellElement {
  if (f.presence === 0 && f.inPartialUpdates > 0) {
    return el('td', { className: 'num', 'data-partial-only': 'true', title: 'No full row image carried it: presence counts full images only' }, [
      el('span', { text: `in ${plural(f.inPartialUpdates, 'partial update')} only` }),
    ]);
  }
  return el('td', { className: 'num', text: percent(f.presence) });
}

select('topic-select').addEventListener('change', () => {
  S.model.topic = select('topic-select').value;
  loadRawTopic(S.model.topic).catch(reportLoadError);
  changed();
});
button('reload-topic').addEventListener('click', () => {
  loadTopics()
    .then(() => loadRawTopic(S.model.topic))
    .then(() => changed())
    .catch(reportLoadError);
});

// ---- 2. canonical subjects --------------------------------------------------------------------

async function loadSubjects(): Promise<void> {
  const data = await request(SUBJECTS, {});
  S.subjects = [...data.catalog.schemaSubjects].sort((a, b) => (a.subject < b.subject ? -1 : 1));
  renderSubjectSelect();
}

function renderSubjectSelect(): void {
  const list = clear(select('subject-select'));
  list.appendChild(option('', 'Choose a subject', !S.model.subject));
  let known = false;
  for (const s of S.subjects) {
    if (s.subject === S.model.subject) known = true;
    list.appendChild(option(s.subject, `${s.subject} (schema v${s.latestVersion}${s.deprecated ? ', deprecated' : ''})`, s.subject === S.model.subject));
  }
  if (S.draft && !S.subjects.some((s) => s.subject === S.draft?.subject)) {
    list.appendChild(option(S.draft.subject, `${S.draft.subject} (draft, not registered)`, S.draft.subject === S.model.subject));
    if (S.draft.subject === S.model.subject) known = true;
  }
  if (S.model.subject && !known) list.appendChild(option(S.model.subject, `${S.model.subject} (not registered)`, true));
}

async function loadSubject(subject: string): Promise<void> {
  if (!subject) {
    S.canonicalSchema = null;
    S.fields = [];
    renderFields();
    renderMappingTable();
    return;
  }
  if (S.draft?.subject === subject) {
    useSchema(S.draft.schema);
    return;
  }
  const data = await request(SUBJECT_SCHEMA, { subject });
  useSchema(data.catalog.schemaVersion ? data.catalog.schemaVersion.schema : null);
}

/** The canonical schema the mapping is built against: its fields become rows (auto-mapped when it was drafted from the topic). */
function useSchema(schema: JsonObject | null): void {
  S.canonicalSchema = schema;
  S.fields = canonicalFields(schema);
  S.model.rows = M.syncRows(S.model.rows, S.fields);
  if (S.draftedFromTopic === S.model.subject && S.raw) {
    S.draftedFromTopic = null;
    reportAutoMap(autoMap(S.model.rows, S.raw.fields));
  }
  renderFields();
  renderKeySelect();
  renderMappingTable();
}

function reportAutoMap(filled: readonly M.Row[]): void {
  node('mapping-status').textContent = filled.length
    ? `Mapped ${plural(filled.length, 'field')} to the raw field of the same name: ${filled.map((r) => `${r.dst} ← ${r.src}`).join(', ')}.`
    : 'No unmapped field has a raw field of the same name.';
}

function renderFields(): void {
  const body = clear(tbody('canonical-fields'));
  for (const f of S.fields) {
    const detail =
      f.types.join(' | ') + (f.format ? ` (${f.format})` : '') + (f.decimal ? ' (Decimal)' : '') + (f.enumValues ? ` ∈ ${f.enumValues.join(', ')}` : '');
    body.appendChild(
      el('tr', { 'data-path': f.path }, [
        el('th', { scope: 'row' }, [el('code', { text: f.path })]),
        el('td', { text: detail }),
        el('td', { text: f.required ? 'required' : '' }),
        el('td', { text: f.description ?? '' }),
      ]),
    );
  }
  emptyState(body, 4, 'Choose a subject, or create one from the raw topic.');
}

select('subject-select').addEventListener('change', () => {
  S.model.subject = select('subject-select').value;
  if (!S.model.mappingId && S.model.subject) {
    S.model.mappingId = `${S.model.subject}-canonicalization`;
    input('mapping-id').value = S.model.mappingId;
    loadVersions().catch(reportLoadError);
  }
  loadSubject(S.model.subject)
    .then(() => changed())
    .catch(reportLoadError);
});

button('draft-schema').addEventListener('click', () => {
  showProblems(node('subject-problems'), null, []);
  if (!S.raw) {
    setStatus('subject-status', 'Choose a profiled raw topic first: the draft is made from its inferred fields.', true);
    return;
  }
  // The topic's last part, in the singular by the subject-name rule (raw.pg.invoices → invoice).
  const last = (S.raw.topic.split('.').pop() ?? '').toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const name = input('new-subject-name');
  if (!name.value) name.value = /^[a-z]/.test(last) ? subjectNoun(last).one : `subject_${last}`;
  const title = name.value.charAt(0).toUpperCase() + name.value.slice(1);
  textarea('new-subject-schema').value = JSON.stringify(draftSchema(S.raw.fields, title), null, 2);
  S.draftedFromTopic = name.value.trim();
  setStatus('subject-status', `Drafted from ${S.raw.topic}: edit it, then map against it or register it. Fields named like raw fields are mapped to them.`);
});

/** The subject name and schema typed in step 2, or every problem with them (shown in step 2). */
function subjectForm(): { subject: string; schema: JsonObject } | null {
  const subject = input('new-subject-name').value.trim();
  const problems: Problem[] = subjectNameProblems(subject).map((text) => ({ code: 'BAD_USER_INPUT', text }));
  let schema: unknown = null;
  try {
    schema = JSON.parse(textarea('new-subject-schema').value);
    if (!isObject(schema)) problems.push({ code: 'BAD_USER_INPUT', text: 'schema: must be a JSON object (a JSON Schema 2020-12 document)' });
  } catch (error) {
    problems.push({ code: 'BAD_USER_INPUT', text: `schema: not JSON: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (problems.length || !isObject(schema)) {
    showProblems(node('subject-problems'), `Subject not valid (${plural(problems.length, 'problem')})`, problems);
    setStatus('subject-status', 'Fix the subject name or schema first.', true);
    node('subject-problems').focus();
    return null;
  }
  showProblems(node('subject-problems'), null, []);
  return { subject, schema };
}

button('use-draft').addEventListener('click', () => {
  const form = subjectForm();
  if (!form) return;
  S.draft = form;
  S.model.subject = form.subject;
  if (!S.model.mappingId) S.model.mappingId = `${form.subject}-canonicalization`;
  renderSubjectSelect();
  renderMetaForm();
  useSchema(form.schema);
  setStatus('subject-status', `Mapping against the draft of ${form.subject} (not registered): the preview checks records against it.`);
  loadVersions()
    .then(() => changed())
    .catch(reportLoadError);
});

button('register-subject').addEventListener('click', () => {
  const form = subjectForm();
  if (!form) return;
  const { subject, schema } = form;
  runAction(`Registering subject ${subject}…`, () => request(REGISTER_SUBJECT, { subject, schema }), 'Subject rejected', SUBJECT_PANEL)
    .then(async (data) => {
      if (!data) return;
      const registered = data.registerCanonicalSchema;
      setStatus('subject-status', `Registered subject ${registered.subject} (schema v${registered.version}).`);
      if (S.draft?.subject === registered.subject) S.draft = null;
      S.model.subject = registered.subject;
      if (!S.model.mappingId) {
        S.model.mappingId = `${S.model.subject}-canonicalization`;
        input('mapping-id').value = S.model.mappingId;
      }
      byId('new-subject', HTMLDetailsElement).open = false;
      await loadSubjects();
      await loadSubject(S.model.subject);
      await loadVersions();
      changed();
    })
    .catch(reportLoadError);
});

// ---- 3. mapping -------------------------------------------------------------------------------

function transformByName(name: string): MappingTransform | null {
  return S.transforms.find((t) => t.name === name) ?? null;
}
function fieldByPath(path: string): CanonicalField | null {
  const key = M.normalizePath(path);
  return S.fields.find((f) => M.normalizePath(f.path) === key) ?? null;
}
function rawField(path: string): RawFieldStats | null {
  const key = M.normalizePath(path);
  return S.raw?.fields.find((f) => M.normalizePath(f.path) === key) ?? null;
}
function rawLabel(f: RawFieldStats): string {
  return `${f.path} — ${typeShares(f.types)
    .map((s) => `${s.type} ${percent(s.share)}`)
    .join(', ')}`;
}

button('auto-map').addEventListener('click', () => {
  if (!S.raw) {
    node('mapping-status').textContent = 'Choose a raw topic first.';
    return;
  }
  reportAutoMap(autoMap(S.model.rows, S.raw.fields));
  renderMappingTable();
  changed();
});

function renderMetaForm(): void {
  const m = S.model;
  input('mapping-id').value = m.mappingId;
  input('spec-version').value = m.version === null ? '' : String(m.version);
  input('spec-description').value = m.description;
  select('delete-mode').value = m.deleteMode;
  renderKeySelect();
  renderVersionHint();
}

function renderKeySelect(): void {
  const list = clear(select('spec-key'));
  const current = S.model.key === undefined || S.model.key === null ? '' : JSON.stringify(S.model.key);
  const choices: [string, string][] = [
    ['', 'not set (the Debezium record key)'],
    [JSON.stringify({ source: true }), 'the Debezium record key ({"source": true})'],
  ];
  for (const f of S.fields) if (!f.path.includes('[*]')) choices.push([JSON.stringify({ fields: [f.path] }), `canonical field ${f.path}`]);
  if (current && !choices.some((c) => c[0] === current)) choices.push([current, `as loaded: ${current}`]);
  for (const [value, label] of choices) list.appendChild(option(value, label, value === current));
}

function renderVersionHint(): void {
  const registered = S.versions.map((v) => v.version);
  const max = registered.length ? Math.max(...registered) : 0;
  const version = S.model.version;
  node('version-hint').textContent =
    version !== null && registered.includes(version)
      ? `v${version} is registered; an edit makes this v${max + 1}.`
      : registered.length
        ? `New version (latest registered: v${max}).`
        : 'No version of this mapping id is registered yet.';
}

input('mapping-id').addEventListener('input', () => {
  S.model.mappingId = input('mapping-id').value.trim();
  changed();
});
input('mapping-id').addEventListener('change', () => {
  loadVersions()
    .then(() => changed())
    .catch(reportLoadError);
});
input('spec-version').addEventListener('input', () => {
  const text = input('spec-version').value.trim();
  S.model.version = text === '' ? null : Number(text);
  renderVersionHint();
  changed({ keepVersion: true });
});
input('spec-description').addEventListener('input', () => {
  S.model.description = input('spec-description').value;
  changed();
});
select('spec-key').addEventListener('change', () => {
  const value = select('spec-key').value;
  S.model.key = value === '' ? undefined : (JSON.parse(value) as unknown);
  changed();
});
select('delete-mode').addEventListener('change', () => {
  S.model.deleteMode = select('delete-mode').value;
  changed();
});

/**
 * Rebuilds the mapping table and puts focus back on the control that had it. Removing a focused
 * field fires its blur and change events, whose handlers may ask for a rebuild: that one is
 * skipped, the rebuild under way shows the same state.
 */
let renderingTable = false;
function renderMappingTable(): void {
  if (renderingTable) return;
  renderingTable = true;
  try {
    const focused = document.activeElement?.id;
    const body = clear(tbody('mapping-table'));
    const mismatches = S.preview ? S.preview.typeMismatches : [];
    const problems = M.problemsByRow(S.model.rows, S.problems);
    for (const row of S.model.rows) body.appendChild(renderRow(row, mismatches, problems[row.id] ?? []));
    emptyState(body, 5, 'Choose a subject: one row per canonical field appears here.');
    const again = focused ? document.getElementById(focused) : null;
    if (again && document.activeElement !== again) again.focus();
  } finally {
    renderingTable = false;
  }
}

function renderRow(row: M.Row, mismatches: SpecPreview['typeMismatches'], problems: readonly string[]): HTMLTableRowElement {
  const field = fieldByPath(row.dst);
  const rowMismatches = M.mismatchesFor(row, mismatches);
  const checks: HTMLElement[] = [];
  for (const p of problems) {
    checks.push(
      el('span', { className: 'badge bad', 'data-check': 'problem', text: p.replace(/^(fieldMappings\[\d+\]|defaults(\.[\w$]+|\[[^\]]*\]))[.:]?\s*/, '') }),
    );
  }
  for (const m of rowMismatches) checks.push(el('span', { className: 'badge bad', 'data-check': 'type-mismatch', text: `type mismatch: ${m.message}` }));
  const failing = failuresOf(row);
  if (failing.length && S.preview) {
    const first = failing[0]!;
    checks.push(
      el('span', {
        className: 'badge bad',
        'data-check': 'record-failures',
        title: first.errors.join('\n'),
        text: `fails on ${failing.length} of ${plural(S.preview.records.length, 'sampled record')}: ${first.errors[0] ?? first.errorCode ?? 'error'}`,
      }),
    );
  }
  if (row.src && S.raw && !rawField(row.src)) checks.push(el('span', { className: 'badge warn', 'data-check': 'missing-source', text: 'not in the raw data' }));
  if (!field && row.dst) checks.push(el('span', { className: 'badge warn', 'data-check': 'unknown-field', text: 'not in the canonical schema' }));
  if (field?.required && !M.rowIsUsed(row)) checks.push(el('span', { className: 'badge bad', 'data-check': 'required', text: 'required, unmapped' }));
  if (!checks.length && M.rowIsUsed(row)) checks.push(el('span', { className: 'badge ok', text: 'ok' }));

  const fieldCell = el('th', { scope: 'row' }, [
    el('code', { id: `dst-${row.id}`, text: row.dst }),
    el('div', {
      className: 'hint',
      text: field ? field.types.join(' | ') + (field.decimal ? ' (Decimal)' : '') + (field.format ? ` (${field.format})` : '') : '',
    }),
  ]);

  const srcSelect = el('select', {
    id: `src-${row.id}`,
    'aria-label': `Source path for ${row.dst}`,
    onchange: () => {
      row.src = srcSelect.value;
      renderMappingTable();
      changed();
    },
  });
  srcSelect.appendChild(option('', '(no source)', !row.src));
  let listed = false;
  for (const f of S.raw?.fields ?? []) {
    if (f.path === row.src) listed = true;
    srcSelect.appendChild(option(f.path, rawLabel(f), f.path === row.src));
  }
  if (row.src && !listed) srcSelect.appendChild(option(row.src, `${row.src} (not in the raw data)`, true));

  const steps = el('div', { className: 'steps' });
  row.steps.forEach((step, index) => steps.appendChild(renderStep(row, step, index)));
  steps.appendChild(
    el('button', {
      type: 'button',
      id: `add-step-${row.id}`,
      'aria-label': `Add a transform to ${row.dst}`,
      text: row.steps.length ? '+ transform' : '+ add transform',
      onclick: () => {
        row.steps.push({ name: '', args: {} });
        renderMappingTable();
        document.getElementById(`step-${row.id}-${row.steps.length - 1}`)?.focus();
      },
    }),
  );

  const defaultInput = el('input', {
    id: `default-${row.id}`,
    'aria-label': `Default for ${row.dst}`,
    placeholder: row.src ? 'when null or absent' : 'constant',
    spellcheck: 'false',
    value: row.hasDefault ? formatValueText(row.defaultValue) : '',
  });
  defaultInput.addEventListener('input', () => {
    const parsed = parseValueText(defaultInput.value);
    row.hasDefault = parsed.has;
    row.defaultValue = parsed.has ? parsed.value : undefined;
    changed();
  });
  defaultInput.addEventListener('change', renderMappingTable);

  return el('tr', { 'data-dst': row.dst, 'data-row': row.id, className: (M.rowIsUsed(row) ? '' : 'unused') + (rowMismatches.length ? ' mismatch' : '') }, [
    fieldCell,
    el('td', null, [srcSelect]),
    el('td', null, [steps]),
    el('td', null, [defaultInput]),
    el('td', { 'data-checks': row.id }, checks),
  ]);
}

/** The sampled records of the last preview that fail on this row's field. */
function failuresOf(row: M.Row): PreviewRecord[] {
  if (!S.preview || !row.dst) return [];
  const field = M.normalizePath(row.dst);
  return S.preview.records.filter((r) => r.status === 'error' && r.fields.includes(field));
}

function renderStep(row: M.Row, step: StepState, index: number): HTMLDivElement {
  const prefix = `step-${row.id}-${index}`;
  const stepSelect = el('select', {
    id: prefix,
    'aria-label': `Transform ${index + 1} for ${row.dst}`,
    onchange: () => {
      step.name = stepSelect.value;
      step.args = {};
      renderMappingTable();
      changed();
    },
  });
  stepSelect.appendChild(option('', '(choose a transform)', !step.name));
  let known = false;
  for (const t of S.transforms) {
    if (t.name === step.name) known = true;
    stepSelect.appendChild(option(t.name, t.name, t.name === step.name));
  }
  if (step.name && !known) stepSelect.appendChild(option(step.name, `${step.name} (unknown)`, true));
  const transform = transformByName(step.name);
  if (transform) stepSelect.title = transform.description;

  const args = el('div', { className: 'args' });
  for (const arg of transform?.args ?? []) args.appendChild(renderArg(row, step, index, arg));
  // Arguments the engine does not declare (kept as loaded, reported by the validation).
  for (const name of Object.keys(step.args)) {
    if (transform?.args.some((a) => a.name === name)) continue;
    args.appendChild(
      renderArg(row, step, index, { name, type: 'any', required: false, description: `not an argument of ${step.name}`, values: null, default: null }),
    );
  }
  const remove = el('button', {
    type: 'button',
    id: `${prefix}-remove`,
    'aria-label': `Remove transform ${index + 1} of ${row.dst}`,
    text: 'Remove',
    onclick: () => {
      row.steps.splice(index, 1);
      renderMappingTable();
      changed();
      document.getElementById(`add-step-${row.id}`)?.focus();
    },
  });
  return el('div', { className: 'step' }, [stepSelect, args, remove]);
}

function renderArg(row: M.Row, step: StepState, index: number, arg: TransformArg): HTMLSpanElement {
  const id = `arg-${row.id}-${index}-${arg.name}`;
  const label = el('label', { for: id, title: arg.description, text: arg.name + (arg.required ? ' *' : '') });
  const current = step.args[arg.name];
  let control: HTMLSelectElement | HTMLInputElement;
  if (arg.values?.length || arg.type === 'boolean') {
    const values = arg.type === 'boolean' ? ['true', 'false'] : (arg.values ?? []);
    const choice = el('select', { id, title: arg.description });
    choice.appendChild(
      option('', arg.default !== null && arg.default !== undefined ? `(default ${JSON.stringify(arg.default)})` : '(not set)', current === undefined),
    );
    for (const v of values) choice.appendChild(option(v, v, String(current) === v));
    choice.addEventListener('change', () => {
      setArg(step, arg, choice.value);
      changed();
    });
    control = choice;
  } else {
    const text = el('input', {
      id,
      title: arg.description,
      spellcheck: 'false',
      value: formatArgText(current, arg.type),
      placeholder: arg.type === 'object' ? '{"from": "TO"}' : arg.type === 'paths' ? '$.a, $.b' : arg.type,
    });
    text.addEventListener('input', () => {
      setArg(step, arg, text.value);
      changed();
    });
    control = text;
  }
  return el('span', { className: 'arg' }, [label, ' ', control]);
}

function setArg(step: StepState, arg: TransformArg, text: string): void {
  const parsed = parseArgText(text, arg.type);
  if (parsed.has) step.args[arg.name] = parsed.value;
  else delete step.args[arg.name];
}

// ---- updates: JSON panel and live preview -----------------------------------------------------

function registeredVersion(version: number | null): SpecVersion | null {
  return S.versions.find((v) => v.version === version) ?? null;
}

/** An edit of a registered version makes the spec the next version: saving always adds one. */
function bumpIfRegistered(): void {
  const registered = registeredVersion(S.model.version);
  if (!registered) return;
  if (JSON.stringify(M.buildSpec(S.model)) === JSON.stringify(registered.spec)) return;
  S.model.version = Math.max(...S.versions.map((v) => v.version)) + 1;
  input('spec-version').value = String(S.model.version);
  renderVersionHint();
}

function changed(options: { keepVersion?: boolean } = {}): void {
  if (!options.keepVersion) bumpIfRegistered();
  textarea('spec-json').value = M.specJson(M.buildSpec(S.model));
  if (S.timer !== null) window.clearTimeout(S.timer);
  node('preview-status').setAttribute('data-state', 'pending');
  S.timer = window.setTimeout(runPreview, PREVIEW_DEBOUNCE_MS);
}

function runPreview(): void {
  S.timer = null;
  const seq = ++S.previewSeq;
  const status = node('preview-status');
  const spec = M.buildSpec(S.model);
  const settle = (state: string) => {
    status.setAttribute('data-state', state);
    status.setAttribute('data-seq', String(seq));
  };
  if (!S.model.topic || !S.model.subject || !(spec.fieldMappings as unknown[]).length) {
    S.preview = null;
    S.problems = [];
    renderPreview();
    showProblems(node('preview-problems'), null, []);
    status.textContent = 'Choose a raw topic, a subject and map at least one field to see a preview.';
    settle('idle');
    return;
  }
  status.textContent = 'Previewing…';
  const draft = S.draft?.subject === S.model.subject ? S.draft.schema : null;
  request(PREVIEW, { spec, last: 20, schema: draft }).then(
    (data) => {
      if (seq !== S.previewSeq) return;
      const p = data.catalog.previewMappingSpec;
      S.preview = p;
      S.problems = [];
      showProblems(node('preview-problems'), null, []);
      status.textContent =
        `Preview of ${p.records.length} sampled records: ${p.mapped} mapped, ${p.failed} failed, ${p.skipped} skipped` +
        (p.typeMismatches.length ? `; ${plural(p.typeMismatches.length, 'type mismatch', 'type mismatches')}` : '') +
        (draft ? ' (against the draft schema)' : '') +
        '.';
      settle('done');
      renderPreview();
      renderMappingTable();
    },
    (error: unknown) => {
      if (seq !== S.previewSeq) return;
      S.preview = null;
      const problems = problemsOf(error);
      S.problems = problems.map((p) => p.text);
      renderPreview();
      renderMappingTable();
      showProblems(node('preview-problems'), `The spec is not valid (${plural(problems.length, 'problem')})`, problems);
      status.textContent = 'No preview: the spec is not valid.';
      settle('invalid');
    },
  );
}

function renderPreview(): void {
  const body = clear(tbody('preview-table'));
  const coverage = clear(node('coverage'));
  const p = S.preview;
  if (!p) {
    emptyState(
      body,
      6,
      S.problems.length ? 'No preview: the spec is not valid (problems above).' : 'No preview yet: choose a raw topic and a subject, and map a field.',
    );
    return;
  }
  const list = (title: string, items: readonly string[], className: string) => {
    if (!items.length) return;
    coverage.appendChild(
      el('p', { className: 'hint' }, [el('strong', { text: `${title}: ` }), ...items.map((i) => el('span', { className: `badge ${className}`, text: i }))]),
    );
  };
  list('Source fields read', p.coveredSourceFields, 'ok');
  list('Source fields not mapped', p.unmappedSourceFields, 'warn');
  list('Source fields read but never seen', p.missingSourceFields, 'bad');
  list(
    'Type mismatches',
    p.typeMismatches.map((m) => m.message),
    'bad',
  );
  for (const r of p.records) {
    body.appendChild(
      el('tr', { 'data-status': r.status, 'data-offset': r.offset }, [
        el('td', { text: `${r.partition}:${r.offset}` }),
        el('td', { text: r.op ?? '' }),
        el('td', { className: 'mono', text: r.key ?? '' }),
        el('td', { className: `status-${r.status}`, text: r.status }),
        el('td', null, [
          el('pre', { text: r.canonical ? JSON.stringify(r.canonical, null, 1) : '' }),
          r.unset.length ? el('div', { className: 'hint', text: `unset: ${r.unset.join(', ')}` }) : null,
        ]),
        el('td', null, [
          el(
            'ul',
            null,
            r.errors.map((e) => el('li', { text: (r.errorCode ? `${r.errorCode}: ` : '') + e })),
          ),
        ]),
      ]),
    );
  }
  emptyState(body, 6, 'The topic has no sampled records yet.');
}

// ---- 5. versions and lifecycle ----------------------------------------------------------------

async function loadSpecs(): Promise<void> {
  const data = await request(SPECS, {});
  S.specs = data.catalog.mappingSpecs;
  const list = clear(select('spec-load'));
  list.appendChild(option('', S.specs.length ? 'Choose a registered spec version' : 'No registered specs', true));
  const sorted = [...S.specs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version));
  for (const s of sorted) {
    list.appendChild(option(`${s.id}@${s.version}`, `${s.id} v${s.version}${s.active ? ' (active)' : ''} → ${s.subject} from ${s.topics.join(', ')}`));
  }
}

async function loadVersions(): Promise<void> {
  const id = S.model.mappingId;
  if (!id) {
    S.versions = [];
    renderVersions();
    return;
  }
  const [versions, history] = await Promise.all([request(SPEC_VERSIONS, { id }), request(SPEC_HISTORY, { id })]);
  if (id !== S.model.mappingId) return;
  S.versions = [...versions.catalog.mappingSpecs].sort((a, b) => a.version - b.version);
  S.history = history.catalog.mappingSpecHistory;
  renderVersions();
  renderVersionHint();
}

function activeVersion(): number | null {
  return S.versions.find((v) => v.active)?.version ?? null;
}

function renderVersions(): void {
  const body = clear(tbody('versions-table'));
  for (const v of S.versions) {
    body.appendChild(
      el('tr', { 'data-version': String(v.version), 'data-active': v.active ? 'true' : 'false' }, [
        el('th', { scope: 'row', text: `v${v.version}` }),
        el('td', { text: v.active ? 'active' : 'inactive' }),
        el('td', { text: v.registeredAt }),
        el('td', { text: v.origin }),
        el('td', null, [
          el('button', { type: 'button', id: `load-version-${v.version}`, text: `Load v${v.version}`, onclick: () => void loadSpecVersion(v) }),
          ' ',
          el('button', {
            type: 'button',
            id: `activate-version-${v.version}`,
            className: 'admin-only',
            'aria-describedby': 'admin-hint',
            'data-active': v.active ? 'true' : 'false',
            text: `Activate v${v.version}`,
            disabled: v.active || !adminKey(),
            onclick: () => activate(v.version),
          }),
        ]),
      ]),
    );
  }
  emptyState(body, 5, S.model.mappingId ? `No version of ${S.model.mappingId} is registered yet.` : 'Give the mapping an id to see its versions.');
  node('spec-history').textContent = S.history.length
    ? `History: ${S.history.map((h) => h.action + (h.version === null ? '' : ` v${h.version}`)).join(' → ')}`
    : '';
}

/** Runs a mutation: status while it runs, every problem on failure (resolves to undefined then). */
async function runAction<T>(pending: string, call: () => Promise<T>, rejectedTitle: string, panel: Panel = LIFECYCLE_PANEL): Promise<T | undefined> {
  setStatus(panel.status, pending);
  showProblems(node(panel.problems), null, []);
  try {
    return await call();
  } catch (error) {
    const problems = problemsOf(error);
    showProblems(node(panel.problems), `${rejectedTitle} (${plural(problems.length, 'problem')})`, problems);
    setStatus(panel.status, `${rejectedTitle}.`, true);
    node(panel.problems).focus();
    return undefined;
  }
}

async function afterLifecycle(message: string): Promise<void> {
  setStatus('lifecycle-status', message);
  await Promise.all([loadVersions(), loadSpecs(), loadTopics()]);
  renderTopicSelect();
}

button('save-spec').addEventListener('click', () => {
  const spec = M.buildSpec(S.model);
  runAction(`Saving ${String(spec.mappingId)} v${String(spec.version)}…`, () => request(REGISTER_SPEC, { spec }), 'Spec rejected')
    .then(async (data) => {
      if (!data) return;
      const saved = data.registerMappingSpec;
      S.model = M.stateFromSpec(saved.spec, S.fields);
      renderMetaForm();
      renderMappingTable();
      await afterLifecycle(`Saved ${saved.id} v${saved.version} (inactive until activated).`);
      changed();
    })
    .catch(reportLoadError);
});

function activate(version: number | null): void {
  const id = S.model.mappingId;
  if (version === null) {
    showProblems(node('problems'), 'Nothing to activate', [{ code: 'BAD_USER_INPUT', text: 'version: give the version to activate' }]);
    return;
  }
  const expected = activeVersion();
  runAction(`Activating ${id} v${String(version)}…`, () => request(ACTIVATE_SPEC, { id, version, expected }), 'Activation rejected')
    .then(async (data) => {
      if (data) await afterLifecycle(`Activated ${id} v${data.activateMappingSpec.version}: ingestion now maps ${S.model.topic} with it.`);
    })
    .catch(reportLoadError);
}

button('activate-spec').addEventListener('click', () => activate(S.model.version));

button('rollback-spec').addEventListener('click', () => {
  const id = S.model.mappingId;
  runAction(`Rolling back ${id}…`, () => request(ROLLBACK_SPEC, { id }), 'Rollback rejected')
    .then(async (data) => {
      if (data) await afterLifecycle(`Rolled back ${id}: v${data.rollbackMappingSpec.version} is active again.`);
    })
    .catch(reportLoadError);
});

button('deactivate-spec').addEventListener('click', () => {
  const id = S.model.mappingId;
  runAction(`Deactivating ${id}…`, () => request(DEACTIVATE_SPEC, { id }), 'Deactivation rejected')
    .then(async (data) => {
      if (data) await afterLifecycle(`Deactivated ${id}: its topic waits until a version is active again.`);
    })
    .catch(reportLoadError);
});

// ---- loading a spec ---------------------------------------------------------------------------

async function loadSpecVersion(version: SpecVersion): Promise<void> {
  const spec = version.spec;
  const subject = M.subjectName(isObject(spec.target) ? spec.target.subject : undefined);
  S.model = M.stateFromSpec(spec, []);
  S.preview = null;
  setStatus('lifecycle-status', `Loaded ${version.id} v${version.version}${version.active ? ' (active)' : ''}.`);
  showProblems(node('problems'), null, []);
  renderMetaForm();
  renderTopicSelect();
  renderSubjectSelect();
  // Busy until the topic, the subject and the versions are in: an edit made before the versions
  // are known could not tell that it makes the next version.
  document.body.setAttribute('aria-busy', 'true');
  try {
    await Promise.all([loadRawTopic(S.model.topic), loadSubject(subject), loadVersions()]);
    renderMetaForm();
    renderMappingTable();
    changed();
  } catch (error) {
    reportLoadError(error);
  } finally {
    document.body.removeAttribute('aria-busy');
  }
}

button('load-spec').addEventListener('click', () => {
  const value = select('spec-load').value;
  if (!value) return;
  const at = value.lastIndexOf('@');
  const id = value.slice(0, at);
  const version = Number(value.slice(at + 1));
  const found = S.specs.find((s) => s.id === id && s.version === version);
  if (found) void loadSpecVersion(found);
});

button('new-spec').addEventListener('click', () => {
  S.model = M.newState({
    topic: S.model.topic,
    subject: S.model.subject,
    fields: S.fields,
    mappingId: S.model.subject ? `${S.model.subject}-canonicalization` : '',
  });
  S.preview = null;
  renderMetaForm();
  renderMappingTable();
  loadVersions()
    .then(() => {
      // A new spec under an id that exists starts as its next version.
      if (S.versions.length) S.model.version = Math.max(...S.versions.map((v) => v.version)) + 1;
      renderMetaForm();
      changed({ keepVersion: true });
    })
    .catch(reportLoadError);
});

/** A load that failed: shown at the top of the page, whichever step asked. */
function reportLoadError(error: unknown): void {
  const problems = problemsOf(error);
  showProblems(node('page-problems'), `A request failed (${plural(problems.length, 'problem')}): the page may show stale data`, problems);
}

// ---- start ------------------------------------------------------------------------------------

node('problems').setAttribute('tabindex', '-1');
renderKeyStatus();
renderMetaForm();
Promise.all([
  request(TRANSFORMS, {}).then((data) => {
    S.transforms = data.catalog.mappingTransforms;
  }),
  loadTopics().then(loadSourceTopics),
  loadSubjects(),
  loadSpecs(),
]).then(
  () => {
    renderMappingTable();
    renderPreview();
    changed();
    document.body.setAttribute('data-ready', 'true');
  },
  (error: unknown) => {
    reportLoadError(error);
    document.body.setAttribute('data-ready', 'error');
  },
);
