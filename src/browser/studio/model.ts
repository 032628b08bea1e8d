import { fieldPathKey, formatJsonPath, parseFieldPath } from '../../mapping/json-path';
import { subjectName as specSubjectName } from '../../mapping/subject-name';

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
 */

export type JsonObject = Record<string, unknown>;

/** A leaf field of a canonical JSON Schema. */
export interface CanonicalField {
  readonly path: string;
  readonly types: readonly string[];
  readonly required: boolean;
  readonly format: string | null;
  readonly decimal: boolean;
  readonly enumValues: readonly unknown[] | null;
  readonly description: string | null;
}

/** One transform of a row, as the page edits it. */
export interface StepState {
  name: string;
  args: JsonObject;
}

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

/** A raw field as discovery infers it (the parts the model reads). */
export interface RawFieldInput {
  readonly path: string;
  readonly typeSet?: readonly string[];
  readonly presence?: number;
  readonly nullRate?: number;
  readonly current?: boolean;
  readonly formats?: readonly { readonly format: string; readonly count?: number }[];
}

export interface TypeMismatch {
  readonly source: string;
  readonly target: string;
  readonly message: string;
}

export type Parsed = { readonly has: false } | { readonly has: true; readonly value: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function has(object: unknown, key: string): boolean {
  return isObject(object) && Object.hasOwn(object, key);
}

/** `$.items[*].sku`, `items[*].sku`, `$.items[0].sku` and `$['items'][*].sku` name the same field here. */
export function normalizePath(path: string | null | undefined): string {
  return fieldPathKey(path ?? '');
}

/** "canonical.order.v1" and "order" both name subject "order". */
export function subjectName(subject: unknown): string {
  return typeof subject === 'string' ? specSubjectName(subject) : '';
}

function schemaTypes(schema: JsonObject): string[] {
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  if (typeof schema.type === 'string') return [schema.type];
  return [];
}

/** `.name`, or `['odd name']` when the name is not an identifier. */
function memberPath(name: string): string {
  return formatJsonPath([{ kind: 'name', name }]).slice(1);
}

/**
 * The leaf fields of a canonical JSON Schema, in schema order: objects are walked into
 * ($.customer.email), arrays of objects into their items ($.line_items[*].sku).
 */
export function canonicalFields(schema: unknown): CanonicalField[] {
  const out: CanonicalField[] = [];
  function walk(node: JsonObject, path: string, required: boolean): void {
    const types = schemaTypes(node);
    const properties = node.properties;
    const objectLike = isObject(properties) && (types.length === 0 || types.includes('object'));
    if (isObject(properties) && (objectLike || path === '$')) {
      const requiredNames = Array.isArray(node.required) ? node.required : [];
      for (const [name, child] of Object.entries(properties)) {
        if (isObject(child)) walk(child, path + memberPath(name), requiredNames.includes(name));
      }
      return;
    }
    if (types.includes('array') && isObject(node.items) && isObject(node.items.properties)) {
      walk(node.items, `${path}[*]`, false);
      return;
    }
    if (path === '$') return;
    out.push({
      path,
      types: types.length ? types : Array.isArray(node.enum) ? ['enum'] : ['any'],
      required,
      format: typeof node.format === 'string' ? node.format : null,
      decimal: node['x-canonql-type'] === 'Decimal',
      enumValues: Array.isArray(node.enum) ? [...(node.enum as unknown[])] : null,
      description: typeof node.description === 'string' ? node.description : null,
    });
  }
  if (isObject(schema)) walk(schema, '$', true);
  return out;
}

// ---- transforms -------------------------------------------------------------------------------

/** A spec's transform (name, {name, args} or a list) as steps [{name, args}]. */
export function parseSteps(transform: unknown): StepState[] {
  if (transform === undefined || transform === null) return [];
  const list: unknown[] = Array.isArray(transform) ? transform : [transform];
  return list.map((step) => {
    if (typeof step === 'string') return { name: step, args: {} };
    return {
      name: isObject(step) && typeof step.name === 'string' ? step.name : '',
      args: isObject(step) && isObject(step.args) ? clone(step.args) : {},
    };
  });
}

/** Steps back to the spec form: a name, {name, args}, or a list when there are several. */
export function stepsToTransform(steps: readonly StepState[]): unknown {
  const list = steps.filter((s) => s.name).map((s) => (Object.keys(s.args).length ? { name: s.name, args: clone(s.args) } : s.name));
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0] : list;
}

// ---- values typed into text fields ------------------------------------------------------------

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A default typed as text: JSON when it parses (42, true, null, {"a":1}), else the text itself. */
export function parseValueText(text: string): Parsed {
  const trimmed = String(text).trim();
  if (trimmed === '') return { has: false };
  return { has: true, value: parsesAsJson(trimmed) ? (JSON.parse(trimmed) as unknown) : String(text) };
}

/** The text that parseValueText turns back into the value (strings that look like JSON get quotes). */
export function formatValueText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    if (parsesAsJson(value.trim())) return JSON.stringify(value);
    return value.trim() === '' ? JSON.stringify(value) : value;
  }
  return JSON.stringify(value);
}

/**
 * An argument typed as text, read by its declared type (mappingTransforms). What does not parse
 * is passed on as typed, so the server's validation names the problem.
 */
export function parseArgText(text: string, type: string): Parsed {
  const trimmed = String(text).trim();
  if (trimmed === '') return { has: false };
  if (type === 'string' || type === 'path') return { has: true, value: String(text) };
  if (type === 'number' || type === 'integer') {
    const n = Number(trimmed);
    return { has: true, value: Number.isFinite(n) && /^-?\d/.test(trimmed) ? n : trimmed };
  }
  if (type === 'boolean') return { has: true, value: trimmed === 'true' ? true : trimmed === 'false' ? false : trimmed };
  if (parsesAsJson(trimmed)) return { has: true, value: JSON.parse(trimmed) as unknown };
  if (type === 'paths')
    return {
      has: true,
      value: trimmed
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    };
  return { has: true, value: trimmed };
}

export function formatArgText(value: unknown, type: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    if (type === 'string' || type === 'path' || type === 'number' || type === 'integer' || type === 'boolean') return value;
    return parsesAsJson(value) ? JSON.stringify(value) : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
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

// ---- raw fields -------------------------------------------------------------------------------

/** "number 60% · string 40%" from a field's type counts. */
export function typeShares(types: Readonly<Record<string, number | null | undefined>> | null | undefined): { type: string; share: number }[] {
  const counts = Object.entries(types ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0);
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  if (!total) return [];
  return counts.sort(([a, na], [b, nb]) => nb - na || (a < b ? -1 : 1)).map(([type, n]) => ({ type, share: n / total }));
}

export function percent(share: number): string {
  const p = Math.round(share * 1000) / 10;
  return `${p % 1 === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/**
 * A first canonical JSON Schema drafted from a raw topic's inferred fields (current ones), to
 * edit before registering: leaf fields only, integer+number as number, null allowed when the
 * field was ever null or absent, date-time strings with their format. An open model.
 */
export function draftSchema(rawFields: readonly RawFieldInput[], title?: string): JsonObject {
  const current = rawFields.filter((f) => f.current !== false);
  const paths = current.map((f) => normalizePath(f.path));
  const rootSchema: JsonObject = { $schema: 'https://json-schema.org/draft/2020-12/schema', title: title || 'Draft', type: 'object', properties: {} };
  for (const field of current) {
    const path = normalizePath(field.path);
    if (path === '' || path.startsWith('_')) continue;
    const container = paths.some((p) => p !== path && (p.startsWith(`${path}.`) || p.startsWith(`${path}[*]`)));
    if (container) continue;
    const parsed = parseFieldPath(path);
    if (!parsed.ok) continue;
    let node = rootSchema;
    parsed.segments.forEach((segment, i) => {
      if (segment.kind === 'name') {
        if (node.type !== 'object') node.type = 'object';
        const properties: JsonObject = isObject(node.properties) ? node.properties : (node.properties = {});
        const child: JsonObject = isObject(properties[segment.name]) ? (properties[segment.name] as JsonObject) : (properties[segment.name] = {});
        node = child;
      } else {
        node.type = 'array';
        const items: JsonObject = isObject(node.items) ? node.items : (node.items = {});
        node = items;
      }
      if (i < parsed.segments.length - 1) return;
      const types = (field.typeSet ?? []).filter((t) => t !== 'null' && t !== 'object' && t !== 'array');
      if (types.includes('integer') && types.includes('number')) types.splice(types.indexOf('integer'), 1);
      if (types.length === 0) types.push('string');
      const nullable = (field.nullRate ?? 0) > 0 || (field.presence !== undefined && field.presence < 1);
      if (nullable) types.push('null');
      node.type = types.length === 1 ? types[0] : types;
      const formats = field.formats ?? [];
      if (formats.length === 1 && formats[0]!.format === 'date-time') node.format = 'date-time';
    });
  }
  return rootSchema;
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

/** A field name compared loosely: case, `_` and `-` ignored (`customerEmail` ~ `customer_email`). */
function looseKey(path: string): string {
  return normalizePath(path).toLowerCase().replace(/[_-]/g, '');
}

/**
 * Fills the source of each row nothing writes yet with the raw field of the same name: the same
 * path first, else the one path that matches when case, `_` and `-` are ignored
 * (`$.customerEmail` ← `$.customer_email`). A row keeps its emptiness when no raw field or more
 * than one matches; containers (objects, arrays) are never sources. Returns the rows it filled.
 */
export function autoMap(rows: readonly Row[], rawFields: readonly RawFieldInput[]): Row[] {
  const leaves = rawFields.filter((f) => f.current !== false && (f.typeSet ?? []).some((t) => t !== 'object' && t !== 'array'));
  const filled: Row[] = [];
  for (const row of rows) {
    if (rowIsUsed(row) || row.template !== null || !row.dst) continue;
    const exact = leaves.filter((f) => normalizePath(f.path) === normalizePath(row.dst));
    const loose = exact.length ? exact : leaves.filter((f) => looseKey(f.path) === looseKey(row.dst));
    if (loose.length !== 1) continue;
    row.src = loose[0]!.path;
    filled.push(row);
  }
  return filled;
}
