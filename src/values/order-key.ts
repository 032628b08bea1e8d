import { AppError, ErrorCode } from '../errors';
import { parseDecimal, type DecimalValue } from './decimal';
import { instantKey, instantOfDate, parseDateTime } from './date-time';

/**
 * Order keys: ASCII strings whose plain string order is the value order, stored beside the exact
 * value (`_k.<path>` next to `data.<path>`, see state/order-keys.ts). Every store orders and
 * compares strings the same way (byte order, which for ASCII is code-unit order), so the store's
 * own `$lt`/`$gt`/`$in`/sort on a key compare numbers and instants by value, while the API still
 * returns the exact text ("12.50" keeps its scale, a DateTime its digits and offset).
 *
 * Numbers (Decimal, Int, Long, Float): "2" for zero; "3" + 5-digit biased exponent + significant digits
 * for positives; "1" + inverted exponent + 9-complemented digits + "~" for negatives, so a longer
 * negative mantissa (more negative) sorts first. Equal values have one key ("12.5" = "12.50").
 * DateTime: UTC text with nine fractional digits (instantKey).
 */
export type KeyedScalar = 'Decimal' | 'Int' | 'Long' | 'Float' | 'DateTime';
export const KEYED_SCALARS: readonly KeyedScalar[] = ['Decimal', 'Int', 'Long', 'Float', 'DateTime'];

/** Decimal exponents (scientific) the key can hold: |E| ≤ 9999, and at most 1,000 significant digits. */
const EXPONENT_BIAS = 10_000;
const MAX_DIGITS = 1000;

export function isKeyedScalar(scalar: string): scalar is KeyedScalar {
  return (KEYED_SCALARS as readonly string[]).includes(scalar);
}

/** The key of a numeric value; null when it is not a number or decimal text, or out of the key's range. */
export function numberKey(value: unknown): string | null {
  if (typeof value === 'string' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return null;
  const parsed = typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' ? parseDecimal(value) : null;
  return parsed ? decimalKey(parsed) : null;
}

export function decimalKey(value: DecimalValue): string | null {
  if (value.digits === 0n) return '2';
  let digits = value.digits.toString();
  const trimmed = digits.replace(/0+$/, '');
  const exponent = value.exponent + (digits.length - trimmed.length) + trimmed.length;
  digits = trimmed;
  if (digits.length > MAX_DIGITS || Math.abs(exponent) >= EXPONENT_BIAS) return null;
  if (!value.negative) return `3${String(exponent + EXPONENT_BIAS).padStart(5, '0')}${digits}`;
  let complement = '';
  for (let i = 0; i < digits.length; i += 1) complement += String(9 - (digits.charCodeAt(i) - 48));
  return `1${String(99_999 - (exponent + EXPONENT_BIAS)).padStart(5, '0')}${complement}~`;
}

/** The key of a DateTime (canonical text or a Date); null when it is neither. */
export function dateTimeKey(value: unknown): string | null {
  const instant = value instanceof Date ? instantOfDate(value) : typeof value === 'string' ? parseDateTime(value) : null;
  return instant ? instantKey(instant) : null;
}

/** The key of `value` as a `scalar` (DateTime text or a Date; a number or decimal text); null when it has none. */
export function keyOf(scalar: KeyedScalar, value: unknown): string | null {
  return scalar === 'DateTime' ? dateTimeKey(value) : numberKey(value);
}

/** The key of `value` as a `scalar`; null for null/absent. Throws VALUE_OUT_OF_RANGE when it has none. */
export function orderKeyOf(scalar: KeyedScalar, value: unknown, path: string): string | null {
  if (value === null || value === undefined) return null;
  const key = keyOf(scalar, value);
  if (key === null) {
    throw new AppError(
      ErrorCode.VALUE_OUT_OF_RANGE,
      scalar === 'DateTime'
        ? `${path}: ${JSON.stringify(value)} is not a DateTime the store can order (ISO-8601 with an offset, at most 9 fractional digits, years 0000–9999 UTC)`
        : `${path}: ${JSON.stringify(String(value))} is not a ${scalar} the store can order (|exponent| < ${EXPONENT_BIAS}, at most ${MAX_DIGITS} significant digits)`,
      { details: { path, value: String(value), scalar } },
    );
  }
  return key;
}

/** A well-formed key of `scalar` (a cursor's value is checked with this before it reaches a filter). */
export function isOrderKey(scalar: KeyedScalar, key: unknown): key is string {
  if (typeof key !== 'string') return false;
  return scalar === 'DateTime'
    ? /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/.test(key)
    : /^(2|3\d{5}(?:[1-9]|[1-9]\d*[1-9])|1\d{5}(?:[0-8]|[0-8]\d*[0-8])~)$/.test(key);
}
