import { EJSON, type Binary, type BSONRegExp, type Code, type DBRef, type Decimal128, type Long, type ObjectId, type Timestamp } from 'bson';
import { isAppError } from '../../errors';
import { plainDecimalText } from '../../values/decimal';
import { decodeFailed } from './decode-failure';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-limits';
import { formatEpochTimestamp } from './decode-temporal';
import { isExactNumber, parseJsonLossless, plainExactNumber } from './parse-json-lossless';

/**
 * Decodes MongoDB Extended JSON text, the form in which the Debezium MongoDB connector sends
 * documents (`after`, `before`, `updateDescription.updatedFields`, 1.x `patch`/`filter`, and the
 * key's `id`), into plain JSON-compatible values:
 *
 * - `$oid` → 24-hex string; `$date` → ISO-8601 UTC string (`…T13:58:28.000Z`)
 * - `$numberDecimal` → decimal string (never a float); `$numberLong` → number if within 2^53, else
 *   digit string; `$numberInt` / `$numberDouble` → number
 * - `$binary` (canonical and the legacy `{$binary, $type}` form Debezium's key table shows) and
 *   `$uuid` → base64 string; `$timestamp` → `{t, i}`; `$regularExpression` → `{pattern, options}`
 * - nested documents and arrays recursively; anything rarer keeps its canonical Extended JSON.
 *
 * A number or date beyond its BSON type (a `$numberLong` or `$date` beyond int64, a `$numberInt`
 * beyond int32, a `$numberDecimal` Decimal128 cannot hold, a finite `$numberDouble` that reads as
 * an infinity or as 0) comes from no real document: DECODE_FAILED naming the path, refused from
 * its digit count and exponent before any arithmetic on its digits.
 *
 * The types every document is made of are converted here directly (bson's `EJSON` runs a
 * stringify/parse round trip per call, ten times the cost of the document's own parse); every
 * other `$` wrapper is handed to `EJSON.deserialize` in canonical mode, which knows them all.
 *
 * @param path location used in error messages, e.g. `after`
 * @throws AppError DECODE_FAILED for malformed JSON or Extended JSON, DECODE_LIMIT_EXCEEDED beyond `limits`
 */
export function decodeExtendedJson(text: string, path: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): unknown {
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(text, limits, path).value;
  } catch (error) {
    if (isAppError(error)) throw error;
    throw decodeFailed(`${path}: not valid (Extended) JSON: ${(error as Error).message}`, error);
  }
  return fromExtendedJson(parsed, path);
}

/** Converts an already parsed Extended JSON value, see {@link decodeExtendedJson}. */
export function fromExtendedJson(value: unknown, path: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return isExactNumber(value) ? plainExactNumber(value) : value;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item, index) => fromExtendedJson(item, `${path}[${index}]`));
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 0 && (keys[0] as string).startsWith('$')) return fromWrapper(record, keys, path);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = fromExtendedJson(record[key], `${path}.${key}`);
  return out;
}

/** The text of a `$numberDecimal` / `$numberDouble`: a decimal literal, `Infinity` or `NaN`. */
const NUMBER_TEXT = /^(-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|-?Infinity|NaN)$/;

function fromWrapper(wrapper: Record<string, unknown>, keys: string[], path: string): unknown {
  const [type] = keys;
  const content = wrapper[type as string];
  if (keys.length === 1) {
    switch (type) {
      case '$oid':
        if (typeof content === 'string' && /^[0-9a-fA-F]{24}$/.test(content)) return content.toLowerCase();
        throw decodeFailed(`${path}: $oid must be 24 hex digits, got ${quoted(content)}`);
      case '$numberLong':
        return plainInteger(integerIn(content, INT64, '$numberLong', path));
      case '$numberInt':
        return Number(integerIn(content, INT32, '$numberInt', path));
      case '$numberDecimal':
        if (typeof content !== 'string' || !NUMBER_TEXT.test(content)) throw decodeFailed(`${path}: invalid $numberDecimal ${quoted(content)}`);
        if (!isDecimal128(content)) {
          throw decodeFailed(`${path}: $numberDecimal ${quoted(content)} is beyond Decimal128 (at most 34 significant digits, exponent -6176 to 6111)`);
        }
        // Plain decimal text, as every other source's decimals: MongoDB writes 1.50E+3 for 1500.
        return plainDecimalText(content);
      case '$numberDouble':
        if (typeof content === 'string' && NUMBER_TEXT.test(content)) return doubleOf(content, path);
        throw decodeFailed(`${path}: invalid $numberDouble ${quoted(content)}`);
      case '$date':
        return fromDate(content, path);
      case '$binary':
        if (isBinary(content)) return base64Of(content.base64, path);
        break;
      case '$uuid':
        if (typeof content === 'string' && /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(content)) {
          return Buffer.from(content.replace(/-/g, ''), 'hex').toString('base64');
        }
        throw decodeFailed(`${path}: invalid $uuid ${quoted(content)}`);
    }
  } else if (keys.length === 2 && type === '$binary' && typeof content === 'string' && typeof wrapper.$type === 'string') {
    // Extended JSON v1, as in Debezium's key documentation: {"$binary": "<base64>", "$type": "00"}.
    return base64Of(content, path);
  }
  // Rarer types ($timestamp, $regularExpression, $minKey, $code, DBRef...) and any malformed
  // wrapper: bson's EJSON is the reference for those.
  let bson: unknown;
  try {
    bson = EJSON.deserialize(wrapper, { relaxed: false });
  } catch (error) {
    throw decodeFailed(`${path}: invalid Extended JSON: ${(error as Error).message}`, error);
  }
  return fromBson(bson, path);
}

function fromDate(content: unknown, path: string): string {
  let ms: bigint | null = null;
  if (typeof content === 'number' && Number.isInteger(content)) {
    // A double holds integers far beyond int64 (1e300): a BSON date is int64 milliseconds.
    if (content < -(2 ** 63) || content >= 2 ** 63) throw beyond(`$date ${content}`, INT64, path);
    ms = BigInt(content);
  } else if (typeof content === 'string') {
    const parsed = Date.parse(content);
    if (!Number.isNaN(parsed)) ms = BigInt(parsed);
  } else if (content !== null && typeof content === 'object' && typeof (content as { $numberLong?: unknown }).$numberLong === 'string') {
    ms = integerIn((content as { $numberLong: string }).$numberLong, INT64, '$date $numberLong', path);
  }
  if (ms === null) throw decodeFailed(`${path}: invalid $date ${quoted(content)}`);
  return formatEpochTimestamp(ms, 'ms');
}

interface IntegerType {
  readonly name: string;
  readonly min: bigint;
  readonly max: bigint;
  /** Digits of the widest value, leading zeros aside. */
  readonly digits: number;
}

const INT64: IntegerType = { name: 'int64', min: -(2n ** 63n), max: 2n ** 63n - 1n, digits: 19 };
const INT32: IntegerType = { name: 'int32', min: -(2n ** 31n), max: 2n ** 31n - 1n, digits: 10 };

/**
 * The integer of a `$numberLong` / `$numberInt` text, refused beyond its type: by its digit count
 * first, so a text of a million digits is never read as a BigInt (that alone takes a third of a
 * second).
 */
function integerIn(content: unknown, type: IntegerType, wrapper: string, path: string): bigint {
  if (typeof content !== 'string' || !/^-?\d+$/.test(content)) throw decodeFailed(`${path}: invalid ${wrapper} ${quoted(content)}`);
  const digits = content.length - (/^-?0*/.exec(content)?.[0].length ?? 0);
  const value = digits > type.digits ? null : BigInt(content);
  if (value === null || value < type.min || value > type.max) throw beyond(`${wrapper} ${quoted(content)}`, type, path);
  return value;
}

function beyond(what: string, type: IntegerType, path: string) {
  return decodeFailed(`${path}: ${what} is beyond ${type.name} (${type.min} to ${type.max})`);
}

function plainInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** At most 34 characters before the exponent, which has at most three digits: a coefficient of at most 34 digits, an exponent within ±1032. */
const SHORT_DECIMAL = /^[^eE]{0,34}(?:[eE][+-]?\d{1,3})?$/;
/** A finite NUMBER_TEXT: its integer digits, fraction digits and exponent. */
const DECIMAL_PARTS = /^-?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Decimal128: a coefficient of at most 34 digits times 10^-6176 to 10^6111. */
const DECIMAL128 = { digits: 34, minExponent: -6176, maxExponent: 6111 };

/**
 * Whether a `$numberDecimal` text (NUMBER_TEXT) is a value Decimal128 holds exactly: its
 * coefficient, trailing zeros moved into the exponent, has at most 34 digits, its exponent is at
 * least -6176, and padded with zeros to 34 digits it is at most 6111 (so `1E+6144` is one, its
 * coefficient 1000000000000000000000000000000000 × 10^6111); zero is, at any exponent (MongoDB
 * clamps it). Counted on the text, never read as a number. The common texts (SHORT_DECIMAL) are all
 * within range and skip the count. bson's Decimal128.fromString agrees, but costs microseconds and
 * takes an exponent more than 16,384 below its minimum for the minimum (`1e-99999` reads as
 * `1E-6176`), so it is not the check.
 */
function isDecimal128(text: string): boolean {
  if (SHORT_DECIMAL.test(text)) return true;
  const parts = DECIMAL_PARTS.exec(text);
  if (!parts) return true; // NaN, Infinity, -Infinity
  const digits = `${parts[1]}${parts[2] ?? ''}`;
  const first = digits.search(/[1-9]/);
  if (first === -1) return true;
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48 /* 0 */) end -= 1;
  const coefficientDigits = end - first;
  if (coefficientDigits > DECIMAL128.digits) return false;
  const exponent = Number(parts[3] ?? 0) - (parts[2]?.length ?? 0) + (digits.length - end);
  return exponent >= DECIMAL128.minExponent && exponent - (DECIMAL128.digits - coefficientDigits) <= DECIMAL128.maxExponent;
}

/** A `$numberDouble` text as a number; a finite text that reads as an infinity or as 0 is beyond a double. */
function doubleOf(text: string, path: string): number {
  const value = Number(text);
  const beyondDouble = Number.isFinite(value) ? value === 0 && /[1-9]/.test(text.split(/[eE]/)[0]!) : !/Infinity|NaN/.test(text);
  if (beyondDouble) throw decodeFailed(`${path}: $numberDouble ${quoted(text)} is beyond double (magnitudes 5e-324 to 1.7976931348623157e308)`);
  return value;
}

/** A wrapper's content in a message: its JSON, cut after 40 characters (a refused text may have a million). */
function quoted(content: unknown): string {
  const json = JSON.stringify(content) ?? String(content);
  return json.length <= 40 ? json : `${json.slice(0, 40)}… (${json.length} characters)`;
}

function isBinary(content: unknown): content is { base64: string; subType: string } {
  return (
    content !== null &&
    typeof content === 'object' &&
    typeof (content as { base64?: unknown }).base64 === 'string' &&
    typeof (content as { subType?: unknown }).subType === 'string'
  );
}

function base64Of(text: string, path: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw decodeFailed(`${path}: invalid $binary base64 ${quoted(text)}`);
  return text;
}

/** Converts bson's typed values (ObjectId, Long, Decimal128, Date...) to plain values, see above. */
export function fromBson(value: unknown, path: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return isExactNumber(value) ? plainExactNumber(value) : value;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item, index) => fromBson(item, `${path}[${index}]`));
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw decodeFailed(`${path}: $date is out of range or invalid`);
    return formatEpochTimestamp(BigInt(ms), 'ms');
  }
  const bsonType = (value as { _bsontype?: unknown })._bsontype;
  if (typeof bsonType === 'string') return fromBsonType(bsonType, value, path);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = fromBson(item, `${path}.${key}`);
  return out;
}

function fromBsonType(bsonType: string, value: object, path: string): unknown {
  switch (bsonType) {
    case 'ObjectId':
      return (value as ObjectId).toHexString();
    case 'Decimal128':
      // MongoDB writes exponent form (1.50E+3) where canonical decimals are plain text (1500).
      return plainDecimalText((value as Decimal128).toString());
    case 'Long': {
      const long = BigInt((value as Long).toString());
      return long >= BigInt(Number.MIN_SAFE_INTEGER) && long <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(long) : long.toString();
    }
    case 'Int32':
    case 'Double':
      return (value as { valueOf(): number }).valueOf();
    case 'Binary':
      return (value as Binary).toString('base64');
    case 'Timestamp':
      return { t: (value as Timestamp).t, i: (value as Timestamp).i };
    case 'BSONRegExp':
      return { pattern: (value as BSONRegExp).pattern, options: (value as BSONRegExp).options };
    case 'BSONSymbol':
      return String(value);
    case 'Code': {
      const code = value as Code;
      return code.scope ? { code: String(code.code), scope: fromBson(code.scope, `${path}.scope`) } : String(code.code);
    }
    case 'DBRef': {
      const ref = value as DBRef;
      return { $ref: ref.collection, $id: fromBson(ref.oid, `${path}.$id`), ...(ref.db ? { $db: ref.db } : {}) };
    }
    default:
      // MinKey, MaxKey: no plain equivalent; keep their canonical Extended JSON.
      return EJSON.serialize(value);
  }
}
