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
        throw decodeFailed(`${path}: $oid must be 24 hex digits, got ${JSON.stringify(content)}`);
      case '$numberLong':
        return plainInteger(content, '$numberLong', path);
      case '$numberInt':
        return Number(plainInteger(content, '$numberInt', path));
      case '$numberDecimal':
        // Plain decimal text, as every other source's decimals: MongoDB writes 1.50E+3 for 1500.
        if (typeof content === 'string' && NUMBER_TEXT.test(content)) return plainDecimalText(content);
        throw decodeFailed(`${path}: invalid $numberDecimal ${JSON.stringify(content)}`);
      case '$numberDouble':
        if (typeof content === 'string' && NUMBER_TEXT.test(content)) return Number(content);
        throw decodeFailed(`${path}: invalid $numberDouble ${JSON.stringify(content)}`);
      case '$date':
        return fromDate(content, path);
      case '$binary':
        if (isBinary(content)) return base64Of(content.base64, path);
        break;
      case '$uuid':
        if (typeof content === 'string' && /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(content)) {
          return Buffer.from(content.replace(/-/g, ''), 'hex').toString('base64');
        }
        throw decodeFailed(`${path}: invalid $uuid ${JSON.stringify(content)}`);
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
  if (typeof content === 'number' && Number.isInteger(content)) ms = BigInt(content);
  else if (typeof content === 'string') {
    const parsed = Date.parse(content);
    if (!Number.isNaN(parsed)) ms = BigInt(parsed);
  } else if (content !== null && typeof content === 'object' && typeof (content as { $numberLong?: unknown }).$numberLong === 'string') {
    const digits = (content as { $numberLong: string }).$numberLong;
    if (/^-?\d+$/.test(digits)) ms = BigInt(digits);
  }
  if (ms === null) throw decodeFailed(`${path}: invalid $date ${JSON.stringify(content)}`);
  return formatEpochTimestamp(ms, 'ms');
}

function plainInteger(content: unknown, type: string, path: string): number | string {
  if (typeof content !== 'string' || !/^-?\d+$/.test(content)) throw decodeFailed(`${path}: invalid ${type} ${JSON.stringify(content)}`);
  const value = BigInt(content);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
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
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw decodeFailed(`${path}: invalid $binary base64 ${JSON.stringify(text)}`);
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
