import { clear, el } from '../dom';
import { problemsOf } from './graphql-client';
import { PREVIEW, type SpecVersion } from './operations';
import * as M from './model';
import { type EditOptions, emptyState, input, node, plural, request, S, showProblems, tbody, textarea } from './page';
import { renderVersionHint, renderMappingTable } from './mapping-step';

const PREVIEW_DEBOUNCE_MS = 400;

/** Step 4: after every edit (debounced), the JSON panel and a dry run of the spec over the topic's latest records. */

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

export function changed(options: EditOptions = {}): void {
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

export function renderPreview(): void {
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
