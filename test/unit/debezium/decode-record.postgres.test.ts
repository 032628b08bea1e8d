import { decodeRecord, parseValueMessage, type ConnectMessage } from '../../../src/ingestion/debezium/decode-record';
import { DEFAULT_DECODE_LIMITS } from '../../../src/ingestion/debezium/decode-limits';
import { change, fixtureJson, fixtureRecord, rawRecord, toJsonText } from './fixture-record';

describe('decodeRecord — PostgreSQL connector (real Debezium 3.6 captures)', () => {
  it('decodes a create: key struct, after row with the Decimal balance as an exact string, LSN position', () => {
    const decoded = change(decodeRecord(fixtureRecord('postgres/customers-create.json')));
    expect(decoded).toEqual({
      kind: 'change',
      op: 'c',
      connector: 'postgresql',
      key: { id: 1 },
      entityKey: '1',
      before: null,
      after: { id: 1, email: 'a@x.io', name: 'A', balance: '10.50' },
      patch: null,
      unavailable: [],
      position: 'pg:00000000000022197432',
      source: {
        connector: 'postgresql',
        name: 'src1',
        db: 'postgres',
        schema: 'public',
        table: 'customers',
        tsMs: 1795436366724,
        snapshot: 'false',
        txId: 727,
        lsn: '22197432',
      },
      tsMs: 1795436366724,
      flattened: false,
    });
  });

  it('decodes an update with both images', () => {
    const decoded = change(decodeRecord(fixtureRecord('postgres/customers-update.json')));
    expect(decoded.op).toBe('u');
    expect(decoded.before).toEqual({ id: 1, email: 'a@x.io', name: 'A', balance: '10.50' });
    expect(decoded.after).toEqual({ id: 1, email: 'a@x.io', name: 'A', balance: '11.00' });
    expect(decoded.position).toBe('pg:00000000000022197672');
  });

  it('decodes a delete: before row, no after', () => {
    const decoded = change(decodeRecord(fixtureRecord('postgres/customers-delete.json')));
    expect(decoded.op).toBe('d');
    expect(decoded.before).toEqual({ id: 1, email: 'a@x.io', name: 'A', balance: '11.00' });
    expect(decoded.after).toBeNull();
    expect(decoded.entityKey).toBe('1');
  });

  it('decodes the tombstone that follows a delete, with the same entity key', () => {
    expect(decodeRecord(fixtureRecord('postgres/customers-tombstone.json'))).toEqual({ kind: 'tombstone', entityKey: '1', key: { id: 1 } });
  });

  it('orders the four captured events by position, as their LSNs', () => {
    const positions = ['customers-create', 'customers-update', 'customers-delete'].map(
      (name) => change(decodeRecord(fixtureRecord(`postgres/${name}.json`))).position,
    );
    expect([...positions].sort()).toEqual(positions);
  });
});

describe('decodeRecord — PostgreSQL logical types (schema present)', () => {
  const decoded = change(decodeRecord(fixtureRecord('postgres/orders-logical-types-create.json')));

  it('keeps a BIGINT key beyond 2^53 exact (as a digit string)', () => {
    expect(decoded.key).toEqual({ id: '9007199254740993' });
    expect(decoded.entityKey).toBe('9007199254740993');
    expect(decoded.after?.id).toBe('9007199254740993');
  });

  it('decodes Decimal columns exactly: negative, scale > digits, beyond 2^53, scale 0, zero', () => {
    expect(decoded.after).toMatchObject({
      amount: '-1234.50',
      unit_price: '0.0005',
      big_total: '123456789012345678901234.56',
      quantity: '42',
      discount: '0.00',
    });
  });

  it('decodes a VariableScaleDecimal (NUMERIC without scale)', () => {
    expect(decoded.after?.ratio).toBe('3.14159');
  });

  it('decodes dates, times and timestamps to ISO strings with their full precision, before 1970 too', () => {
    expect(decoded.after).toMatchObject({
      order_date: '1960-02-29',
      pickup_time: '10:15:30.123456',
      created_at: '2024-05-01T10:00:00.123456Z',
      shipped_at: '1969-07-20T20:17:40.500Z',
      updated_at: '2024-05-01T10:00:00.123456Z',
    });
  });

  it('parses io.debezium.data.Json, keeps Uuid strings, arrays and nulls', () => {
    expect(decoded.after).toMatchObject({
      attributes: { color: 'red', sizes: [1, 2], serial: '12345678901234567890' },
      external_id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      tags: ['new', 'priority'],
      notes: null,
    });
  });

  it('prefers the LSN from source.sequence', () => {
    expect(decoded.position).toBe('pg:00000000000022199000');
  });
});

describe('decodeRecord — PostgreSQL shapes', () => {
  it('decodes a snapshot read (op r) like a create, keeping the snapshot marker', () => {
    const decoded = change(decodeRecord(fixtureRecord('postgres/customers-snapshot-read.json')));
    expect(decoded.op).toBe('r');
    expect(decoded.after).toEqual({ id: 1, email: 'a@x.io', name: 'A', balance: '10.50' });
    expect(decoded.source.snapshot).toBe('last');
    expect(decoded.position).toBe('pg:00000000000022100000');
  });

  it('passes values through unchanged without schemas (decimal stays as the connector encoded it)', () => {
    const decoded = change(decodeRecord(fixtureRecord('postgres/customers-create-schemaless.json')));
    expect(decoded.key).toEqual({ id: 1 });
    expect(decoded.after).toEqual({ id: 1, email: 'a@x.io', name: 'A', balance: 'BBo=' });
    expect(decoded.position).toBe('pg:00000000000022197432');
  });

  it('removes unchanged-TOAST placeholders from the row and lists them (text, bytea, array, json)', () => {
    const decoded = change(decodeRecord(fixtureRecord('postgres/documents-toast-update.json')));
    expect(decoded.after).toEqual({ id: 7, title: 'Renamed' });
    expect(decoded.unavailable).toEqual(['body', 'attachment', 'labels', 'metadata']);
    expect(decoded.before).toBeNull();
  });

  it('honours a custom unavailable.value.placeholder', () => {
    const value = { ...(fixtureJson('postgres/customers-create-schemaless.json').value as Record<string, unknown>) };
    value.after = { id: 1, email: 'a@x.io', name: '<toasted>', balance: 'BBo=' };
    const decoded = change(decodeRecord(rawRecord(value), { unavailableValuePlaceholder: '<toasted>' }));
    expect(decoded.after).toEqual({ id: 1, email: 'a@x.io', balance: 'BBo=' });
    expect(decoded.unavailable).toEqual(['name']);
    // ...and then the default placeholder is ordinary text.
    const toast = change(
      decodeRecord(rawRecord({ ...value, after: { id: 1, name: '__debezium_unavailable_value' } }), { unavailableValuePlaceholder: '<toasted>' }),
    );
    expect(toast.after).toEqual({ id: 1, name: '__debezium_unavailable_value' });
  });

  it('turns a composite primary key into sorted JSON', () => {
    const decoded = change(decodeRecord(fixtureRecord('postgres/order-lines-composite-key-update.json')));
    expect(decoded.key).toEqual({ order_id: 42, line_no: 3 });
    expect(decoded.entityKey).toBe('{"line_no":3,"order_id":42}');
    expect(decoded.after).toEqual({ order_id: 42, line_no: 3, sku: 'SKU-1', quantity: 5 });
  });

  it('decodes a truncate (null key) with its position and table', () => {
    const decoded = decodeRecord(fixtureRecord('postgres/customers-truncate.json'));
    expect(decoded).toEqual({
      kind: 'truncate',
      position: 'pg:00000000000022198000',
      source: expect.objectContaining({ connector: 'postgresql', table: 'customers', schema: 'public', lsn: '22198000' }),
    });
  });

  it('skips a logical decoding message (op m) with its prefix', () => {
    expect(decodeRecord(fixtureRecord('postgres/message.json'))).toEqual({ kind: 'skip', reason: 'message', detail: 'foo' });
  });

  it('skips transaction BEGIN (schemaless) and END (with schema) records', () => {
    expect(decodeRecord(fixtureRecord('postgres/transaction-begin.json'))).toEqual({ kind: 'skip', reason: 'transaction-metadata' });
    expect(decodeRecord(fixtureRecord('postgres/transaction-end.json'))).toEqual({ kind: 'skip', reason: 'transaction-metadata' });
  });

  it('skips heartbeats', () => {
    expect(decodeRecord(fixtureRecord('postgres/heartbeat.json'))).toEqual({ kind: 'skip', reason: 'heartbeat' });
  });

  it('falls back to the Kafka timestamp, then null, when no ts_ms is present', () => {
    const withoutTimes = fixtureRecord('postgres/customers-create-schemaless.json');
    const value = JSON.parse(withoutTimes.value!.toString()) as Record<string, unknown>;
    delete value.ts_ms;
    delete (value.source as Record<string, unknown>).ts_ms;
    const base = { ...withoutTimes, value: Buffer.from(JSON.stringify(value)) };
    expect(change(decodeRecord(base)).tsMs).toBe(1795436367999);
    const { timestamp: _ignored, ...noTimestamp } = base;
    expect(change(decodeRecord(noTimestamp)).tsMs).toBeNull();
  });
});

describe('decodeRecord — a column named ts_ns', () => {
  const NANOS = '1700000000123456789';
  // The envelope and source ts_ns of a real capture, and a row that has a ts_ns column of its own.
  const withColumn = (row: string) =>
    toJsonText(fixtureJson('postgres/customers-create-schemaless.json').value).replace('"after":{"id":1,', `"after":{"id":1,${row}`);

  it('keeps the column exact, schemaless and with a schema, in an envelope and in a flattened row', () => {
    const envelope = change(
      decodeRecord({ ...fixtureRecord('postgres/customers-create-schemaless.json'), value: Buffer.from(withColumn(`"ts_ns":${NANOS},`)) }),
    );
    expect(envelope.after).toMatchObject({ id: 1, ts_ns: NANOS });
    const schema = {
      type: 'struct',
      name: 'src1.public.customers.Envelope',
      fields: [
        {
          field: 'after',
          type: 'struct',
          optional: true,
          fields: [
            { field: 'id', type: 'int32' },
            { field: 'ts_ns', type: 'int64' },
          ],
        },
        { field: 'source', type: 'struct', fields: [] },
        { field: 'op', type: 'string' },
      ],
    };
    const withSchema = `{"schema":${JSON.stringify(schema)},"payload":{"before":null,"after":{"id":1,"ts_ns":${NANOS}},"source":{"connector":"postgresql","lsn":100,"ts_ns":1795436366724860000},"op":"c","ts_ns":1795436366724860001}}`;
    expect(change(decodeRecord(rawRecord(null, { id: 1 }, { value: Buffer.from(withSchema) }))).after).toEqual({ id: 1, ts_ns: NANOS });
    const flattened = `{"id":1,"ts_ns":${NANOS},"__op":"c","__lsn":100}`;
    expect(change(decodeRecord(rawRecord(null, { id: 1 }, { value: Buffer.from(flattened) }))).after).toEqual({ id: 1, ts_ns: NANOS });
  });

  it('parses the record once when its only ts_ns are the envelope’s and the source’s, twice with a ts_ns column', () => {
    const parses = (text: string) => {
      let count = 0;
      const message = parseValueMessage(text, DEFAULT_DECODE_LIMITS, (value): ConnectMessage => {
        count += 1;
        return { payload: value, schema: null };
      });
      return { count, after: (message.payload as { after: unknown }).after };
    };
    expect(parses(toJsonText(fixtureJson('postgres/customers-create-schemaless.json').value)).count).toBe(1);
    // A ts_ns column a double holds needs no second parse either.
    expect(parses(withColumn('"ts_ns":1700000000123,')).count).toBe(1);
    const exact = parses(withColumn(`"ts_ns":${NANOS},`));
    expect(exact.count).toBe(2);
    expect(exact.after).toMatchObject({ ts_ns: `\u0000#num:${NANOS}` });
  });
});
