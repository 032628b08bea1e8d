import { decodeConnectValue, LogicalType, type ConnectSchema } from '../../../src/ingestion/debezium/decode-connect-value';
import { formatEpochDay, formatEpochTimestamp, formatTimeOfDay } from '../../../src/ingestion/debezium/decode-temporal';
import { parseJsonLossless } from '../../../src/ingestion/debezium/parse-json-lossless';

const logical = (type: string, name: string): ConnectSchema => ({ type, name, version: 1 });
/** Parses a JSON literal the way the decoder does, so int64 literals beyond 2^53 stay exact. */
const literal = (text: string): unknown => parseJsonLossless(text).value;

describe('dates: days since the epoch → "YYYY-MM-DD"', () => {
  it.each([
    [0, '1970-01-01'],
    [-1, '1969-12-31'],
    [-3594, '1960-02-29'],
    [19844, '2024-05-01'],
    [-719162, '0001-01-01'],
    [-719163, '0000-12-31'],
    [2932896, '9999-12-31'],
    [2932897, '+010000-01-01'],
  ])('%s → %s', (days, expected) => {
    expect(formatEpochDay(BigInt(days))).toBe(expected);
    expect(decodeConnectValue(days, logical('int32', LogicalType.DATE), 'd')).toBe(expected);
    expect(decodeConnectValue(days, logical('int32', LogicalType.CONNECT_DATE), 'd')).toBe(expected);
  });

  it('agrees with the calendar of Date for every day over ±8000 years', () => {
    for (let day = -2_900_000; day <= 2_900_000; day += 997) {
      expect(formatEpochDay(BigInt(day))).toBe(new Date(day * 86_400_000).toISOString().split('T')[0]);
    }
  });
});

describe('times of day → "HH:MM:SS.fraction" with the precision of the type', () => {
  it('io.debezium.time.Time and Connect Time: milliseconds', () => {
    expect(decodeConnectValue(36_930_123, logical('int32', LogicalType.TIME), 't')).toBe('10:15:30.123');
    expect(decodeConnectValue(0, logical('int32', LogicalType.CONNECT_TIME), 't')).toBe('00:00:00.000');
  });

  it('MicroTime: microseconds, including PostgreSQL’s 24:00:00', () => {
    expect(decodeConnectValue(36_930_123_456, logical('int64', LogicalType.MICRO_TIME), 't')).toBe('10:15:30.123456');
    expect(decodeConnectValue(86_400_000_000, logical('int64', LogicalType.MICRO_TIME), 't')).toBe('24:00:00.000000');
  });

  it('NanoTime: nanoseconds', () => {
    expect(decodeConnectValue(literal('86399999999999'), logical('int64', LogicalType.NANO_TIME), 't')).toBe('23:59:59.999999999');
    expect(formatTimeOfDay(1n, 'ns')).toBe('00:00:00.000000001');
  });

  it('MySQL/MariaDB TIME as a signed duration: beyond 24 hours and negative, in every unit', () => {
    const micro = (value: number) => decodeConnectValue(value, logical('int64', LogicalType.MICRO_TIME), 'after.t');
    expect(micro(-3_600_000_000)).toBe('-01:00:00.000000');
    expect(micro(-1)).toBe('-00:00:00.000001');
    expect(micro(838 * 3_600_000_000 + 59 * 60_000_000 + 59_000_000)).toBe('838:59:59.000000');
    expect(micro(-(838 * 3_600_000_000 + 59 * 60_000_000 + 59_000_000))).toBe('-838:59:59.000000');
    expect(decodeConnectValue(-5_400_500, logical('int32', LogicalType.TIME), 't')).toBe('-01:30:00.500');
    expect(decodeConnectValue(literal('-3020399999999999'), logical('int64', LogicalType.NANO_TIME), 't')).toBe('-838:59:59.999999999');
  });
});

describe('timestamps → ISO-8601 UTC with full precision', () => {
  it('Timestamp (ms), Connect and Debezium, after and before 1970', () => {
    expect(decodeConnectValue(1714557600123, logical('int64', LogicalType.TIMESTAMP), 'ts')).toBe('2024-05-01T10:00:00.123Z');
    expect(decodeConnectValue(-14182939500, logical('int64', LogicalType.CONNECT_TIMESTAMP), 'ts')).toBe('1969-07-20T20:17:40.500Z');
    expect(decodeConnectValue(-1, logical('int64', LogicalType.TIMESTAMP), 'ts')).toBe('1969-12-31T23:59:59.999Z');
  });

  it('MicroTimestamp keeps microseconds, before 1970 too', () => {
    expect(decodeConnectValue(1714557600123456, logical('int64', LogicalType.MICRO_TIMESTAMP), 'ts')).toBe('2024-05-01T10:00:00.123456Z');
    expect(decodeConnectValue(-1, logical('int64', LogicalType.MICRO_TIMESTAMP), 'ts')).toBe('1969-12-31T23:59:59.999999Z');
    expect(decodeConnectValue(-14182939499999, logical('int64', LogicalType.MICRO_TIMESTAMP), 'ts')).toBe('1969-07-20T20:17:40.500001Z');
  });

  it('NanoTimestamp keeps nanoseconds beyond 2^53', () => {
    expect(decodeConnectValue(literal('1714557600123456789'), logical('int64', LogicalType.NANO_TIMESTAMP), 'ts')).toBe('2024-05-01T10:00:00.123456789Z');
    expect(decodeConnectValue(literal('-1'), logical('int64', LogicalType.NANO_TIMESTAMP), 'ts')).toBe('1969-12-31T23:59:59.999999999Z');
  });

  it('renders PostgreSQL ±infinity (as Debezium encodes it) instead of failing', () => {
    expect(formatEpochTimestamp(9223372036825200000n, 'us')).toBe('+294247-01-10T04:00:25.200000Z');
    expect(formatEpochTimestamp(-9223372036832400000n, 'us')).toBe('-290308-12-21T19:59:27.600000Z');
  });

  it('keeps ZonedTimestamp and ZonedTime strings as they are', () => {
    expect(decodeConnectValue('2024-05-01T10:00:00.123456Z', logical('string', LogicalType.ZONED_TIMESTAMP), 'ts')).toBe('2024-05-01T10:00:00.123456Z');
    expect(decodeConnectValue('10:15:30.123456Z', logical('string', LogicalType.ZONED_TIME), 'ts')).toBe('10:15:30.123456Z');
  });

  it('refuses a fractional value for an integer time type', () => {
    expect(() => decodeConnectValue(1.5, logical('int64', LogicalType.TIMESTAMP), 'after.ts')).toThrow(/after\.ts: expected an integer/);
  });
});

describe('other logical and physical types', () => {
  it('parses io.debezium.data.Json, keeping big integers exact', () => {
    expect(decodeConnectValue('{"a": [1, {"b": null}], "n": 12345678901234567890}', logical('string', LogicalType.JSON), 'j')).toEqual({
      a: [1, { b: null }],
      n: '12345678901234567890',
    });
    expect(decodeConnectValue('"scalar"', logical('string', LogicalType.JSON), 'j')).toBe('scalar');
    expect(() => decodeConnectValue('{nope', logical('string', LogicalType.JSON), 'after.j')).toThrow(
      /after\.j: io\.debezium\.data\.Json value is not valid JSON/,
    );
  });

  it('keeps Uuid strings', () => {
    expect(decodeConnectValue('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', logical('string', LogicalType.UUID), 'u')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });

  it('keeps int64 beyond 2^53 as a digit string and long doubles as numbers', () => {
    expect(decodeConnectValue(literal('9007199254740993'), { type: 'int64' }, 'n')).toBe('9007199254740993');
    expect(decodeConnectValue(literal('0.30000000000000004'), { type: 'float64' }, 'f')).toBe(0.30000000000000004);
    expect(decodeConnectValue(42, { type: 'int32' }, 'n')).toBe(42);
  });

  it('keeps bytes as the base64 the JSON converter wrote', () => {
    expect(decodeConnectValue('3q2+7w==', { type: 'bytes' }, 'b')).toBe('3q2+7w==');
  });

  it('walks nested structs, arrays and maps', () => {
    const money: ConnectSchema = { type: 'bytes', name: LogicalType.DECIMAL, parameters: { scale: '2' } };
    const schema: ConnectSchema = {
      type: 'struct',
      fields: [
        {
          type: 'array',
          field: 'lines',
          items: {
            type: 'struct',
            fields: [
              { ...money, field: 'price' },
              { type: 'string', field: 'sku' },
            ],
          },
        },
        { type: 'map', field: 'byDay', keys: { type: 'string' }, values: logical('int32', LogicalType.DATE) },
        { type: 'map', field: 'byId', keys: { type: 'int32' }, values: money },
        { type: 'map', field: 'byDate', keys: logical('int32', LogicalType.DATE), values: { type: 'string' } },
      ],
    };
    const value = {
      lines: [
        { price: 'BBo=', sku: 'A' },
        { price: null, sku: 'B' },
      ],
      byDay: { first: 0, second: -1 },
      byId: [[7, 'BBo=']],
      byDate: [[0, 'epoch']],
      extra: 'not in schema',
    };
    expect(decodeConnectValue(value, schema, 'row')).toEqual({
      lines: [
        { price: '10.50', sku: 'A' },
        { price: null, sku: 'B' },
      ],
      byDay: { first: '1970-01-01', second: '1969-12-31' },
      byId: { '7': '10.50' },
      byDate: { '1970-01-01': 'epoch' },
      extra: 'not in schema',
    });
  });

  it('reports the path of a value that does not fit its schema', () => {
    const schema: ConnectSchema = { type: 'struct', fields: [{ type: 'array', field: 'tags', items: { type: 'string' } }] };
    expect(() => decodeConnectValue({ tags: 'x' }, schema, 'after')).toThrow(/after\.tags: expected an array/);
    expect(() => decodeConnectValue('x', schema, 'after')).toThrow(/after: expected a struct/);
  });

  it('passes schemaless values through unchanged', () => {
    const value = { id: 1, balance: 'BBo=', nested: { list: [1, 'two', null] } };
    expect(decodeConnectValue(value, null, 'after')).toEqual(value);
  });
});
