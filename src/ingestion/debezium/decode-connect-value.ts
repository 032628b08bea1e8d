import { decimalFromBase64, decimalFromLiteral } from './decode-decimal';
import { isAppError } from '../../errors';
import { atPath, decodeFailed } from './decode-failure';
import { DEFAULT_DECODE_LIMITS } from './decode-limits';
import { formatEpochDay, formatEpochTimestamp, formatTimeOfDay, type TimeUnit } from './decode-temporal';
import { exactNumberText, isExactNumber, isIntegerLiteral, parseJsonLossless, plainExactNumber, plainJson } from './parse-json-lossless';

/**
 * A Kafka Connect schema as the JSON converter writes it (`schemas.enable=true`): a `type`, an
 * optional semantic `name` (the logical type) with `parameters`, and nested `fields` (struct),
 * `items` (array) or `keys`/`values` (map). Struct members carry their name in `field`.
 */
export interface ConnectSchema {
  readonly type: string;
  readonly optional?: boolean;
  readonly name?: string;
  readonly version?: number;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly default?: unknown;
  readonly doc?: string;
  readonly field?: string;
  readonly fields?: readonly ConnectSchema[];
  readonly items?: ConnectSchema;
  readonly keys?: ConnectSchema;
  readonly values?: ConnectSchema;
}

/** Semantic type names Debezium and Kafka Connect put in `schema.name`. */
export const LogicalType = {
  DECIMAL: 'org.apache.kafka.connect.data.Decimal',
  VARIABLE_SCALE_DECIMAL: 'io.debezium.data.VariableScaleDecimal',
  CONNECT_DATE: 'org.apache.kafka.connect.data.Date',
  CONNECT_TIME: 'org.apache.kafka.connect.data.Time',
  CONNECT_TIMESTAMP: 'org.apache.kafka.connect.data.Timestamp',
  DATE: 'io.debezium.time.Date',
  TIME: 'io.debezium.time.Time',
  MICRO_TIME: 'io.debezium.time.MicroTime',
  NANO_TIME: 'io.debezium.time.NanoTime',
  TIMESTAMP: 'io.debezium.time.Timestamp',
  MICRO_TIMESTAMP: 'io.debezium.time.MicroTimestamp',
  NANO_TIMESTAMP: 'io.debezium.time.NanoTimestamp',
  ZONED_TIMESTAMP: 'io.debezium.time.ZonedTimestamp',
  ZONED_TIME: 'io.debezium.time.ZonedTime',
  JSON: 'io.debezium.data.Json',
  UUID: 'io.debezium.data.Uuid',
} as const;

const TIME_OF_DAY: Readonly<Record<string, TimeUnit>> = {
  [LogicalType.CONNECT_TIME]: 'ms',
  [LogicalType.TIME]: 'ms',
  [LogicalType.MICRO_TIME]: 'us',
  [LogicalType.NANO_TIME]: 'ns',
};

const EPOCH_TIMESTAMP: Readonly<Record<string, TimeUnit>> = {
  [LogicalType.CONNECT_TIMESTAMP]: 'ms',
  [LogicalType.TIMESTAMP]: 'ms',
  [LogicalType.MICRO_TIMESTAMP]: 'us',
  [LogicalType.NANO_TIMESTAMP]: 'ns',
};

/** True for an object that can be read as a Connect schema (it has a string `type`). */
export function isConnectSchema(value: unknown): value is ConnectSchema {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}

const memberIndex = new WeakMap<ConnectSchema, Map<string, ConnectSchema>>();

/** The schema of the struct member `name`, or null when the struct (or the member) is unknown. */
export function fieldSchema(struct: ConnectSchema | null | undefined, name: string): ConnectSchema | null {
  if (!struct?.fields) return null;
  // Wide tables: index the members once per schema object instead of a linear search per column.
  let members = memberIndex.get(struct);
  if (!members) {
    members = new Map(struct.fields.filter((field) => field.field !== undefined).map((field) => [field.field as string, field]));
    memberIndex.set(struct, members);
  }
  return members.get(name) ?? null;
}

/**
 * Decodes one value by walking its Connect schema: logical types become exact strings (decimals,
 * ISO dates/times), `io.debezium.data.Json` becomes parsed JSON, structs/arrays/maps recurse.
 * Without a schema the value passes through, except that int64s beyond 2^53 become digit strings.
 *
 * @param path dotted location used in error messages, e.g. `after.balance`
 * @throws AppError DECODE_FAILED when the value does not fit its schema
 */
export function decodeConnectValue(value: unknown, schema: ConnectSchema | null, path: string): unknown {
  if (value === null || value === undefined) return null;
  if (schema === null) return plainJson(value);

  const logical = schema.name;
  if (logical !== undefined) {
    switch (logical) {
      case LogicalType.DECIMAL:
        return atPath(path, () => decodeDecimal(value, scaleOf(schema)));
      case LogicalType.VARIABLE_SCALE_DECIMAL:
        return atPath(path, () => decodeVariableScaleDecimal(value));
      case LogicalType.CONNECT_DATE:
      case LogicalType.DATE:
        return atPath(path, () => formatEpochDay(integerOf(value)));
      case LogicalType.JSON:
        return decodeJsonString(value, path);
      default: {
        const timeUnit = TIME_OF_DAY[logical];
        if (timeUnit) return atPath(path, () => formatTimeOfDay(integerOf(value), timeUnit));
        const epochUnit = EPOCH_TIMESTAMP[logical];
        if (epochUnit) return atPath(path, () => formatEpochTimestamp(integerOf(value), epochUnit));
        // ZonedTimestamp/ZonedTime are already ISO strings in UTC, Uuid is already the canonical
        // string, Enum/Xml/Ltree... are strings: their physical type below keeps them as they are.
      }
    }
  }

  switch (schema.type) {
    case 'struct':
      return decodeStruct(value, schema, path);
    case 'array':
      if (!Array.isArray(value)) throw decodeFailed(`${path}: expected an array, got ${describe(value)}`);
      return value.map((item, index) => decodeConnectValue(item, schema.items ?? null, `${path}[${index}]`));
    case 'map':
      return decodeMap(value, schema, path);
    case 'float32':
    case 'float64':
      // A double the parser could not keep exactly is still a double: give it back as a Number.
      return isExactNumber(value) ? Number(exactNumberText(value)) : value;
    default:
      // int64 beyond 2^53 stays a digit string; bytes stay base64 (the JSON converter's encoding).
      return isExactNumber(value) ? plainExactNumber(value) : value;
  }
}

function decodeStruct(value: unknown, schema: ConnectSchema, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw decodeFailed(`${path}: expected a struct (JSON object), got ${describe(value)}`);
  }
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const member of schema.fields ?? []) {
    if (member.field === undefined) continue;
    known.add(member.field);
    if (member.field in source) out[member.field] = decodeConnectValue(source[member.field], member, `${path}.${member.field}`);
  }
  for (const [name, item] of Object.entries(source)) {
    if (!known.has(name)) out[name] = plainJson(item);
  }
  return out;
}

/**
 * The JSON converter writes a map with string keys as a JSON object, and any other map as an
 * array of `[key, value]` pairs (JSON object keys can only be strings).
 */
function decodeMap(value: unknown, schema: ConnectSchema, path: string): unknown {
  const values = schema.values ?? null;
  if (Array.isArray(value)) {
    const pairs = value.map((pair, index) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw decodeFailed(`${path}[${index}]: expected a [key, value] pair, got ${describe(pair)}`);
      }
      return [
        decodeConnectValue(pair[0], schema.keys ?? null, `${path}[${index}].key`),
        decodeConnectValue(pair[1], values, `${path}[${index}].value`),
      ] as const;
    });
    const simpleKeys = pairs.every(([key]) => typeof key === 'string' || typeof key === 'number');
    return simpleKeys ? Object.fromEntries(pairs.map(([key, item]) => [String(key), item])) : pairs.map(([key, item]) => [key, item]);
  }
  if (value === null || typeof value !== 'object') throw decodeFailed(`${path}: expected a map, got ${describe(value)}`);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = decodeConnectValue(item, values, `${path}.${key}`);
  return out;
}

function decodeDecimal(value: unknown, scale: number): string {
  if (typeof value === 'string') {
    return isExactNumber(value) ? decimalFromLiteral(exactNumberText(value), scale) : decimalFromBase64(value, scale);
  }
  // decimal.format=NUMERIC: a JSON number. Literals with more than 15 significant digits arrive as
  // exact markers (above); any other number prints back to its literal, so no digit is lost.
  if (typeof value === 'number' && Number.isFinite(value)) return decimalFromLiteral(String(value), scale);
  throw new Error(`a Decimal must be base64 bytes or a JSON number, got ${describe(value)}`);
}

function decodeVariableScaleDecimal(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    throw new Error(`a VariableScaleDecimal must be a {scale, value} struct, got ${describe(value)}`);
  }
  const { scale, value: bytes } = value as { scale?: unknown; value?: unknown };
  if (typeof scale !== 'number' || !Number.isInteger(scale) || typeof bytes !== 'string') {
    throw new Error('a VariableScaleDecimal needs an integer scale and base64 value');
  }
  return decimalFromBase64(bytes, scale);
}

/** A JSON column's text gets the default decode limits (a row's own text was checked against the configured ones). */
function decodeJsonString(value: unknown, path: string): unknown {
  if (typeof value !== 'string') return plainJson(value);
  try {
    return plainJson(parseJsonLossless(value, DEFAULT_DECODE_LIMITS, path).value);
  } catch (error) {
    if (isAppError(error)) throw error;
    throw decodeFailed(`${path}: io.debezium.data.Json value is not valid JSON (${(error as Error).message})`, error);
  }
}

function scaleOf(schema: ConnectSchema): number {
  const scale = Number(schema.parameters?.scale);
  if (!Number.isInteger(scale)) throw new Error(`Decimal schema has no integer "scale" parameter`);
  return scale;
}

/** An integral JSON number (or exact marker) as a BigInt. */
export function integerOf(value: unknown): bigint {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (isExactNumber(value) && isIntegerLiteral(exactNumberText(value))) return BigInt(exactNumberText(value));
  throw new Error(`expected an integer, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (isExactNumber(value)) return exactNumberText(value);
  return typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeof value;
}
