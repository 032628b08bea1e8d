/**
 * Exact decimals from Kafka Connect's encodings. Money never passes through a float here: every
 * path works on BigInt or on the decimal digits of the source text. A decimal whose text would
 * have more than MAX_DECIMAL_DIGITS digits is refused before any arithmetic (DECODE_LIMIT_EXCEEDED).
 */

import { MAX_DECIMAL_DIGITS, tooManyDigits } from './decode-limits';

/**
 * `org.apache.kafka.connect.data.Decimal`: the JSON converter writes `BigDecimal.unscaledValue()
 * .toByteArray()` (big-endian two's complement, minimal length) as base64, and the scale lives in
 * the schema (`parameters.scale`), not in the value.
 *
 * @returns the decimal as a plain string, e.g. `"10.50"`, `"-0.0005"`
 * @throws Error when the text is not base64 of at least one byte; AppError DECODE_LIMIT_EXCEEDED
 *   beyond MAX_DECIMAL_DIGITS
 */
export function decimalFromBase64(base64: string, scale: number): string {
  const bytes = bytesOf(base64);
  // Refused before the bytes become a number: the widest numeric takes MAX_DECIMAL_BYTES.
  if (bytes.length > MAX_DECIMAL_BYTES) throw tooManyDigits();
  return formatUnscaled(unscaledOf(bytes), scale);
}

/** Two's-complement big-endian bytes (Java `BigInteger.toByteArray()`) as a BigInt. */
export function unscaledFromBase64(base64: string): bigint {
  return unscaledOf(bytesOf(base64));
}

/** Bytes of the widest numeric's unscaled value, 10^MAX_DECIMAL_DIGITS − 1, with its sign bit. */
const MAX_DECIMAL_BYTES = Math.ceil((MAX_DECIMAL_DIGITS * Math.log2(10) + 1) / 8);

function bytesOf(base64: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new Error(`"${base64.length > 40 ? `${base64.slice(0, 40)}…` : base64}" is not base64`);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new Error('a decimal needs at least one byte');
  return bytes;
}

function unscaledOf(bytes: Buffer): bigint {
  // One conversion of the hex text, linear in the bytes (shifting byte by byte copies the number per byte).
  const unsigned = BigInt(`0x${bytes.toString('hex')}`);
  // The top bit of the first byte is the sign: subtract 2^(8n) to get the negative value.
  return ((bytes[0] ?? 0) & 0x80) === 0 ? unsigned : unsigned - (1n << BigInt(bytes.length * 8));
}

/**
 * Places the decimal point `scale` digits from the right of `unscaled` (negative scale appends zeros).
 *
 * @throws AppError DECODE_LIMIT_EXCEEDED when the text would have more than MAX_DECIMAL_DIGITS
 *   digits (a scale of 300,000,000 is a few bytes of a record), checked before it is built
 */
export function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  const length = scale > 0 ? Math.max(digits.length, scale + 1) : unscaled === 0n ? 1 : digits.length - scale;
  if (length > MAX_DECIMAL_DIGITS) throw tooManyDigits(length);
  if (scale <= 0) {
    digits = unscaled === 0n ? '0' : digits + '0'.repeat(-scale);
  } else {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/**
 * A decimal that arrived as a JSON number (the JSON converter's `decimal.format=NUMERIC`), given
 * as its literal text. The literal is the exact decimal; we only rewrite exponent notation and pad
 * the fraction to the schema's scale so that `10.5` at scale 2 reads `"10.50"` as with base64.
 *
 * @throws AppError DECODE_LIMIT_EXCEEDED beyond MAX_DECIMAL_DIGITS
 */
export function decimalFromLiteral(literal: string, scale: number): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!match) throw new Error(`"${literal}" is not a decimal number`);
  const [, sign, intPart, fracPart = '', exponent = '0'] = match;
  // literal = (intPart.fracPart) * 10^exponent = unscaled * 10^-(fractionDigits - exponent)
  const ownScale = fracPart.length - Number(exponent);
  const targetScale = Math.max(scale, ownScale);
  // The text's length, from the literal's, before any BigInt: `1e-999999999` is 12 bytes.
  const length = intPart.length + fracPart.length + (targetScale - ownScale);
  const textDigits = targetScale > 0 ? Math.max(length, targetScale + 1) : length - targetScale;
  if (!(textDigits <= MAX_DECIMAL_DIGITS)) throw tooManyDigits(textDigits);
  const unscaled = BigInt(`${sign}${intPart}${fracPart}`);
  return formatUnscaled(unscaled * 10n ** BigInt(targetScale - ownScale), targetScale);
}
