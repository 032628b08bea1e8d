import { decimalFromBase64, decimalFromLiteral, formatUnscaled, unscaledFromBase64 } from '../../../src/ingestion/debezium/decode-decimal';
import { decodeConnectValue, type ConnectSchema } from '../../../src/ingestion/debezium/decode-connect-value';
import { parseJsonLossless } from '../../../src/ingestion/debezium/parse-json-lossless';

/** Java's BigInteger.toByteArray(): minimal big-endian two's complement, base64 as the JSON converter writes it. */
function javaBytes(value: bigint): string {
  // The magnitude's bits (of -value - 1 for a negative value) and a sign bit, in whole bytes.
  const bytes = Math.ceil(((value < 0n ? -value - 1n : value).toString(2).length + 1) / 8);
  const twos = value < 0n ? (1n << BigInt(bytes * 8)) + value : value;
  return Buffer.from(twos.toString(16).padStart(bytes * 2, '0'), 'hex').toString('base64');
}

const decimal = (scale: number): ConnectSchema => ({
  type: 'bytes',
  name: 'org.apache.kafka.connect.data.Decimal',
  version: 1,
  parameters: { scale: String(scale) },
});

describe('Decimal (org.apache.kafka.connect.data.Decimal)', () => {
  it('reads two’s-complement big-endian bytes, sign included', () => {
    expect(unscaledFromBase64('AA==')).toBe(0n);
    expect(unscaledFromBase64('fw==')).toBe(127n);
    expect(unscaledFromBase64('AIA=')).toBe(128n); // leading 0x00 keeps 128 positive
    expect(unscaledFromBase64('gA==')).toBe(-128n);
    expect(unscaledFromBase64('/w==')).toBe(-1n);
    expect(unscaledFromBase64('BBo=')).toBe(1050n);
  });

  it.each([
    [1050n, 2, '10.50'],
    [-123450n, 2, '-1234.50'],
    [0n, 2, '0.00'],
    [0n, 0, '0'],
    [42n, 0, '42'],
    [5n, 4, '0.0005'],
    [-5n, 4, '-0.0005'],
    [1n, 10, '0.0000000001'],
    [-99n, 2, '-0.99'],
    [2n ** 63n + 1n, 0, '9223372036854775809'],
    [9007199254740993n, 2, '90071992547409.93'],
    [-(10n ** 38n) + 1n, 10, '-9999999999999999999999999999.9999999999'],
    [7n, -3, '7000'],
  ])('decodes unscaled %s at scale %s as "%s"', (unscaled, scale, expected) => {
    expect(decimalFromBase64(javaBytes(unscaled), scale)).toBe(expected);
    expect(decodeConnectValue(javaBytes(unscaled), decimal(scale), 'amount')).toBe(expected);
  });

  it('refuses bytes that are not base64, or empty', () => {
    expect(() => decimalFromBase64('***', 2)).toThrow('not base64');
    expect(() => decimalFromBase64('', 2)).toThrow('at least one byte');
    expect(() => decodeConnectValue('***', decimal(2), 'after.amount')).toThrow(expect.objectContaining({ code: 'DECODE_FAILED' }));
  });

  it('refuses a Decimal schema without a scale', () => {
    expect(() => decodeConnectValue('AA==', { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal' }, 'x')).toThrow(/scale/);
  });

  it('formats an unscaled BigInt at any scale', () => {
    expect(formatUnscaled(123n, 5)).toBe('0.00123');
    expect(formatUnscaled(-123n, 1)).toBe('-12.3');
    expect(formatUnscaled(0n, -2)).toBe('0');
  });
});

describe('Decimal written as a JSON number (decimal.format=NUMERIC)', () => {
  it('pads short literals to the scale and rewrites exponents without going through a float', () => {
    expect(decimalFromLiteral('10.5', 2)).toBe('10.50');
    expect(decimalFromLiteral('-0.5', 0)).toBe('-0.5');
    expect(decimalFromLiteral('1.5E+3', 0)).toBe('1500');
    expect(decimalFromLiteral('1e-7', 7)).toBe('0.0000001');
    expect(decodeConnectValue(10.5, decimal(2), 'price')).toBe('10.50');
  });

  it('keeps every digit of a literal a double cannot hold', () => {
    const { value } = parseJsonLossless('{"price": 12345678901234567.89}');
    expect(decodeConnectValue((value as { price: unknown }).price, decimal(2), 'price')).toBe('12345678901234567.89');
  });
});

describe('VariableScaleDecimal (NUMERIC without a declared scale)', () => {
  const schema: ConnectSchema = {
    type: 'struct',
    name: 'io.debezium.data.VariableScaleDecimal',
    version: 1,
    fields: [
      { type: 'int32', optional: false, field: 'scale' },
      { type: 'bytes', optional: false, field: 'value' },
    ],
  };

  it('applies the scale carried in the value', () => {
    expect(decodeConnectValue({ scale: 5, value: javaBytes(314159n) }, schema, 'ratio')).toBe('3.14159');
    expect(decodeConnectValue({ scale: 0, value: javaBytes(-12345678901234567890n) }, schema, 'ratio')).toBe('-12345678901234567890');
    expect(decodeConnectValue({ scale: 3, value: javaBytes(1n) }, schema, 'ratio')).toBe('0.001');
  });

  it('refuses a struct without scale or value', () => {
    expect(() => decodeConnectValue({ value: 'AA==' }, schema, 'after.ratio')).toThrow(/after\.ratio: a VariableScaleDecimal/);
  });
});

/**
 * Hostile decimals: a few bytes of scale or exponent, or a long run of bytes, must not make the
 * decoder build a number of a billion digits (minutes of CPU, gigabytes of memory, or a RangeError
 * that said nothing about the record). Beyond the widest PostgreSQL numeric (131,072 digits before
 * the point, 16,383 after) a decimal is refused with DECODE_LIMIT_EXCEEDED, naming the field.
 */
describe('decimal size limit', () => {
  const variable: ConnectSchema = {
    type: 'struct',
    name: 'io.debezium.data.VariableScaleDecimal',
    version: 1,
    fields: [
      { type: 'int32', optional: false, field: 'scale' },
      { type: 'bytes', optional: false, field: 'value' },
    ],
  };
  const limitError = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return { code: (error as { code?: string }).code, message: (error as Error).message, details: (error as { details?: unknown }).details };
    }
    throw new Error('expected a refusal, the value decoded');
  };

  it('decodes the widest PostgreSQL numeric exactly, from its bytes and as a literal', () => {
    const widest = -(10n ** 147_455n - 1n);
    const text = `-${'9'.repeat(131_072)}.${'9'.repeat(16_383)}`;
    expect(decodeConnectValue(javaBytes(widest), decimal(16_383), 'after.amount')).toBe(text);
    expect(decodeConnectValue({ scale: 16_383, value: javaBytes(widest) }, variable, 'after.amount')).toBe(text);
    expect(decimalFromLiteral(text, 16_383)).toBe(text);
  });

  it.each([
    ['bytes of 500 KB', () => decodeConnectValue(Buffer.alloc(500_000, 0x5a).toString('base64'), decimal(2), 'after.amount')],
    ['a Decimal schema scale of 300,000,000', () => decodeConnectValue('AQ==', decimal(300_000_000), 'after.amount')],
    ['a VariableScaleDecimal scale of 300,000,000', () => decodeConnectValue({ scale: 300_000_000, value: 'AQ==' }, variable, 'after.amount')],
    ['a VariableScaleDecimal scale of -300,000,000', () => decodeConnectValue({ scale: -300_000_000, value: 'AQ==' }, variable, 'after.amount')],
    ['a VariableScaleDecimal scale of 2^31-1', () => decodeConnectValue({ scale: 2 ** 31 - 1, value: 'AQ==' }, variable, 'after.amount')],
    ['a literal of 500,000 digits', () => decodeConnectValue(`\u0000#num:${'9'.repeat(500_000)}`, decimal(2), 'after.amount')],
    ['the literal 1.000000000000001e999999999', () => decodeConnectValue('\u0000#num:1.000000000000001e999999999', decimal(2), 'after.amount')],
    ['the literal 1.000000000000001e-999999999', () => decodeConnectValue('\u0000#num:1.000000000000001e-999999999', decimal(2), 'after.amount')],
    ['the literal 1.000000000000001e-100000000', () => decodeConnectValue('\u0000#num:1.000000000000001e-100000000', decimal(2), 'after.amount')],
  ])('refuses %s before any arithmetic, with DECODE_LIMIT_EXCEEDED naming the field', (_name, run) => {
    // This process's CPU time, not the wall clock: a loaded machine stretches the wall time of the
    // 3-10 ms a refusal takes, but not its CPU. Without the digit check these cases took 2.5 s to
    // 175 s of CPU, so the bound is far from both.
    const before = process.cpuUsage();
    const refused = limitError(run);
    const cpu = process.cpuUsage(before);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(1000);
    expect(refused.code).toBe('DECODE_LIMIT_EXCEEDED');
    expect(refused.message).toMatch(/^after\.amount: a decimal( of \d+ digits)? is more than 147455 digits/);
    expect(refused.details).toMatchObject({ limit: 'digits', max: 147_455 });
  });
});

describe('Decimal literals beyond the range of a double (decimal.format=NUMERIC)', () => {
  // A literal in exponent form (BigDecimal.toString writes 1E-400 for 0.000…1 at scale 400) may be beyond a double.
  const decode = (literal: string, scale: number) =>
    decodeConnectValue((parseJsonLossless(`{"v": ${literal}}`).value as { v: unknown }).v, decimal(scale), 'after.amount');

  it('keeps every digit of a literal a double would round to 0, Infinity or a subnormal', () => {
    expect(decode('1E-400', 400)).toBe(`0.${'0'.repeat(399)}1`);
    expect(decode(`0.${'0'.repeat(399)}1`, 400)).toBe(`0.${'0'.repeat(399)}1`);
    expect(decode('-1.5E+400', 0)).toBe(`-15${'0'.repeat(399)}`);
    expect(decode('4.9E-324', 330)).toBe(`0.${'0'.repeat(323)}49${'0'.repeat(5)}`);
  });

  it('refuses 1e-999999999 rather than storing 0.00', () => {
    expect(() => decode('1e-999999999', 2)).toThrow(expect.objectContaining({ code: 'DECODE_LIMIT_EXCEEDED' }));
  });
});
