import { GraphQLError, GraphQLScalarType, Kind, print, type ValueNode } from 'graphql';
import { parseDateTime } from '../values/date-time';
import { plainDecimalText } from '../values/decimal';
import { numberKey } from '../values/order-key';

/**
 * Scalars for canonical values. Decimals are exact strings end to end (money never becomes a
 * float); DateTime is an ISO-8601 string at full source precision; JSON carries any value
 * (sources, free-form fields). Inputs are kept exactly as written (a filter compares them by
 * value through order keys, values/order-key.ts), outputs are the stored text.
 */
const DECIMAL = /^-?\d+(\.\d+)?$/;

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description:
    'An instant as ISO-8601 text with an offset and 0 to 9 fractional digits, e.g. "2024-05-01T10:00:00.123456Z". ' +
    'Served as stored (microseconds and nanoseconds kept); compared by instant.',
  serialize: (value) => (value instanceof Date ? isoText(value) : String(value)),
  parseValue: (value) => parseDateTimeInput(value),
  // The literal's node goes into the error: its position names the argument (literal-input-error.ts).
  parseLiteral: (ast) => parseDateTimeInput(ast.kind === Kind.STRING ? ast.value : print(ast), ast),
});

/**
 * `date.toISOString()`, the last instant's text kept: a list answer's rows come ordered by time
 * (a `metric(...)` answer has one start per window for dozens of rows), so most rows repeat the
 * previous row's instant. Keyed by the instant, not the Date object (a Date can be changed); an
 * invalid Date (NaN never equals itself) throws as `toISOString` does.
 */
let lastInstant = Number.NaN;
let lastText = '';
function isoText(date: Date): string {
  const instant = date.getTime();
  if (instant !== lastInstant) {
    lastText = date.toISOString();
    lastInstant = instant;
  }
  return lastText;
}

function parseDateTimeInput(value: unknown, literal?: ValueNode): string {
  if (typeof value !== 'string' || parseDateTime(value) === null) {
    throw new GraphQLError(`DateTime must be ISO-8601 text with an offset and at most 9 fractional digits (years 0000–9999), got ${JSON.stringify(value)}`, {
      nodes: literal ?? null,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return value;
}

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "1234.50". Never a binary float.',
  serialize: (value) => String(value),
  parseValue: (value) => parseDecimal(typeof value === 'number' ? plainDecimalText(value) : value),
  parseLiteral: (ast) =>
    parseDecimal(ast.kind === Kind.STRING ? ast.value : ast.kind === Kind.INT || ast.kind === Kind.FLOAT ? plainDecimalText(ast.value) : print(ast), ast),
});

function parseDecimal(value: unknown, literal?: ValueNode): string {
  if (typeof value !== 'string' || !DECIMAL.test(value) || numberKey(value) === null) {
    throw new GraphQLError(`Decimal must be a decimal string such as "-1234.50" (at most 1000 significant digits), got ${JSON.stringify(value)}`, {
      nodes: literal ?? null,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return value;
}

/**
 * A whole number beyond GraphQL's 32-bit `Int`, up to what a JSON number holds exactly
 * (±(2^53−1)): canonical `integer` fields with `format: int64` (a BIGINT id, a count, epoch
 * milliseconds). Served as a JSON number; read from a number, an integer literal or a string of
 * digits.
 */
export const LongScalar = new GraphQLScalarType({
  name: 'Long',
  description: 'A whole number within ±9007199254740991 (what a JSON number holds exactly), e.g. 5000000000. Inputs may also be strings of digits.',
  serialize: (value) => {
    const long = longOf(value);
    if (long === null) throw new GraphQLError(`Long cannot represent ${JSON.stringify(typeof value === 'bigint' ? String(value) : value)}`);
    return long;
  },
  parseValue: (value) => parseLong(value),
  parseLiteral: (ast) => parseLong(ast.kind === Kind.INT || ast.kind === Kind.STRING ? ast.value : print(ast), ast),
});

const WHOLE = /^-?\d+$/;

/**
 * Why a stored whole number cannot be served as `scalar`, or null when it can (anything but a
 * whole number is left to the scalar's serialize). Canonical validation takes any JSON integer
 * for an `integer` field, so a source can fill one beyond GraphQL's 32-bit Int or beyond what a
 * Long holds exactly; the entity type answers such a value as a VALUE_OUT_OF_RANGE field error
 * (entity-type.ts) instead of the serialize error, which carries no code.
 */
export function integerOutOfRange(scalar: 'Int' | 'Long', value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isInteger(value)) return null;
  if (scalar === 'Long') return Number.isSafeInteger(value) ? null : `${plainDecimalText(value)} is beyond what a Long holds exactly (±9007199254740991)`;
  return value >= -2_147_483_648 && value <= 2_147_483_647
    ? null
    : `${plainDecimalText(value)} is beyond a 32-bit Int (-2147483648 to 2147483647); "format": "int64" serves it as a Long`;
}

/** The safe integer a number, bigint or digit string stands for; null for anything else. */
function longOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
  if (typeof value === 'string' && WHOLE.test(value)) {
    const whole = BigInt(value);
    return whole >= BigInt(Number.MIN_SAFE_INTEGER) && whole <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(whole) : null;
  }
  return null;
}

function parseLong(value: unknown, literal?: ValueNode): number {
  const long = longOf(value);
  if (long === null) {
    throw new GraphQLError(`Long must be a whole number within ±9007199254740991, got ${JSON.stringify(value)}`, {
      nodes: literal ?? null,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return long;
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => literalValue(ast),
});

function literalValue(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return ast.value;
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalValue(f.value)]));
    default:
      throw new GraphQLError('variables are not supported inside JSON literals', { extensions: { code: 'BAD_USER_INPUT' } });
  }
}
