/**
 * What one JSON Schema says, as the compatibility check reads it (json-schema-subset.ts): which
 * keywords validate and which only annotate, the subset of keywords the check decides, the types
 * a schema admits, the values it enumerates, its numeric bounds, and JSON pointer escaping; and
 * the shape of one reason the check gives. Pure.
 */
export type JsonSchema = Record<string, unknown> | boolean;

/** One reason why a document valid under the old schema may be invalid under the new one. */
export interface SubsetViolation {
  /** JSON pointer into the schema where the rule is broken (`/properties/tier/enum`). */
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

/** Keywords that never change which documents are valid. `x-*` are canonql's own annotations, `connect.*` Kafka Connect's. */
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$anchor',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$defs',
  'definitions',
  'contentMediaType',
  'contentEncoding',
]);
const SUPPORTED = new Set([
  'type',
  'enum',
  'const',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  '$ref',
  'anyOf',
  'oneOf',
]);

const ALL_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'string'] as const;
export type JsonType = (typeof ALL_TYPES)[number] | 'integer';

/**
 * Kafka Connect's JSON Schema converter writes the Connect schema beside the JSON Schema
 * (`connect.index`, `connect.type`, `connect.version`, `connect.parameters`): keywords no
 * validator knows, so they change nothing about which documents are valid. Without this, every
 * second version of a converter's writer schema (a new column) would be refused as unprovable.
 */
const CONNECT_ANNOTATION_PREFIX = 'connect.';

export function isAnnotation(keyword: string): boolean {
  return ANNOTATIONS.has(keyword) || keyword.startsWith('x-') || keyword.startsWith(CONNECT_ANNOTATION_PREFIX);
}

export function unsupportedKeywords(schema: JsonSchema): string[] {
  if (typeof schema === 'boolean') return [];
  return Object.keys(schema).filter((k) => !isAnnotation(k) && !SUPPORTED.has(k));
}

/** No validation keyword at all (`{}` or annotations only): accepts everything. */
export function isUnconstrained(schema: JsonSchema): boolean {
  return schema === true || (typeof schema === 'object' && Object.keys(schema).every(isAnnotation));
}

export function isOpen(extra: JsonSchema): boolean {
  return isUnconstrained(extra);
}

export function branchesOf(schema: Record<string, unknown>): { keyword: 'anyOf' | 'oneOf'; list: JsonSchema[] } | null {
  if (Array.isArray(schema.anyOf)) return { keyword: 'anyOf', list: schema.anyOf as JsonSchema[] };
  if (Array.isArray(schema.oneOf)) return { keyword: 'oneOf', list: schema.oneOf as JsonSchema[] };
  return null;
}

export function hasValidationBesides(schema: Record<string, unknown>, keyword: string): boolean {
  return Object.keys(schema).some((k) => k !== keyword && !isAnnotation(k));
}

/** The JSON types a schema admits (integer kept apart from number: it is the narrower one). */
export function typesOf(schema: Record<string, unknown>): Set<JsonType> {
  const declared = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : null;
  if (!declared) return new Set<JsonType>(ALL_TYPES);
  const types = new Set(declared as JsonType[]);
  if (types.has('number')) types.delete('integer');
  return types;
}

export function acceptsType(schema: JsonSchema, type: JsonType): boolean {
  if (schema === false) return false;
  if (schema === true) return true;
  const types = typesOf(schema);
  return types.has(type) || (type === 'integer' && types.has('number')) || (type === 'number' && types.has('integer'));
}

/** The finite set of values a schema can accept, when it is finite and small; else null. */
export function enumeratedValues(schema: Record<string, unknown>): unknown[] | null {
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  const types = typesOf(schema);
  if ([...types].every((t) => t === 'null' || t === 'boolean')) {
    return [...(types.has('null') ? [null] : []), ...(types.has('boolean') ? [true, false] : [])];
  }
  return null;
}

export interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
  readonly keyword: string;
}

/**
 * The effective lower or upper bound of a numeric schema. Over integers an exclusive bound is
 * the inclusive one next to it (exclusiveMinimum 0 is minimum 1), so both spellings compare equal.
 */
export function bound(schema: Record<string, unknown>, inclusiveKey: string, exclusiveKey: string, side: 'low' | 'high', integersOnly: boolean): Bound | null {
  const candidates: Bound[] = [];
  if (typeof schema[inclusiveKey] === 'number') candidates.push({ value: schema[inclusiveKey] as number, exclusive: false, keyword: inclusiveKey });
  if (typeof schema[exclusiveKey] === 'number') candidates.push({ value: schema[exclusiveKey] as number, exclusive: true, keyword: exclusiveKey });
  const normalized = candidates.map((b) => {
    if (!integersOnly) return b;
    const value = side === 'low' ? (b.exclusive ? Math.floor(b.value) + 1 : Math.ceil(b.value)) : b.exclusive ? Math.ceil(b.value) - 1 : Math.floor(b.value);
    return { ...b, value, exclusive: false };
  });
  if (normalized.length === 0) return null;
  // The tighter of the two when both are given.
  return normalized.reduce((a, b) => {
    if (a.value === b.value) return a.exclusive ? a : b;
    return side === 'low' ? (a.value > b.value ? a : b) : a.value < b.value ? a : b;
  });
}

/** `>= 0`, `< 10`: a bound as a message shows it. */
export function describeBound(b: Bound): string {
  return `${b.exclusive ? (b.keyword.includes('Min') ? '>' : '<') : b.keyword === 'minimum' || b.keyword === 'exclusiveMinimum' ? '>=' : '<='} ${b.value}`;
}

export function escapePointer(part: string): string {
  return part.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointer(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}
