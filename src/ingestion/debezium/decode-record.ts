import { AppError, isAppError } from '../../errors';
import { controlRecordReason, HEARTBEAT_TOPIC_PREFIX } from './control-record-reason';
import { isConnectSchema, type ConnectSchema } from './decode-connect-value';
import { isRecord, type DecodeContext } from './decode-context';
import { decodeFailed, unsupportedEnvelope, utf8Text } from './decode-failure';
import { decodeFlattenedChange, isFlattenedDelete } from './decode-flattened-change';
import { checkJsonText, DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-limits';
import { decodeMongoKey, decodeStructKey, looksLikeMongoKey } from './decode-key';
import { decodeMongoChange } from './decode-mongo-change';
import { decodeRelationalChange } from './decode-relational-change';
import type { ChangeOp, DecodedRecord, RawRecord } from './decoded-record';
import { entityKeyOf } from './entity-key';
import { parseJsonLossless } from './parse-json-lossless';
import { connectorKind, readSource } from './read-source';
import { sourcePosition } from './source-position';
import { UNAVAILABLE_VALUE_PLACEHOLDER } from './unavailable-value';

export type { DecodedChange, DecodedRecord, RawRecord } from './decoded-record';

/** Settings that must match the Debezium connector's configuration. */
export interface DecodeOptions {
  /** The connector's `unavailable.value.placeholder` (default `__debezium_unavailable_value`). */
  readonly unavailableValuePlaceholder?: string;
  /** Nesting and size bounds of every JSON text decoded (default: what MongoDB accepts). */
  readonly limits?: DecodeLimits;
}

const ROW_OPS: ReadonlySet<string> = new Set(['c', 'u', 'd', 'r']);
/** Every `op` code of `io.debezium.data.Envelope.Operation`. */
const ENVELOPE_OPS: ReadonlySet<string> = new Set(['c', 'u', 'd', 'r', 't', 'm', 'n', 'cmd']);
const ENVELOPE_SUFFIX = '.Envelope';

/**
 * Decodes one Kafka record written by Debezium (JSON converter, with or without schemas) into a
 * connector-independent change, or says why it carries none. Pure and synchronous.
 *
 * - envelope with `op` c/u/d/r → `change` (relational, MongoDB 1.x–3.x); `t` → `truncate`;
 *   `m` (logical decoding message) → `skip: message`
 * - no envelope: transaction metadata, schema change, heartbeat → `skip`; otherwise a row
 *   flattened by ExtractNewRecordState/ExtractNewDocumentState → `change` with `flattened: true`
 * - null value → `tombstone`, or a flattened delete (`change`, op `d`) when its Kafka headers
 *   carry `__op: d` (ExtractNewRecordState `delete.handling.mode=none` with `add.headers`);
 *   empty value or `{}` → `skip: empty`
 *
 * @throws AppError DECODE_FAILED (bad JSON, a value that does not fit its schema),
 *   DECODE_LIMIT_EXCEEDED (JSON nested deeper or larger than `options.limits`, checked before
 *   parsing) or UNSUPPORTED_ENVELOPE (valid JSON of no known shape); the message names topic,
 *   partition, offset and field. Skips and tombstones never throw (a key beyond the limits is a
 *   tombstone without a key).
 */
export function decodeRecord(input: RawRecord, options: DecodeOptions = {}): DecodedRecord {
  return decodeMessages(input, new JsonMessages(input, options.limits ?? DEFAULT_DECODE_LIMITS), options);
}

/**
 * A key or value as the JSON converter gives it: the payload and its Connect schema (null when the
 * converter wrote none). Other converters' records (Avro, JSON Schema: src/ingestion/registry/)
 * are turned into this before the same decoding.
 */
export interface ConnectMessage {
  readonly payload: unknown;
  readonly schema: ConnectSchema | null;
}

/** How the decoder reads a record's key and value; both are read only when needed. */
export interface RecordMessages {
  /** The key, or null (no key). */
  key(): ConnectMessage | null;
  /** The value of a record whose value is not null; null: empty (no bytes, or blank). */
  value(): ConnectMessage | null;
}

/**
 * `decodeRecord` for a record whose key and value another converter has already read: the same
 * envelopes, logical types and errors (with topic, partition and offset) as the JSON path.
 */
export function decodeMessages(input: RawRecord, messages: RecordMessages, options: DecodeOptions = {}): DecodedRecord {
  try {
    return decode(input, options.unavailableValuePlaceholder ?? UNAVAILABLE_VALUE_PLACEHOLDER, options.limits ?? DEFAULT_DECODE_LIMITS, messages);
  } catch (error) {
    if (!isAppError(error)) throw error;
    throw new AppError(error.code, `${input.topic}[${input.partition}]@${input.offset}: ${error.message}`, {
      cause: error,
      details: { ...(isRecord(error.details) ? error.details : {}), topic: input.topic, partition: input.partition, offset: input.offset },
    });
  }
}

/**
 * The JSON converter's records: key and value are JSON text, `{schema, payload}` when schemas are
 * enabled. A class rather than an object of closures: one is made per record, and its methods are
 * shared (the development runner also names every closure made, at a cost per record).
 */
class JsonMessages implements RecordMessages {
  constructor(
    private readonly raw: RawRecord,
    private readonly limits: DecodeLimits,
  ) {}

  key(): ConnectMessage | null {
    if (this.raw.key === null) return null;
    const text = utf8Text(this.raw.key, 'key');
    try {
      return unwrap(parseJsonLossless(text, this.limits, 'key').value);
    } catch (error) {
      throw notJson('key', text, error);
    }
  }

  value(): ConnectMessage | null {
    const value = this.raw.value as Buffer;
    // Refused before the bytes become a string: a huge value costs nothing more than its length check.
    if (value.length > this.limits.maxBytes) checkJsonText(value.toString('utf8', 0, this.limits.maxBytes + 1), this.limits, 'value');
    const text = utf8Text(value, 'value');
    if (text.trim() === '') return null;
    try {
      return parseValueMessage(text, this.limits, unwrap);
    } catch (error) {
      throw notJson('value', text, error);
    }
  }
}

/**
 * A record value's JSON text as its message, every number exact except the `ts_ns` canonql never
 * reads. Debezium stamps the envelope and its `source` block with a 19-digit `ts_ns`; the first
 * parse leaves every `ts_ns` to the native parser (the fast path: nothing marked, nothing
 * rewritten) and counts those a double does not hold. Only when that count is more than the
 * envelope's and source's own (a row's `ts_ns` column, in `before`/`after` or at the root of a
 * flattened record) is the text parsed again, with every `ts_ns` exact.
 *
 * @param toMessage the converter's message of the parsed text
 * @throws the native SyntaxError for malformed text (the caller wraps it), AppError DECODE_LIMIT_EXCEEDED
 */
export function parseValueMessage(text: string, limits: DecodeLimits, toMessage: (value: unknown) => ConnectMessage): ConnectMessage {
  const fast = parseJsonLossless(text, limits, 'value', { envelopeTsNs: true });
  const message = toMessage(fast.value);
  if (fast.inexactTsNs === 0 || fast.inexactTsNs <= unreadTsNs(message)) return message;
  return toMessage(parseJsonLossless(text, limits, 'value').value);
}

/**
 * How many of the value's `ts_ns` numbers beyond 2^53 are Debezium's own, never read: an envelope's
 * and its source block's; every one of a control record (it is skipped). A flattened row's are its columns.
 */
function unreadTsNs({ payload, schema }: ConnectMessage): number {
  if (!isRecord(payload)) return 0;
  if (typeof payload.op === 'string' && isEnvelope(payload, schema)) {
    return unsafeNumber(payload.ts_ns) + (isRecord(payload.source) ? unsafeNumber(payload.source.ts_ns) : 0);
  }
  return controlRecordReason(payload, schema) !== null ? Number.POSITIVE_INFINITY : 0;
}

/** 1 for a number the native parser may have rounded (not a safe integer), else 0. */
function unsafeNumber(value: unknown): number {
  return typeof value === 'number' && !Number.isSafeInteger(value) ? 1 : 0;
}

function decode(raw: RawRecord, placeholder: string, limits: DecodeLimits, messages: RecordMessages): DecodedRecord {
  // Heartbeat topics carry `{serverName}` keys and `{ts_ms}` values whatever the converter: no
  // need to parse them at all.
  if (raw.topic.startsWith(HEARTBEAT_TOPIC_PREFIX)) return { kind: 'skip', reason: 'heartbeat' };
  const context = lazyContext(raw, placeholder, limits, messages);

  if (raw.value === null) return nullValue(raw, context);
  const value = messages.value();
  if (value === null) return { kind: 'skip', reason: 'empty' };
  const { payload, schema } = value;
  // The JSON converter writes a null Connect value as `null` (or `{"schema": null, "payload": null}`).
  if (payload === null) return nullValue(raw, context);
  if (!isRecord(payload)) {
    throw unsupportedEnvelope(`value is ${Array.isArray(payload) ? 'a JSON array' : `a JSON ${typeof payload}`}, not a Debezium event object`);
  }

  const op = payload.op;
  if (typeof op === 'string' && isEnvelope(payload, schema)) return decodeEnvelope(payload, op, schema, raw, context);

  const reason = controlRecordReason(payload, schema);
  if (reason !== null) return { kind: 'skip', reason };
  if (Object.keys(payload).length === 0) return { kind: 'skip', reason: 'empty' };
  if (isEnvelopeWithoutOp(payload, schema)) {
    throw unsupportedEnvelope(typeof op === 'string' ? `unsupported op "${op}"` : 'Debezium envelope without an "op" field');
  }
  return decodeFlattenedChange(payload, schema, context());
}

/** The record's decode context, its key parsed at the first call: a control record never fails on its key. */
function lazyContext(raw: RawRecord, placeholder: string, limits: DecodeLimits, messages: RecordMessages): () => DecodeContext {
  return () => {
    const key = messages.key();
    return { raw, keyPayload: key?.payload ?? null, keySchema: key?.schema ?? null, placeholder, limits };
  };
}

function decodeEnvelope(
  payload: Record<string, unknown>,
  op: string,
  schema: ConnectSchema | null,
  raw: RawRecord,
  context: () => DecodeContext,
): DecodedRecord {
  if (op === 'm') {
    const prefix = isRecord(payload.message) && typeof payload.message.prefix === 'string' ? payload.message.prefix : undefined;
    return { kind: 'skip', reason: 'message', ...(prefix !== undefined ? { detail: prefix } : {}) };
  }
  const rawSource = isRecord(payload.source) ? payload.source : null;
  if (op === 't') {
    // Truncates have a null key: the whole table is affected.
    const connector = connectorKind(rawSource?.connector);
    return { kind: 'truncate', position: sourcePosition(connector, rawSource, raw), source: readSource(rawSource, connector) };
  }
  if (!ROW_OPS.has(op)) throw unsupportedEnvelope(`unsupported op "${op}"`);
  return isMongoEnvelope(payload, rawSource, schema)
    ? decodeMongoChange(payload, op as ChangeOp, context())
    : decodeRelationalChange(payload, op as ChangeOp, schema, context());
}

/**
 * Envelope or row? Debezium names every envelope schema `<prefix>.<…>.Envelope`. Schemaless, an
 * envelope has a known `op` next to a `source` block or `before`/`after`/`patch`/`updateDescription`;
 * a flattened row would need both an `op` column holding such a code and one of those columns.
 */
function isEnvelope(payload: Record<string, unknown>, schema: ConnectSchema | null): boolean {
  if (schema?.name !== undefined) return schema.name.endsWith(ENVELOPE_SUFFIX);
  return (
    ENVELOPE_OPS.has(payload.op as string) &&
    (isRecord(payload.source) || 'after' in payload || 'before' in payload || 'patch' in payload || 'updateDescription' in payload)
  );
}

/** An envelope that lost its `op`: refused rather than read as a row with `before`/`after` columns. */
function isEnvelopeWithoutOp(payload: Record<string, unknown>, schema: ConnectSchema | null): boolean {
  if (schema?.name !== undefined) return schema.name.endsWith(ENVELOPE_SUFFIX);
  return isRecord(payload.source) && ('after' in payload || 'before' in payload);
}

/** MongoDB: by its `source.connector`, else by its string documents or update fields. */
function isMongoEnvelope(payload: Record<string, unknown>, source: Record<string, unknown> | null, schema: ConnectSchema | null): boolean {
  if (typeof source?.connector === 'string') return source.connector === 'mongodb';
  const sourceSchema = schema?.fields?.find((field) => field.field === 'source')?.name ?? '';
  return (
    sourceSchema.startsWith('io.debezium.connector.mongo') ||
    typeof payload.after === 'string' ||
    typeof payload.before === 'string' ||
    'patch' in payload ||
    'updateDescription' in payload
  );
}

/**
 * A null value: a flattened delete when its headers say `__op: d` (ExtractNewRecordState with
 * `delete.handling.mode=none` and `add.headers`: decode-flattened-change.ts, isFlattenedDelete),
 * else a tombstone.
 */
function nullValue(raw: RawRecord, context: () => DecodeContext): DecodedRecord {
  return isFlattenedDelete(raw) ? decodeFlattenedChange({}, null, context()) : tombstone(context);
}

/**
 * A tombstone only tells Kafka's log compaction that the key is gone (the delete event before it
 * carried the change), so it must never stop ingestion: a key that cannot be read gives a
 * tombstone without a key rather than an error.
 */
function tombstone(context: () => DecodeContext): DecodedRecord {
  try {
    const { keyPayload, keySchema } = context();
    const key = looksLikeMongoKey(keyPayload) ? decodeMongoKey(keyPayload) : decodeStructKey(keyPayload, keySchema);
    return { kind: 'tombstone', entityKey: entityKeyOf(key), key };
  } catch (error) {
    if (isAppError(error)) return { kind: 'tombstone', entityKey: null, key: null };
    throw error;
  }
}

/** What parsing a key or value threw: an AppError as it is, a SyntaxError as DECODE_FAILED with an excerpt. */
function notJson(part: 'key' | 'value', text: string, error: unknown): unknown {
  if (isAppError(error)) return error;
  const excerpt = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return decodeFailed(`${part} is not valid JSON (${(error as Error).message}): ${JSON.stringify(excerpt)}`, error);
}

/**
 * The JSON converter with `schemas.enable=true` wraps every key and value as
 * `{"schema": {...}, "payload": ...}`; with `false` the payload is the whole message.
 */
function unwrap(message: unknown): ConnectMessage {
  if (isRecord(message) && 'payload' in message && 'schema' in message && Object.keys(message).length === 2) {
    const { schema, payload } = message;
    if (schema === null || isRecord(schema)) return { payload, schema: isConnectSchema(schema) ? schema : null };
  }
  return { payload: message, schema: null };
}
