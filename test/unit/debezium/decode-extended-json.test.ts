import { ErrorCode } from '../../../src/errors';
import { decodeExtendedJson } from '../../../src/ingestion/debezium/decode-extended-json';

const decode = (value: unknown) => decodeExtendedJson(JSON.stringify(value), 'after');

describe('decodeExtendedJson — MongoDB Extended JSON to plain values', () => {
  it('$oid → 24-hex string', () => {
    expect(decode({ _id: { $oid: '596e275826f08b2730779e1f' } })).toEqual({ _id: '596e275826f08b2730779e1f' });
  });

  it('$date → ISO string, in canonical, relaxed and legacy forms, before 1970 and beyond the range of Date too', () => {
    expect(decode({ a: { $date: { $numberLong: '253402300800000' } } })).toEqual({ a: '+010000-01-01T00:00:00.000Z' });
    expect(decode({ a: { $date: { $numberLong: '1714557600123' } } })).toEqual({ a: '2024-05-01T10:00:00.123Z' });
    expect(decode({ a: { $date: '2024-05-01T10:00:00.123Z' } })).toEqual({ a: '2024-05-01T10:00:00.123Z' });
    expect(decode({ a: { $date: 1558965508000 } })).toEqual({ a: '2019-05-27T13:58:28.000Z' });
    expect(decode({ a: { $date: { $numberLong: '-1' } } })).toEqual({ a: '1969-12-31T23:59:59.999Z' });
  });

  it('$numberDecimal → decimal string, never a float', () => {
    expect(decode({ a: { $numberDecimal: '1234567890123456789.0123456789' }, b: { $numberDecimal: '-0.10' } })).toEqual({
      a: '1234567890123456789.0123456789',
      b: '-0.10',
    });
  });

  it('$numberDecimal in exponent form (as MongoDB writes 1.50E+3 or 1E-7) → plain decimal text with its digits', () => {
    expect(
      decode({ a: { $numberDecimal: '1.50E+3' }, b: { $numberDecimal: '1E-7' }, c: { $numberDecimal: '-2.500E-2' }, d: { $numberDecimal: '0E+3' } }),
    ).toEqual({
      a: '1500',
      b: '0.0000001',
      c: '-0.02500',
      d: '0',
    });
    expect(decode({ a: { $numberDecimal: 'NaN' }, b: { $numberDecimal: '1E+6000' } })).toEqual({ a: 'NaN', b: '1E+6000' });
  });

  it('$numberLong → number when safe, digit string beyond 2^53', () => {
    expect(decode({ a: { $numberLong: '1004' }, b: { $numberLong: '-9007199254740991' } })).toEqual({ a: 1004, b: -9007199254740991 });
    expect(decode({ a: { $numberLong: '9007199254740993' }, b: { $numberLong: '-9223372036854775808' } })).toEqual({
      a: '9007199254740993',
      b: '-9223372036854775808',
    });
  });

  it('$numberInt and $numberDouble → numbers', () => {
    expect(decode({ a: { $numberInt: '-7' }, b: { $numberDouble: '1.25' }, c: { $numberDouble: '-0.0' } })).toEqual({ a: -7, b: 1.25, c: -0 });
    expect((decode({ n: { $numberDouble: 'NaN' } }) as { n: number }).n).toBeNaN();
  });

  it('plain JSON numbers keep every digit (relaxed-mode int64)', () => {
    expect(decodeExtendedJson('{"a": 9007199254740993, "b": 1.5, "c": {"$numberInt": "1"}}', 'after')).toEqual({ a: '9007199254740993', b: 1.5, c: 1 });
    expect(decodeExtendedJson('{"a": 9007199254740993}', 'after')).toEqual({ a: '9007199254740993' });
  });

  it('$binary (canonical and legacy) and $uuid → base64', () => {
    expect(decode({ a: { $binary: { base64: 'a2Fma2E=', subType: '00' } } })).toEqual({ a: 'a2Fma2E=' });
    expect(decode({ a: { $binary: 'a2Fma2E=', $type: '00' } })).toEqual({ a: 'a2Fma2E=' });
    expect(decode({ a: { $uuid: '00112233-4455-6677-8899-aabbccddeeff' } })).toEqual({
      a: Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64'),
    });
  });

  it('decodes nested documents and arrays recursively', () => {
    expect(decode({ a: [{ b: { $numberLong: '2' } }, [{ $oid: '5d505646cf6d4fe581014ab2' }]], c: { d: { e: { $numberDecimal: '1.0' } } } })).toEqual({
      a: [{ b: 2 }, ['5d505646cf6d4fe581014ab2']],
      c: { d: { e: '1.0' } },
    });
  });

  it('renders the rarer types in a plain form', () => {
    expect(decode({ t: { $timestamp: { t: 1558965508, i: 3 } } })).toEqual({ t: { t: 1558965508, i: 3 } });
    expect(decode({ r: { $regularExpression: { pattern: '^a', options: 'i' } } })).toEqual({ r: { pattern: '^a', options: 'i' } });
    expect(decode({ k: { $minKey: 1 }, s: { $symbol: 'sym' }, c: { $code: 'f()' } })).toEqual({ k: { $minKey: 1 }, s: 'sym', c: 'f()' });
  });

  it('decodes top-level scalars (MongoDB key ids)', () => {
    expect(decodeExtendedJson('1234', 'key.id')).toBe(1234);
    expect(decodeExtendedJson('"1234"', 'key.id')).toBe('1234');
    expect(decodeExtendedJson('{"$oid": "596e275826f08b2730779e1f"}', 'key.id')).toBe('596e275826f08b2730779e1f');
  });

  it('refuses malformed JSON and malformed Extended JSON with DECODE_FAILED', () => {
    expect(() => decodeExtendedJson('{"a": ', 'after')).toThrow(
      expect.objectContaining({ code: ErrorCode.DECODE_FAILED, message: expect.stringMatching(/^after: not valid/) }),
    );
    expect(() => decodeExtendedJson('{"a": {"$oid": "xyz"}}', 'after')).toThrow(
      expect.objectContaining({ code: ErrorCode.DECODE_FAILED, message: 'after.a: $oid must be 24 hex digits, got "xyz"' }),
    );
    expect(() => decodeExtendedJson('{"a": [{"$numberLong": "1.5"}]}', 'after')).toThrow(
      expect.objectContaining({ message: 'after.a[0]: invalid $numberLong "1.5"' }),
    );
    expect(() => decodeExtendedJson('{"a": {"$date": "yesterday"}}', 'after')).toThrow(
      expect.objectContaining({ message: 'after.a: invalid $date "yesterday"' }),
    );
    expect(() => decodeExtendedJson('{"a": {"$timestamp": "x"}}', 'after')).toThrow(
      expect.objectContaining({ code: ErrorCode.DECODE_FAILED, message: expect.stringMatching(/^after\.a: invalid Extended JSON/) }),
    );
  });
});
