import { AppError, ErrorCode, isAppError } from '../errors';
import { decodeRecord, type DecodedRecord, type RawRecord } from '../ingestion/debezium/decode-record';
import type { DecodedEntry } from '../ingestion/registry/registry-decoder';
import { toIntent } from '../ingestion/pipeline';
import { compileForPipeline } from '../ingestion/pipeline-spec';
import { compileSpec } from '../mapping/compile-spec';
import { fieldPathKey, formatJsonPath, parseFieldPath, type PathSegment } from '../mapping/json-path';
import { compileSetter } from '../mapping/path-setter';
import type { MappingSpec } from '../mapping/mapping-spec';

/**
 * A dry run of a mapping spec: the spec is compiled and run, through the same decoder and the
 * same intent planning as ingestion, over raw records (the latest sampled ones of its topic, or
 * records given by the caller). Nothing is written. The result tells an author, per record, what
 * the canonical output would be and why a record would be dead-lettered; and over all records,
 * which source fields the spec reads or ignores and where the inferred raw types do not fit the
 * canonical types.
 */
export interface PreviewRecordResult {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** `mapped`, `skipped` (tombstone, heartbeat...) or `error` (would be dead-lettered). */
  readonly status: 'mapped' | 'skipped' | 'error';
  readonly op: string | null;
  readonly key: string | null;
  /** Full canonical document (full images), the fields set, nested (partial updates), or null. */
  readonly canonical: Record<string, unknown> | null;
  /** Dotted canonical paths a partial update removes. */
  readonly unset: readonly string[];
  /** Canonical-schema problems, or the error that would dead-letter the record. */
  readonly errors: readonly string[];
  readonly errorCode: string | null;
  /** Canonical fields the errors concern, as field keys (`lines[*].qty`), so a client can show them on the field. */
  readonly fields: readonly string[];
}

export interface FieldTypeMismatch {
  readonly source: string;
  readonly target: string;
  readonly sourceTypes: readonly string[];
  readonly targetTypes: readonly string[];
  readonly message: string;
}

export interface SpecPreview {
  readonly subject: string;
  readonly records: readonly PreviewRecordResult[];
  readonly mapped: number;
  readonly failed: number;
  readonly skipped: number;
  /** Source paths the spec reads that the raw data has. */
  readonly coveredSourceFields: readonly string[];
  /** Source paths seen in the raw data that no mapping reads. */
  readonly unmappedSourceFields: readonly string[];
  /** Source paths the spec reads that the raw data never had. */
  readonly missingSourceFields: readonly string[];
  readonly typeMismatches: readonly FieldTypeMismatch[];
}

/** What the inferred raw schema says about one source path (from discovery). */
export interface RawFieldTypes {
  readonly path: string;
  /** JSON types seen: string, integer, number, boolean, null, object, array. */
  readonly types: readonly string[];
}

export interface PreviewInput {
  readonly spec: MappingSpec;
  readonly records: readonly RawRecord[];
  /** Inferred raw fields of the source topic; when absent, fields are read off the records. */
  readonly rawFields?: readonly RawFieldTypes[];
  readonly validate: (subject: string, document: Record<string, unknown>) => string[];
  /** The canonical subject's JSON Schema, for type checks. */
  readonly canonicalSchema?: Record<string, unknown>;
  /**
   * The records decoded beforehand, one entry each (sampled records of a registry-encoded topic,
   * by ingestion's record decoder); without it, every record is read as JSON.
   */
  readonly decoded?: readonly DecodedEntry[];
}

export function previewSpec(input: PreviewInput): SpecPreview {
  const compiled = compileSpec(input.spec);
  const routed = compileForPipeline(input.spec);
  const records = input.records.map((raw, index) => previewRecord(raw, routed, input.validate, input.decoded?.[index]));
  const rawFields = input.rawFields ?? inferFields(input.records);
  const seen = new Map(rawFields.map((f) => [fieldPathKey(f.path), f]));
  const read = [...new Set(compiled.sourceFields.map(fieldPathKey))];
  const readSet = new Set(read);
  return {
    subject: compiled.subject,
    records,
    mapped: records.filter((r) => r.status === 'mapped').length,
    failed: records.filter((r) => r.status === 'error').length,
    skipped: records.filter((r) => r.status === 'skipped').length,
    coveredSourceFields: read.filter((path) => seen.has(path)),
    unmappedSourceFields: [...seen.keys()].filter((path) => !readSet.has(path) && !isAncestorOfRead(path, readSet)).sort(),
    missingSourceFields: read.filter((path) => !seen.has(path)),
    typeMismatches: input.canonicalSchema ? typeMismatches(input.spec, seen, input.canonicalSchema) : [],
  };
}

function previewRecord(
  raw: RawRecord,
  spec: ReturnType<typeof compileForPipeline>,
  validate: PreviewInput['validate'],
  entry: DecodedEntry | undefined,
): PreviewRecordResult {
  const base = { topic: raw.topic, partition: raw.partition, offset: raw.offset, unset: [], fields: [] };
  let decoded: DecodedRecord;
  try {
    if (entry && !entry.decoded) throw entry.error;
    decoded = entry?.decoded ?? decodeRecord(raw);
  } catch (error) {
    if (!isAppError(error)) throw error;
    return { ...base, status: 'error', op: null, key: null, canonical: null, errors: [error.message], errorCode: error.code };
  }
  if (decoded.kind !== 'change') {
    const key = decoded.kind === 'tombstone' ? decoded.entityKey : null;
    return { ...base, status: 'skipped', op: null, key, canonical: null, errors: [decoded.kind === 'skip' ? decoded.reason : decoded.kind], errorCode: null };
  }
  // A record that fails still shows what it is: its op, and the key its source row has.
  const op = decoded.op;
  try {
    const intent = toIntent(decoded, spec, raw);
    if (intent.kind === 'delete') {
      return { ...base, status: 'mapped', op, key: intent.key, canonical: null, errors: [], errorCode: null };
    }
    if (intent.kind === 'partial') {
      // A partial update is validated against the stored entity at apply time; here only its
      // parts show, nested as in the document. One that touches no mapped field changes nothing.
      if (Object.keys(intent.set).length === 0 && intent.unset.length === 0) {
        return {
          ...base,
          status: 'skipped',
          op,
          key: intent.key,
          canonical: null,
          errors: ['a partial update of no field the spec maps: nothing changes'],
          errorCode: null,
        };
      }
      return { ...base, status: 'mapped', op, key: intent.key, canonical: nestDotted(intent.set), unset: intent.unset, errors: [], errorCode: null };
    }
    const errors = validate(spec.subject, intent.data);
    return {
      ...base,
      status: errors.length > 0 ? 'error' : 'mapped',
      op,
      key: intent.key,
      canonical: intent.data,
      errors,
      errorCode: errors.length > 0 ? ErrorCode.VALIDATION_FAILED : null,
      fields: uniqueFields(errors.map(validationErrorField)),
    };
  } catch (error) {
    if (!isAppError(error)) throw error;
    return {
      ...base,
      status: 'error',
      op,
      key: decoded.entityKey,
      canonical: null,
      errors: [error.message],
      errorCode: error.code,
      fields: uniqueFields([failedField(error)]),
    };
  }
}

/** `{"customer.email": x, "lines.0.sku": y}` (a partial update's dotted keys) as the nested document parts they set. */
export function nestDotted(set: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [dotted, value] of Object.entries(set)) {
    const parsed = parseFieldPath(dotted);
    if (parsed.ok && parsed.segments[0]?.kind === 'name') compileSetter(parsed.segments)(out, value);
  }
  return out;
}

/**
 * The canonical field a schema problem of a document concerns, as a field key
 * (`lines[*].qty`): the instance path of `/lines/0/qty: must be integer`, plus the property of
 * `must have required property 'x'`. Null for a problem of the document as a whole.
 */
export function validationErrorField(problem: string): string | null {
  const m = /^(\(root\)|\/[^:]*): (.*)$/s.exec(problem);
  if (!m) return null;
  const names =
    m[1] === '(root)'
      ? []
      : m[1]!
          .slice(1)
          .split('/')
          .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const required = /^must have required property '(.+)'$/.exec(m[2]!);
  if (required) names.push(required[1]!);
  if (names.length === 0) return null;
  return fieldPathKey(formatJsonPath(names.map((name): PathSegment => (/^\d+$/.test(name) ? { kind: 'wildcard' } : { kind: 'name', name }))));
}

/** The canonical field a mapping failure names (`details.dst` of MAPPING_FAILED), as a field key. */
function failedField(error: AppError): string | null {
  const details = error.details as { dst?: unknown } | undefined;
  return typeof details?.dst === 'string' ? fieldPathKey(details.dst) : null;
}

function uniqueFields(fields: readonly (string | null)[]): string[] {
  return [...new Set(fields.filter((f): f is string => f !== null))];
}

function isAncestorOfRead(path: string, read: ReadonlySet<string>): boolean {
  for (const r of read) if (r.startsWith(`${path}.`) || r.startsWith(`${path}[*]`)) return true;
  return false;
}

/** Source fields straight off the records' row images, when no inferred schema is at hand. */
function inferFields(records: readonly RawRecord[]): RawFieldTypes[] {
  const types = new Map<string, Set<string>>();
  for (const raw of records) {
    let decoded: ReturnType<typeof decodeRecord>;
    try {
      decoded = decodeRecord(raw);
    } catch {
      continue;
    }
    if (decoded.kind !== 'change') continue;
    const image = decoded.after ?? decoded.before ?? decoded.patch?.set;
    if (image) walk(image, '', types);
  }
  return [...types].map(([path, set]) => ({ path, types: [...set].sort() }));
}

function walk(value: unknown, path: string, out: Map<string, Set<string>>): void {
  if (path !== '') {
    const set = out.get(path) ?? new Set<string>();
    set.add(jsonType(value));
    out.set(path, set);
  }
  if (Array.isArray(value)) for (const item of value) walk(item, `${path}[*]`, out);
  else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [name, child] of Object.entries(value)) walk(child, path === '' ? name : `${path}.${name}`, out);
  }
}

function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'bigint') return 'integer';
  if (value instanceof Date) return 'string';
  return typeof value === 'object' ? 'object' : typeof value;
}

/**
 * Direct copies (no transform) whose inferred source types the canonical field does not accept.
 * A transform changes the type on purpose; its output is checked per record instead.
 */
function typeMismatches(spec: MappingSpec, seen: ReadonlyMap<string, RawFieldTypes>, schema: Record<string, unknown>): FieldTypeMismatch[] {
  const out: FieldTypeMismatch[] = [];
  for (const mapping of spec.fieldMappings) {
    if (!mapping.src || mapping.transform !== undefined) continue;
    const source = fieldPathKey(mapping.src);
    const raw = seen.get(source);
    const targetTypes = schemaTypesAt(schema, fieldPathKey(mapping.dst));
    if (!raw || !targetTypes) continue;
    const accepted = (type: string) =>
      targetTypes.includes(type) || (type === 'integer' && targetTypes.includes('number')) || (type === 'null' && mapping.default !== undefined);
    const bad = raw.types.filter((type) => !accepted(type));
    if (bad.length > 0) {
      out.push({
        source,
        target: fieldPathKey(mapping.dst),
        sourceTypes: raw.types,
        targetTypes,
        message: `${source} is ${bad.join('/')} in the raw data but ${fieldPathKey(mapping.dst)} accepts ${targetTypes.join('/')}`,
      });
    }
  }
  return out;
}

/** The JSON types a canonical schema allows at a dotted path (`[*]` steps into items). */
function schemaTypesAt(schema: Record<string, unknown>, path: string): string[] | null {
  let node: Record<string, unknown> | undefined = schema;
  for (const part of path.split('.')) {
    const name = part.replace(/\[\*\]$/, '');
    const properties = node?.properties as Record<string, Record<string, unknown>> | undefined;
    node = properties?.[name];
    if (!node) return null;
    if (part.endsWith('[*]')) node = node.items as Record<string, unknown> | undefined;
  }
  const type = node?.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return null;
}

export function requireSpecTopic(spec: MappingSpec): string {
  const topic = spec.source.topic ?? spec.source.topics?.[0];
  if (!topic) throw new AppError(ErrorCode.BAD_USER_INPUT, 'the spec names no source topic');
  return topic;
}
