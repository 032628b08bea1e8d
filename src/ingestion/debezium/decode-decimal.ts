/**
 * Exact decimals from Kafka Connect's encodings. Money never passes through a float here: every
 * path works on BigInt or on the decimal digits of the source text.
 */

/**
 * `org.apache.kafka.connect.data.Decimal`: the JSON converter writes `BigDecimal.unscaledValue()
 * .toByteArray()` (big-endian two's complement, minimal length) as base64, and the scale lives in
 * the schema (`parameters.scale`), not in the value.
 *
 * @returns the decimal as a plain string, e.g. `"10.50"`, `"-0.0005"`
 * @throws Error when the text is not base64 of at least one byte
 */
export function decimalFromBase64(base64: string, scale: number): string {
  return formatUnscaled(unscaledFromBase64(base64), scale);
}

/** Two's-complement big-endian bytes (Java `BigInteger.toByteArray()`) as a BigInt. */
export function unscaledFromBase64(base64: string): bigint {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new Error(`"${base64}" is not base64`);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new Error('a decimal needs at least one byte');
  let unsigned = 0n;
  for (const byte of bytes) unsigned = (unsigned << 8n) | BigInt(byte);
  // The top bit of the first byte is the sign: subtract 2^(8n) to get the negative value.
  return ((bytes[0] ?? 0) & 0x80) === 0 ? unsigned : unsigned - (1n << BigInt(bytes.length * 8));
}

/** Places the decimal point `scale` digits from the right of `unscaled` (negative scale appends zeros). */
export function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
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
 */
export function decimalFromLiteral(literal: string, scale: number): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!match) throw new Error(`"${literal}" is not a decimal number`);
  const [, sign, intPart, fracPart = '', exponent = '0'] = match;
  // literal = (intPart.fracPart) * 10^exponent = unscaled * 10^-(fractionDigits - exponent)
  const unscaled = BigInt(`${sign}${intPart}${fracPart}`);
  const ownScale = fracPart.length - Number(exponent);
  const targetScale = Math.max(scale, ownScale);
  return formatUnscaled(unscaled * 10n ** BigInt(targetScale - ownScale), targetScale);
}
