import { fieldPathKey, formatJsonPath, parseFieldPath } from '../../mapping/json-path';
import { subjectName as specSubjectName } from '../../mapping/subject-name';
import type { CanonicalField } from './canonical-fields';
import { clone, has, isObject, same, type JsonObject } from './json-value';
import { parseSteps, stepsToTransform, type StepState } from './transform-steps';

/**
 * The studio's model: pure functions (no DOM, no network) that turn what the page shows into a
 * mapping spec and back. The page bundles this module; the unit tests import it, so the spec the
 * tests validate is the one the browser builds.
 *
 * A spec in the studio is a list of rows. A row is one field mapping (`src` → `dst`, transform
 * steps, a field `default`) or, when it has neither source nor transform, one entry of the spec's
 * `defaults`. A spec loaded for editing keeps its original objects as templates, so what the page
 * does not edit (`when`, `precedence`, descriptions, `schemaId`, key order) comes out unchanged:
 * building an untouched spec gives back the document that was loaded.
 *
 * Beside it: the canonical fields a schema offers (canonical-fields.ts), values typed into text
 * fields (value-text.ts), a row's transform as steps (transform-steps.ts), and what the raw topic's
 * fields suggest (raw-fields.ts).
 */

export interface Row {
  readonly id: string;
  dst: string;
  src: string;
  steps: StepState[];
  hasDefault: boolean;
  defaultValue: unknown;
  /** The mapping object this row was loaded from (kept members the page does not edit). */
  template: JsonObject | null;
  /** The transform as loaded, written back as is while the steps are unchanged. */
  origTransform: unknown;
  /** The key of `defaults` this row was loaded from. */
  defaultKey: string | null;
}

export interface StudioState {
  base: JsonObject | null;
  mappingId: string;
  version: number | null;
  description: string;
  topic: string;
  subject: string;
  key: unknown;
  deleteMode: string;
  rows: Row[];
}

export interface TypeMismatch {
  readonly source: string;
  readonly target: string;
  readonly message: string;
}

/** `$.items[*].sku`, `items[*].sku`, `$.items[0].sku` and `$['items'][*].sku` name the same field here. */
export function normalizePath(path: string | null | undefined): string {
  return fieldPathKey(path ?? '');
}

/** "canonical.order.v1" and "order" both name subject "order". */
export function subjectName(subject: unknown): string {
  return typeof subject === 'string' ? specSubjectName(subject) : '';
}

// ---- rows -------------------------------------------------------------------------------------

let nextRowId = 1;
export function newRow(fields: Partial<Omit<Row, 'id'>> = {}): Row {
  return {
    id: `r${nextRowId++}`,
    dst: '',
    src: '',
    steps: [],
    hasDefault: false,
    defaultValue: undefined,
    template: null,
    origTransform: undefined,
    defaultKey: null,
    ...fields,
  };
}

export function rowIsMapping(row: Row): boolean {
  return !!row.src || row.steps.some((s) => s.name);
}

export function rowIsUsed(row: Row): boolean {
  return rowIsMapping(row) || row.hasDefault;
}

/** Adds an empty row per canonical field that no row writes yet; drops unused rows of fields that left. */
export function syncRows(rows: readonly Row[], fields: readonly CanonicalField[]): Row[] {
  const fieldPaths = new Set(fields.map((f) => normalizePath(f.path)));
  const kept = rows.filter((row) => rowIsUsed(row) || row.template !== null || fieldPaths.has(normalizePath(row.dst)));
  const written = new Set(kept.map((row) => normalizePath(row.dst)));
  for (const f of fields) if (!written.has(normalizePath(f.path))) kept.push(newRow({ dst: f.path }));
  return kept;
}

/** A new spec for a raw topic and a subject: one empty row per canonical field. */
export function newState(options: {
  mappingId?: string;
  version?: number;
  description?: string;
  topic?: string;
  subject?: string;
  fields?: readonly CanonicalField[];
}): StudioState {
  return {
    base: null,
    mappingId: options.mappingId ?? '',
    version: options.version ?? 1,
    description: options.description ?? '',
    topic: options.topic ?? '',
    subject: options.subject ?? '',
    key: undefined,
    deleteMode: '',
    rows: syncRows([], options.fields ?? []),
  };
}

/** A spec (from specs/ or the registry) as an editable state; building it unchanged gives it back. */
export function stateFromSpec(spec: JsonObject, fields: readonly CanonicalField[] = []): StudioState {
  const source = isObject(spec.source) ? spec.source : {};
  const target = isObject(spec.target) ? spec.target : {};
  const rows = (Array.isArray(spec.fieldMappings) ? (spec.fieldMappings as unknown[]) : []).map((item) => {
    const m = isObject(item) ? item : {};
    return newRow({
      dst: typeof m.dst === 'string' ? m.dst : '',
      src: typeof m.src === 'string' ? m.src : '',
      steps: parseSteps(m.transform),
      hasDefault: has(m, 'default'),
      defaultValue: clone(m.default),
      template: clone(m),
      origTransform: clone(m.transform),
    });
  });
  if (isObject(spec.defaults)) {
    for (const [key, value] of Object.entries(spec.defaults)) {
      rows.push(
        newRow({
          dst: key.startsWith('$') ? key : `$${key.startsWith('[') ? '' : '.'}${key}`,
          hasDefault: true,
          defaultValue: clone(value),
          defaultKey: key,
        }),
      );
    }
  }
  const topics = Array.isArray(source.topics) ? (source.topics as unknown[]) : [];
  return {
    base: clone(spec),
    mappingId: typeof spec.mappingId === 'string' ? spec.mappingId : '',
    version: typeof spec.version === 'number' ? spec.version : null,
    description: typeof spec.description === 'string' ? spec.description : '',
    topic: typeof source.topic === 'string' ? source.topic : typeof topics[0] === 'string' ? topics[0] : '',
    subject: subjectName(target.subject),
    key: clone(spec.key),
    deleteMode: typeof spec.deleteMode === 'string' ? spec.deleteMode : '',
    rows: syncRows(rows, fields),
  };
}

function buildMapping(row: Row): JsonObject {
  const mapping: JsonObject = row.template ? clone(row.template) : {};
  if (row.src) mapping.src = row.src;
  else delete mapping.src;
  mapping.dst = row.dst;
  const transform = row.template && same(parseSteps(row.origTransform), row.steps) ? clone(row.origTransform) : stepsToTransform(row.steps);
  if (transform === undefined) delete mapping.transform;
  else mapping.transform = transform;
  if (row.hasDefault) mapping.default = clone(row.defaultValue);
  else delete mapping.default;
  if (row.template) return mapping;
  // A new mapping lists its members in the usual order: src, dst, transform, default.
  const ordered: JsonObject = {};
  for (const k of ['src', 'dst', 'transform', 'default']) if (has(mapping, k)) ordered[k] = mapping[k];
  return ordered;
}

/**
 * The key of `defaults` a row writes: the field's dotted path (`currency`, `customer.tier`,
 * `d-e`), or its JSONPath when a part cannot be spelled dotted (a name with a dot, an array step).
 */
function defaultKeyOf(row: Row): string {
  if (row.defaultKey !== null) return row.defaultKey;
  const parsed = parseFieldPath(row.dst);
  if (!parsed.ok) return normalizePath(row.dst);
  const names = parsed.segments.map((s) => (s.kind === 'name' && /^[^.[\]'"$]+$/.test(s.name) && !/^\d+$/.test(s.name) ? s.name : null));
  return names.every((n) => n !== null) ? names.join('.') : formatJsonPath(parsed.segments);
}

/** The spec document the state stands for, as a specs/ file holds it. */
export function buildSpec(state: StudioState): JsonObject {
  const spec: JsonObject = state.base
    ? clone(state.base)
    : {
        $schema: '../schema/mapping-spec.schema.json',
        mappingId: '',
        version: 1,
        description: '',
        source: {},
        target: {},
        key: undefined,
        deleteMode: '',
        fieldMappings: [],
        defaults: {},
      };
  spec.mappingId = state.mappingId;
  if (state.version === null || state.version === undefined) delete spec.version;
  else spec.version = state.version;
  if (state.description) spec.description = state.description;
  else delete spec.description;

  let source: JsonObject = isObject(spec.source) ? spec.source : {};
  if (!has(source, 'type')) source = { type: 'kafka', ...source };
  const keepTopics = !has(source, 'topic') && Array.isArray(source.topics) && (source.topics as unknown[]).includes(state.topic);
  if (!keepTopics) source.topic = state.topic;
  spec.source = source;

  const target: JsonObject = isObject(spec.target) ? spec.target : {};
  if (subjectName(target.subject) !== state.subject) target.subject = state.subject;
  spec.target = target;

  if (state.key === undefined || state.key === null) delete spec.key;
  else spec.key = clone(state.key);
  if (state.deleteMode) spec.deleteMode = state.deleteMode;
  else delete spec.deleteMode;

  const mappings: JsonObject[] = [];
  const defaults: JsonObject = {};
  for (const row of state.rows) {
    if (rowIsMapping(row)) mappings.push(buildMapping(row));
    else if (row.hasDefault) defaults[defaultKeyOf(row)] = clone(row.defaultValue);
  }
  spec.fieldMappings = mappings;
  if (Object.keys(defaults).length) spec.defaults = defaults;
  else delete spec.defaults;
  return spec;
}

/** The spec as the studio shows it and a specs/ file would hold it. */
export function specJson(spec: unknown): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

/** Type mismatches of a preview that concern a row (direct copies whose raw types the field refuses). */
export function mismatchesFor<T extends TypeMismatch>(row: Row, mismatches: readonly T[] | null | undefined): T[] {
  const dst = normalizePath(row.dst);
  const src = normalizePath(row.src);
  return (mismatches ?? []).filter((m) => normalizePath(m.target) === dst && normalizePath(m.source) === src);
}

/**
 * Which validation problems concern which row: a problem located at fieldMappings[i] belongs to
 * the row that builds the i-th mapping, one at defaults.<key> to the row of that default.
 */
export function problemsByRow(rows: readonly Row[], problems: readonly string[] | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const mappingRows = rows.filter(rowIsMapping);
  for (const problem of problems ?? []) {
    const m = /^fieldMappings\[(\d+)\]/.exec(problem);
    let row: Row | null = m ? (mappingRows[Number(m[1])] ?? null) : null;
    if (!row) {
      const d = /^defaults(?:\.([A-Za-z_$][\w$]*)|\[("(?:[^"\\]|\\.)*")\])/.exec(problem);
      if (d) {
        const key = d[1] !== undefined ? d[1] : (JSON.parse(d[2]!) as string);
        row = rows.find((r) => !rowIsMapping(r) && r.hasDefault && defaultKeyOf(r) === key) ?? null;
      }
    }
    if (row) (out[row.id] ??= []).push(problem);
  }
  return out;
}
