import { clear, el, option } from '../dom';
import type { CanonicalField } from './canonical-fields';
import { autoMap, percent, typeShares } from './raw-fields';
import type { StepState } from './transform-steps';
import { formatArgText, formatValueText, parseArgText, parseValueText } from './value-text';
import type { MappingTransform, PreviewRecord, RawFieldStats, SpecPreview, TransformArg } from './operations';
import * as M from './model';
import { input, select, button, node, tbody, plural, emptyState, S, actions } from './page';

/** Step 3: the spec's id, version, key and delete mode, and the mapping table (one row per canonical field: source, transforms, default, checks). */

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

export function renderMetaForm(): void {
  const m = S.model;
  input('mapping-id').value = m.mappingId;
  input('spec-version').value = m.version === null ? '' : String(m.version);
  input('spec-description').value = m.description;
  select('delete-mode').value = m.deleteMode;
  renderKeySelect();
  renderVersionHint();
}

export function renderKeySelect(): void {
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

export function renderVersionHint(): void {
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

/**
 * Rebuilds the mapping table and puts focus back on the control that had it. Removing a focused
 * field fires its blur and change events, whose handlers may ask for a rebuild: that one is
 * skipped, the rebuild under way shows the same state.
 */
let renderingTable = false;
export function renderMappingTable(): void {
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
      actions.changed();
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
    actions.changed();
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
      actions.changed();
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
      actions.changed();
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
      actions.changed();
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
      actions.changed();
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

export function reportAutoMap(filled: readonly M.Row[]): void {
  node('mapping-status').textContent = filled.length
    ? `Mapped ${plural(filled.length, 'field')} to the raw field of the same name: ${filled.map((r) => `${r.dst} ← ${r.src}`).join(', ')}.`
    : 'No unmapped field has a raw field of the same name.';
}

/** Wires the controls of this step (once, at start). */
export function wireMappingStep(): void {
  button('auto-map').addEventListener('click', () => {
    if (!S.raw) {
      node('mapping-status').textContent = 'Choose a raw topic first.';
      return;
    }
    reportAutoMap(autoMap(S.model.rows, S.raw.fields));
    renderMappingTable();
    actions.changed();
  });
  input('mapping-id').addEventListener('input', () => {
    S.model.mappingId = input('mapping-id').value.trim();
    actions.changed();
  });
  input('spec-version').addEventListener('input', () => {
    const text = input('spec-version').value.trim();
    S.model.version = text === '' ? null : Number(text);
    renderVersionHint();
    actions.changed({ keepVersion: true });
  });
  input('spec-description').addEventListener('input', () => {
    S.model.description = input('spec-description').value;
    actions.changed();
  });
  select('spec-key').addEventListener('change', () => {
    const value = select('spec-key').value;
    S.model.key = value === '' ? undefined : (JSON.parse(value) as unknown);
    actions.changed();
  });
  select('delete-mode').addEventListener('change', () => {
    S.model.deleteMode = select('delete-mode').value;
    actions.changed();
  });
}
