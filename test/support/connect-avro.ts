import type avro from 'avsc';
import type { ConnectSchema } from '../../src/ingestion/debezium/decode-connect-value';
import { EXACT_NUMBER_MARKER, parseJsonLossless } from '../../src/ingestion/debezium/parse-json-lossless';
import type { RegistrySchema, SchemaRegistryClient } from '../../src/infra/schema-registry-client';
import { BIGINT_LONG } from '../../src/ingestion/registry/avro-connect';
import { type BatchDecoder, createBatchDecoder } from '../../src/ingestion/registry/registry-decoder';

/**
 * What Kafka Connect's Avro converter writes for a record the JSON converter wrote with
 * `schemas.enable=true`, for tests that send the same Debezium changes in both formats: the Avro
 * schema by the converter's documented rules (a struct becomes a record named after its Connect
 * name, an optional field `["null", X]` with default null, `connect.name` / `connect.version` /
 * `connect.parameters` on named types, Connect's own logical types also as Avro logical types:
 * Decimal → bytes/decimal with precision and scale, Date → date, Time → time-millis, Timestamp →
 * timestamp-millis; int8/int16 as int with `connect.type`), and the value as avsc encodes it
 * (longs as BigInt, bytes as Buffers, unions wrapped by branch name).
 *
 * Written from the converter's documentation for the tests only; canonql's reading side
 * (src/ingestion/registry/avro-connect.ts) is separate code.
 */
const PRIMITIVE: Readonly<Record<string, string>> = {
  int8: 'int',
  int16: 'int',
  int32: 'int',
  int64: 'long',
  float32: 'float',
  float64: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
};
const CONNECT_LOGICAL: Readonly<Record<string, Record<string, unknown>>> = {
  'org.apache.kafka.connect.data.Date': { logicalType: 'date' },
  'org.apache.kafka.connect.data.Time': { logicalType: 'time-millis' },
  'org.apache.kafka.connect.data.Timestamp': { logicalType: 'timestamp-millis' },
};

/** avsc's `typeHook` that makes every long (`"long"` or `{"type": "long", ...}`) a BigInt long. */
export function bigintLongs(schema: avro.Schema): avro.Type | undefined {
  const kind = typeof schema === 'string' ? schema : (schema as { type?: unknown }).type;
  return kind === 'long' ? BIGINT_LONG : undefined;
}

/**
 * Debezium's `schema.name.adjustment.mode=avro` (the default with the Avro converter) makes every
 * schema name a valid Avro name: each character outside [A-Za-z0-9_.] becomes `_`.
 */
export function avroName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

export function avroSchemaOf(schema: ConnectSchema, defined = new Set<string>()): unknown {
  const named = schema.name;
  if (schema.type === 'struct') {
    const fullName = avroName(named ?? 'io.confluent.connect.avro.ConnectDefault');
    if (defined.has(fullName)) return fullName;
    defined.add(fullName);
    const dot = fullName.lastIndexOf('.');
    return {
      type: 'record',
      name: fullName.slice(dot + 1),
      ...(dot > 0 ? { namespace: fullName.slice(0, dot) } : {}),
      fields: (schema.fields ?? []).map((field) => {
        const type = avroSchemaOf(field, defined);
        return field.optional ? { name: field.field, type: ['null', type], default: null } : { name: field.field, type };
      }),
      ...connectAttributes(schema),
    };
  }
  if (schema.type === 'array') return { type: 'array', items: optional(schema.items!, defined) };
  if (schema.type === 'map') return { type: 'map', values: optional(schema.values!, defined) };
  const type = PRIMITIVE[schema.type];
  if (!type) throw new Error(`no Avro type for Connect type ${schema.type}`);
  const extra: Record<string, unknown> = {};
  if (schema.type === 'int8' || schema.type === 'int16') extra['connect.type'] = schema.type;
  if (named === 'org.apache.kafka.connect.data.Decimal') {
    Object.assign(extra, {
      logicalType: 'decimal',
      scale: Number(schema.parameters?.scale),
      precision: Number(schema.parameters?.['connect.decimal.precision'] ?? 64),
    });
  }
  if (named && CONNECT_LOGICAL[named]) Object.assign(extra, CONNECT_LOGICAL[named]);
  const attributes = { ...connectAttributes(schema), ...extra };
  return Object.keys(attributes).length === 0 ? type : { type, ...attributes };
}

function optional(schema: ConnectSchema, defined: Set<string>): unknown {
  const type = avroSchemaOf(schema, defined);
  return schema.optional ? ['null', type] : type;
}

function connectAttributes(schema: ConnectSchema): Record<string, unknown> {
  return {
    ...(schema.version !== undefined ? { 'connect.version': schema.version } : {}),
    ...(schema.parameters ? { 'connect.parameters': schema.parameters } : {}),
    ...(schema.name ? { 'connect.name': avroName(schema.name) } : {}),
  };
}

/** The JSON converter's payload (exact-number markers included) as avsc values for `avroSchemaOf(schema)`. */
export function avroValueOf(schema: ConnectSchema, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const wrap = (inner: ConnectSchema, converted: unknown) => (inner.optional && converted !== null ? { [branchName(inner)]: converted } : converted);
  switch (schema.type) {
    case 'struct': {
      const source = value as Record<string, unknown>;
      return Object.fromEntries((schema.fields ?? []).map((field) => [field.field, wrap(field, avroValueOf(field, source[field.field!]))]));
    }
    case 'array':
      return (value as unknown[]).map((item) => wrap(schema.items!, avroValueOf(schema.items!, item)));
    case 'map':
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, wrap(schema.values!, avroValueOf(schema.values!, v))]));
    case 'int64':
      return typeof value === 'string' && value.startsWith(EXACT_NUMBER_MARKER) ? BigInt(value.slice(EXACT_NUMBER_MARKER.length)) : BigInt(value as number);
    case 'bytes':
      return Buffer.from(value as string, 'base64');
    default:
      return value;
  }
}

/** The branch name avsc gives a union member (its full name for a record, else its type). */
function branchName(schema: ConnectSchema): string {
  if (schema.type === 'struct') return avroName(schema.name ?? 'io.confluent.connect.avro.ConnectDefault');
  if (schema.type === 'array' || schema.type === 'map') return schema.type;
  return PRIMITIVE[schema.type]!;
}

/**
 * A JSON converter message (`{schema, payload}` text, digits kept) read back as its Connect schema
 * and payload. Debezium's own envelope and source `ts_ns` are read as canonql reads a value's (as
 * doubles, never used): a JSON Schema writer could not carry them exactly.
 */
export function readConnectMessage(text: string): { schema: ConnectSchema; payload: unknown } {
  return parseJsonLossless(text, undefined, undefined, { envelopeTsNs: true }).value as { schema: ConnectSchema; payload: unknown };
}

/** canonql's registry decoder for Avro topics over a registry that answers every id with `schema` (unit tests of the Avro path). */
export function avroDecoderFor(schema: unknown): BatchDecoder {
  const registry: SchemaRegistryClient = { schemaById: async (id): Promise<RegistrySchema> => ({ id, schemaType: 'AVRO', schema: JSON.stringify(schema) }) };
  return createBatchDecoder({ formatOf: () => 'avro', registryOf: () => registry });
}
