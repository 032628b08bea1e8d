import type { ConnectSchema } from '../../src/ingestion/debezium/decode-connect-value';
import { decimalFromBase64 } from '../../src/ingestion/debezium/decode-decimal';
import { EXACT_NUMBER_MARKER } from '../../src/ingestion/debezium/parse-json-lossless';

/**
 * What Kafka Connect's JSON Schema converter writes for a record the JSON converter wrote with
 * `schemas.enable=true`, for tests that send the same Debezium changes in both formats. The schema
 * by the converter's documented rules: a struct becomes an `object` whose `title` is its Connect
 * name, each property with its `connect.index`; an optional field is `oneOf [null, X]`; integers
 * and floats carry their Connect type in `connect.type` (`int8` … `int64`, `float32`, `float64`),
 * bytes are a `string` with `connect.type: bytes` (base64), a map with string keys an `object`
 * with `additionalProperties` and `connect.type: map`; named types keep `connect.version` and
 * `connect.parameters`; a Decimal is a `number` (`connect.type: bytes`) whose value is the number
 * itself. The value is the JSON converter's payload with Decimal bytes as numbers.
 *
 * Written from the converter's documentation for the tests only; canonql's reading side
 * (src/ingestion/registry/json-schema-connect.ts) is separate code.
 */
const DECIMAL = 'org.apache.kafka.connect.data.Decimal';

export function jsonSchemaOf(schema: ConnectSchema): Record<string, unknown> {
  const named = {
    ...(schema.name ? { title: schema.name } : {}),
    ...(schema.version !== undefined ? { 'connect.version': schema.version } : {}),
    ...(schema.parameters ? { 'connect.parameters': schema.parameters } : {}),
  };
  switch (schema.type) {
    case 'struct':
      return {
        type: 'object',
        ...named,
        properties: Object.fromEntries(
          (schema.fields ?? []).map((field, index) => [field.field!, { ...optional(field, jsonSchemaOf(field)), 'connect.index': index }]),
        ),
      };
    case 'array':
      return { type: 'array', ...named, items: optional(schema.items!, jsonSchemaOf(schema.items!)) };
    case 'map':
      return { type: 'object', ...named, 'connect.type': 'map', additionalProperties: optional(schema.values!, jsonSchemaOf(schema.values!)) };
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return { type: 'integer', ...named, 'connect.type': schema.type };
    case 'float32':
    case 'float64':
      return { type: 'number', ...named, 'connect.type': schema.type };
    case 'bytes':
      return schema.name === DECIMAL ? { type: 'number', ...named, 'connect.type': 'bytes' } : { type: 'string', ...named, 'connect.type': 'bytes' };
    case 'string':
    case 'boolean':
      return { type: schema.type, ...named };
    default:
      throw new Error(`no JSON Schema for Connect type ${schema.type}`);
  }
}

function optional(schema: ConnectSchema, json: Record<string, unknown>): Record<string, unknown> {
  return schema.optional ? { oneOf: [{ type: 'null' }, json] } : json;
}

/** The JSON converter's payload as the JSON Schema converter writes it: Decimal bytes as numbers, exact-number markers as numbers. */
export function jsonSchemaValueOf(schema: ConnectSchema, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (schema.type) {
    case 'struct': {
      const source = value as Record<string, unknown>;
      return Object.fromEntries((schema.fields ?? []).map((field) => [field.field!, jsonSchemaValueOf(field, source[field.field!])]));
    }
    case 'array':
      return (value as unknown[]).map((item) => jsonSchemaValueOf(schema.items!, item));
    case 'map':
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, jsonSchemaValueOf(schema.values!, v)]));
    case 'bytes':
      // The test data's decimals have at most 15 significant digits: a JSON number keeps them.
      return schema.name === DECIMAL ? Number(decimalFromBase64(value as string, Number(schema.parameters?.scale))) : value;
    default:
      if (typeof value === 'string' && value.startsWith(EXACT_NUMBER_MARKER)) {
        const number = Number(value.slice(EXACT_NUMBER_MARKER.length));
        if (!Number.isSafeInteger(number)) throw new Error(`${value.slice(EXACT_NUMBER_MARKER.length)} is beyond what a test JSON number keeps`);
        return number;
      }
      return value;
  }
}
