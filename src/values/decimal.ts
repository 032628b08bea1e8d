/**
 * Exact decimals, the one module for them: a value never passes through a JS float. A JS number
 * input is read through its shortest round-trip decimal string (`String(10.1)` is "10.1"), which
 * is the value its author wrote, not 10.0999999999999996447...
 *
 * Two views of one value: `DecimalValue` (sign, digits, exponent) as parsed, for rounding and
 * for the order key (values/order-key.ts); `Dec` (units at a scale) for arithmetic. A `Dec`
 * keeps its scale: "12.50" is 1250 units at scale 2 and prints as "12.50" again; a sum has the
 * largest scale of its terms, a product the sum of its factors' scales (12.50 × 3 = "37.50").
 */

/** value = (negative ? -1 : 1) × digits × 10^exponent */
export interface DecimalValue {
  readonly negative: boolean;
  readonly digits: bigint;
  readonly exponent: number;
}

/**
 * half-even: ties to the even neighbour (banker's rounding, no upward bias over many values).
 * half-up: ties away from zero (PostgreSQL `round(numeric)`, Java `HALF_UP`).
 * floor: toward negative infinity (used internally for epoch units).
 */
export type RoundingMode = 'half-even' | 'half-up' | 'floor';

export const ROUNDING_MODES = ['half-even', 'half-up'] as const;

/** Beyond this an exponent is a typo or an attack (10n ** 10n ** 9n would never finish). */
const MAX_EXPONENT = 1000;
const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a number, bigint or numeric string; null when it is not a finite decimal. */
export function parseDecimal(value: unknown): DecimalValue | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    text = String(value);
  } else if (typeof value === 'bigint') {
    text = value.toString();
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return null;
  }
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (intPart.length === 0 && fracPart.length === 0) return null;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > MAX_EXPONENT) return null;
  const digits = BigInt(`${intPart}${fracPart}` || '0');
  return { negative: m[1] === '-' && digits !== 0n, digits, exponent: exp - fracPart.length };
}

/** Rounds to `scale` fractional digits; the result is the unscaled integer (value × 10^scale). */
export function toUnscaled(value: DecimalValue, scale: number, mode: RoundingMode): bigint {
  const shift = value.exponent + scale;
  if (shift >= 0) return signed(value.negative, value.digits * 10n ** BigInt(shift));
  const divisor = 10n ** BigInt(-shift);
  let quotient = value.digits / divisor;
  const twiceRemainder = (value.digits % divisor) * 2n;
  if (mode === 'floor') {
    if (value.negative && twiceRemainder > 0n) quotient += 1n;
  } else if (twiceRemainder > divisor || (twiceRemainder === divisor && (mode === 'half-up' || quotient % 2n === 1n))) {
    quotient += 1n;
  }
  return signed(value.negative, quotient);
}

/** Formats an unscaled integer with `scale` fractional digits: "-12.30"; never "-0.00". */
export function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const text = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const intPart = text.slice(0, text.length - scale);
  const body = scale > 0 ? `${intPart}.${text.slice(text.length - scale)}` : intPart;
  return negative ? `-${body}` : body;
}

/**
 * The decimal string of a value: rounded to `scale` places when given, otherwise with exactly the
 * fractional digits it came with ("10.50" stays "10.50", 1e3 becomes "1000").
 */
export function formatDecimal(value: DecimalValue, scale: number | undefined, mode: RoundingMode): string {
  const places = scale ?? Math.max(0, -value.exponent);
  return formatUnscaled(toUnscaled(value, places, mode), places);
}

/**
 * A number or numeric text as plain decimal text with the digits it was written with: `1e21` →
 * "1000000000000000000000", "1.50E+3" → "1500", `12.5` → "12.5". The value itself when it is
 * no finite decimal (`NaN`, an exponent beyond what is read), for the caller to refuse or keep.
 */
export function plainDecimalText(value: string): string;
export function plainDecimalText(value: number | string): number | string;
export function plainDecimalText(value: number | string): number | string {
  if (typeof value === 'string' && !/[eE]/.test(value)) return value;
  const parsed = parseDecimal(value);
  return parsed ? formatDecimal(parsed, undefined, 'half-even') : value;
}

function signed(negative: boolean, magnitude: bigint): bigint {
  return negative ? -magnitude : magnitude;
}

/** A decimal for arithmetic: `units` × 10^-`scale`, scale ≥ 0 and kept (not normalized). */
export interface Dec {
  readonly units: bigint;
  readonly scale: number;
}

/** The exact decimal of a number, bigint or decimal string, at its written scale; null for anything else. */
export function toDec(value: unknown): Dec | null {
  const parsed = parseDecimal(value);
  if (!parsed) return null;
  const scale = Math.max(0, -parsed.exponent);
  return { units: toUnscaled(parsed, scale, 'floor'), scale };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

/** a + b at the larger of the two scales. */
export function addDec(a: Dec, b: Dec): Dec {
  const [x, y, scale] = align(a, b);
  return { units: x + y, scale };
}

export function mulDec(a: Dec, b: Dec): Dec {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Compares by value: "12.5" and "12.50" are equal. */
export function compareDec(a: Dec, b: Dec): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The lower of two decimals (`a` when they are the same). Of two equal values written with
 * different scales ("5.0", "5.00"), the one with the larger scale, as a sum keeps the largest
 * scale: a minimum (metrics, aggregates) is then the same text whatever order the values arrive,
 * fold or merge in.
 */
export function lowerDec(a: Dec, b: Dec): Dec {
  const order = compareDec(a, b);
  return order < 0 || (order === 0 && a.scale >= b.scale) ? a : b;
}

/** The higher of two decimals; of equal values, the one with the larger scale (see lowerDec). */
export function higherDec(a: Dec, b: Dec): Dec {
  const order = compareDec(a, b);
  return order > 0 || (order === 0 && a.scale >= b.scale) ? a : b;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * sum / count as a double (an average: exact sum text, count > 0), or null when it is not one:
 * the exact quotient rounded once to the nearest double, ties to even (`quotientToDouble`). Not
 * the sum rounded to a double and then divided: that rounds twice and can land on the neighbour
 * ("1.20" / 3 gave 0.39999999999999997, not 0.4; "18014398509481985" / 3 one unit off). Null when
 * the average is beyond a double ("1e400"; never Infinity, which GraphQL's Float cannot serialize).
 */
export function averageOfText(sum: string, count: number): number | null {
  if (!(count > 0)) return null;
  const d = toDec(sum);
  if (!d) return null;
  // Both terms whole numbers a double holds exactly: one IEEE division is the exact quotient
  // rounded once, at a tenth of the integer division's cost (the common case, a money sum).
  const divisor = count * 10 ** d.scale;
  if (d.scale <= 22 && divisor <= Number.MAX_SAFE_INTEGER && d.units <= MAX_SAFE && d.units >= -MAX_SAFE) return Number(d.units) / divisor;
  const average = quotientToDouble(d.units, BigInt(count) * 10n ** BigInt(d.scale));
  return Number.isFinite(average) ? average : null;
}

/**
 * numerator / denominator (denominator > 0) rounded once to the nearest double, ties to even, as
 * IEEE 754 rounds: the quotient's 53 significant bits (fewer below 2^-1022: the last kept bit is
 * never below 2^-1074, the smallest subnormal) are taken by integer division, the remainder decides
 * the rounding, and the result is that integer times a power of two, which is exact. ±Infinity when
 * it is beyond a double.
 */
export function quotientToDouble(numerator: bigint, denominator: bigint): number {
  if (numerator === 0n) return 0;
  const negative = numerator < 0n;
  const p = negative ? -numerator : numerator;
  // floor(log2(p / denominator))
  let log2 = bitLength(p) - bitLength(denominator);
  if (log2 >= 0 ? p < denominator << BigInt(log2) : p << BigInt(-log2) < denominator) log2 -= 1;
  const shift = Math.min(52 - log2, 1074);
  const num = shift >= 0 ? p << BigInt(shift) : p;
  const den = shift >= 0 ? denominator : denominator << BigInt(-shift);
  let mantissa = num / den;
  const twiceRemainder = (num % den) * 2n;
  if (twiceRemainder > den || (twiceRemainder === den && (mantissa & 1n) === 1n)) mantissa += 1n;
  // mantissa ≤ 2^53: Number() holds it exactly, and so does the product with a power of two.
  const magnitude = Number(mantissa) * 2 ** -shift;
  return negative && magnitude !== 0 ? -magnitude : magnitude;
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** Plain decimal text at the value's scale, no exponent: "1250.50", "-0.03", "7". */
export function formatDec(d: Dec): string {
  return formatUnscaled(d.units, d.scale);
}

/** The form `formatDec` writes: no sign but a minus, no leading zeros, no exponent; never "-0". */
const FORMATTED = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const NEGATIVE_ZERO = /^-0(?:\.0+)?$/;

/**
 * `formatDec(parseDec(text))`, without the parse and format when `text` is already in the form
 * `formatDec` writes (as every stored sum, minimum and maximum is): then it is its own result.
 */
export function reformatDec(text: string): string {
  return FORMATTED.test(text) && !NEGATIVE_ZERO.test(text) ? text : formatDec(parseDec(text));
}

/** Parses text this module wrote (stored sums, minima, maxima). */
export function parseDec(text: string): Dec {
  const d = toDec(text);
  if (!d) throw new Error(`not a decimal: ${text}`);
  return d;
}
