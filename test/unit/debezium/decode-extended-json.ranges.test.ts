import { Decimal128 } from 'bson';
import { decodeExtendedJson } from '../../../src/ingestion/debezium/decode-extended-json';
import { decodeRecord } from '../../../src/ingestion/debezium/decode-record';
import { fixtureJson, fixtureRecord } from './fixture-record';

/**
 * MongoDB's numbers and dates have fixed widths: int32, int64, Decimal128 (at most 34 significant
 * digits, a coefficient exponent from -6176 to 6111), a date as int64 milliseconds, a double. A
 * wrapper beyond its type cannot come from a real document: it is DECODE_FAILED naming the path,
 * refused before any arithmetic on its digits, never passed on as text for the spec and schema to
 * catch, or not. Values within the widths decode as they always did.
 */
const decode = (value: unknown) => decodeExtendedJson(JSON.stringify({ v: value }), 'after');
const MILLION_DIGITS = `1${'0'.repeat(999_999)}`;

describe('Extended JSON numbers and dates beyond their BSON type', () => {
  it.each([
    ['$numberLong beyond int64', { $numberLong: '99999999999999999999' }, 'int64'],
    ['$numberLong int64 max + 1', { $numberLong: '9223372036854775808' }, 'int64'],
    ['$numberLong int64 min - 1', { $numberLong: '-9223372036854775809' }, 'int64'],
    ['$numberLong of a million digits', { $numberLong: MILLION_DIGITS }, 'int64'],
    ['$numberInt beyond int32', { $numberInt: '99999999999' }, 'int32'],
    ['$numberInt int32 max + 1', { $numberInt: '2147483648' }, 'int32'],
    ['$numberInt int32 min - 1', { $numberInt: '-2147483649' }, 'int32'],
    ['$numberDecimal of 35 significant digits', { $numberDecimal: '12345678901234567890123456789012345' }, 'Decimal128'],
    ['$numberDecimal of 35 digits after the point', { $numberDecimal: '0.12345678901234567890123456789012345' }, 'Decimal128'],
    ['$numberDecimal just above the largest', { $numberDecimal: '1E+6145' }, 'Decimal128'],
    ['$numberDecimal of 34 digits above the largest', { $numberDecimal: '9.999999999999999999999999999999999E+6145' }, 'Decimal128'],
    ['$numberDecimal just below the smallest', { $numberDecimal: '1E-6177' }, 'Decimal128'],
    ['$numberDecimal below the smallest, written plainly', { $numberDecimal: `0.${'0'.repeat(6176)}1` }, 'Decimal128'],
    ['$numberDecimal 1e999999999', { $numberDecimal: '1e999999999' }, 'Decimal128'],
    ['$numberDecimal 1e-999999999', { $numberDecimal: '1e-999999999' }, 'Decimal128'],
    ['$numberDecimal of a million digits', { $numberDecimal: MILLION_DIGITS }, 'Decimal128'],
    ['$numberDecimal of a million significant digits', { $numberDecimal: `0.${'7'.repeat(1_000_000)}` }, 'Decimal128'],
    ['$date beyond int64', { $date: { $numberLong: '99999999999999999999' } }, 'int64'],
    ['$date int64 max + 1', { $date: { $numberLong: '9223372036854775808' } }, 'int64'],
    ['$date as a number beyond int64', { $date: 1e300 }, 'int64'],
    ['$numberDouble beyond a double', { $numberDouble: '1e400' }, 'double'],
    ['$numberDouble beyond a double, negative', { $numberDouble: '-1.8e308' }, 'double'],
    ['$numberDouble below the smallest double', { $numberDouble: '1e-400' }, 'double'],
  ])('%s: DECODE_FAILED naming the path, at once', (_case, value, type) => {
    const text = JSON.stringify({ v: value });
    // Reading a million digits as a BigInt took 325 ms: the digit count refuses them first, so no
    // number is ever made of a long text (checked by what is called, not by a clock: a bound in
    // milliseconds here would fail whenever the test worker shares the machine).
    const bigInts = jest.spyOn(globalThis, 'BigInt');
    const decimals = jest.spyOn(Decimal128, 'fromString');
    let error: unknown;
    let numbersMadeOf: string[] = [];
    try {
      decodeExtendedJson(text, 'after');
    } catch (caught) {
      error = caught;
    } finally {
      // Taken before the restore, which clears them.
      numbersMadeOf = [...bigInts.mock.calls, ...decimals.mock.calls].map(([arg]) => String(arg));
      bigInts.mockRestore();
      decimals.mockRestore();
    }
    expect(error).toMatchObject({ code: 'DECODE_FAILED' });
    expect((error as Error).message).toMatch(new RegExp(`^after\\.v: .* beyond ${type}\\b`));
    // The message quotes at most the start of a long text.
    expect((error as Error).message.length).toBeLessThan(300);
    expect(numbersMadeOf.filter((arg) => arg.length > 40)).toEqual([]);
  });

  it('values within the widths decode as before: the int64 and int32 bounds, 34-digit decimals, the exponent bounds', () => {
    expect(
      decode({
        longMax: { $numberLong: '9223372036854775807' },
        longMin: { $numberLong: '-9223372036854775808' },
        longPadded: { $numberLong: '000000000000000000000000001' },
        longNegativeZero: { $numberLong: '-0' },
        intMax: { $numberInt: '2147483647' },
        intMin: { $numberInt: '-2147483648' },
        dateMax: { $date: { $numberLong: '9223372036854775807' } },
        dateMin: { $date: { $numberLong: '-9223372036854775808' } },
        dateNumber: { $date: 1558965508000 },
      }),
    ).toEqual({
      v: {
        longMax: '9223372036854775807',
        longMin: '-9223372036854775808',
        longPadded: 1,
        longNegativeZero: 0,
        intMax: 2147483647,
        intMin: -2147483648,
        dateMax: '+292278994-08-17T07:12:55.807Z',
        dateMin: '-292275055-05-16T16:47:04.192Z',
        dateNumber: '2019-05-27T13:58:28.000Z',
      },
    });
    const decimals = [
      '1234567890123456789012345678901234',
      '-0.1234567890123456789012345678901234',
      '9.999999999999999999999999999999999E+6144',
      '-1E+6144',
      '1E-6176',
      '1.0E-6176',
      '1234567890123456789012345678901234E-6176',
      '12345678901234567890123456789012340',
      '1.50E+3',
      '0E+9999',
      '-0E-9999',
      'NaN',
      'Infinity',
      '-Infinity',
      `1${'0'.repeat(6144)}`,
      `0.${'0'.repeat(6175)}1`,
    ];
    for (const text of decimals) {
      // bson's own parse agrees each is a Decimal128.
      expect(() => Decimal128.fromString(text)).not.toThrow();
    }
    expect((decode(decimals.map((text) => ({ $numberDecimal: text }))) as { v: unknown[] }).v).toEqual([
      '1234567890123456789012345678901234',
      '-0.1234567890123456789012345678901234',
      '9.999999999999999999999999999999999E+6144',
      '-1E+6144',
      '1E-6176',
      '1.0E-6176',
      '1234567890123456789012345678901234E-6176',
      '12345678901234567890123456789012340',
      '1500',
      '0E+9999',
      '-0E-9999',
      'NaN',
      'Infinity',
      '-Infinity',
      `1${'0'.repeat(6144)}`,
      `0.${'0'.repeat(6175)}1`,
    ]);
    expect(
      decode([{ $numberDouble: '1.7976931348623157e308' }, { $numberDouble: '5e-324' }, { $numberDouble: '-Infinity' }, { $numberDouble: '0E-500' }]),
    ).toEqual({
      v: [1.7976931348623157e308, 5e-324, -Number.POSITIVE_INFINITY, 0],
    });
  });

  it('a $numberDecimal is accepted exactly when bson reads it as a Decimal128 without rounding, near every bound', () => {
    const coefficients = ['1', '-12', '0.001', '1.000', '10', '0', '-0.0', '1234567890123456789012345678901234', '9999999999999999999999999999999999'];
    const wide = ['12345678901234567890123456789012345', '1234567890123456789012345678901234000', '0.00000000000000000000000000000000012345'];
    const exponents = [-6212, -6211, -6210, -6178, -6177, -6176, -6175, -6143, -6142, -1, 0, 1, 6110, 6111, 6112, 6144, 6145, 6146, 6178, 6179];
    const disagreements: string[] = [];
    for (const coefficient of [...coefficients, ...wide]) {
      for (const exponent of exponents) {
        const text = `${coefficient}E${exponent > 0 ? '+' : ''}${exponent}`;
        let bson = true;
        try {
          Decimal128.fromString(text);
        } catch {
          bson = false;
        }
        let ours = true;
        try {
          decode({ $numberDecimal: text });
        } catch {
          ours = false;
        }
        if (ours !== bson) disagreements.push(`${text}: bson ${bson}, decoder ${ours}`);
      }
    }
    expect(disagreements).toEqual([]);
    // Where bson is no guide: an exponent more than 16,384 below its minimum reads as the minimum there.
    expect(Decimal128.fromString('1e-99999').toString()).toBe('1E-6176');
    expect(() => decode({ $numberDecimal: '1e-99999' })).toThrow(/beyond Decimal128/);
  });

  it('a MongoDB change holding one is dead-lettered DECODE_FAILED with its field, not applied', () => {
    const json = fixtureJson('mongodb/orders-create-schemaless.json') as { value: { after: string } };
    const after = json.value.after.replace('{"$numberDecimal":"1234.50"}', `{"$numberDecimal":"${MILLION_DIGITS}"}`);
    expect(after).not.toBe(json.value.after);
    const raw = fixtureRecord('mongodb/orders-create-schemaless.json', { value: Buffer.from(JSON.stringify({ ...json.value, after })) });
    expect(() => decodeRecord(raw)).toThrow(
      expect.objectContaining({ code: 'DECODE_FAILED', message: expect.stringMatching(/after\.total: .* beyond Decimal128/) }),
    );
  });
});
