import { subjectNameProblems, subjectNoun } from '../../catalog/subject-name';
import { byId, clear, el, option } from '../dom';
import { unlessNotFound, type Problem } from './graphql-client';
import { canonicalFields } from './canonical-fields';
import { isObject, type JsonObject } from './json-value';
import { autoMap, draftSchema } from './raw-fields';
import { REGISTER_SUBJECT, SUBJECT_SCHEMA, SUBJECTS } from './operations';
import * as M from './model';
import {
  request,
  input,
  select,
  button,
  textarea,
  node,
  tbody,
  plural,
  emptyState,
  SUBJECT_PANEL,
  S,
  showProblems,
  setStatus,
  runAction,
  reportLoadError,
  actions,
} from './page';
import { renderMetaForm, renderKeySelect, renderMappingTable, reportAutoMap } from './mapping-step';
import { loadVersions } from './versions-step';

/** Step 2: the canonical subject mapped into: a registered one, or a schema drafted from the raw fields (used as a draft or registered). */

export async function loadSubjects(): Promise<void> {
  const data = await request(SUBJECTS, {});
  S.subjects = [...data.catalog.schemaSubjects].sort((a, b) => (a.subject < b.subject ? -1 : 1));
  renderSubjectSelect();
}

export function renderSubjectSelect(): void {
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

export async function loadSubject(subject: string): Promise<void> {
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
  const data = await unlessNotFound(request(SUBJECT_SCHEMA, { subject }), null);
  useSchema(data?.catalog.schemaVersion ? data.catalog.schemaVersion.schema : null);
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

/** Wires the controls of this step (once, at start). */
export function wireSubjectStep(): void {
  select('subject-select').addEventListener('change', () => {
    S.model.subject = select('subject-select').value;
    if (!S.model.mappingId && S.model.subject) {
      S.model.mappingId = `${S.model.subject}-canonicalization`;
      input('mapping-id').value = S.model.mappingId;
      loadVersions().catch(reportLoadError);
    }
    loadSubject(S.model.subject)
      .then(() => actions.changed())
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
      .then(() => actions.changed())
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
        actions.changed();
      })
      .catch(reportLoadError);
  });
}
