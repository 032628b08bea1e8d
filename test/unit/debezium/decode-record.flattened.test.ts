import { ErrorCode } from '../../../src/errors';
import { decodeRecord } from '../../../src/ingestion/debezium/decode-record';
import { change, fixtureRecord, rawRecord } from './fixture-record';

describe('decodeRecord — rows flattened by ExtractNewRecordState', () => {
  it('decodes the row by its schema, strips "__" fields and uses them for op and position', () => {
    const decoded = change(decodeRecord(fixtureRecord('flattened/customers-create.json')));
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
      source: { connector: 'postgresql', table: 'customers', tsMs: 1795436366724, lsn: '22197432' },
      tsMs: 1795436366724,
      flattened: true,
    });
  });

  it('reads a rewritten delete (__deleted: "true") as a delete whose before is the last row state', () => {
    const decoded = change(decodeRecord(fixtureRecord('flattened/customers-delete-rewrite.json')));
    expect(decoded.op).toBe('d');
    expect(decoded.before).toEqual({ id: 1, email: 'a@x.io', name: 'A', balance: '11.00' });
    expect(decoded.after).toBeNull();
    expect(decoded.position).toBe('pg:00000000000022197784');
  });

  it('treats __deleted: "true" as a delete even without __op', () => {
    const decoded = change(decodeRecord(rawRecord({ id: 1, name: 'A', __deleted: 'true' })));
    expect(decoded.op).toBe('d');
    expect(decoded.before).toEqual({ id: 1, name: 'A' });
  });

  it('decodes a kept tombstone (delete.handling.mode=none / drop.tombstones=false)', () => {
    expect(decodeRecord(fixtureRecord('flattened/customers-tombstone.json'))).toEqual({ kind: 'tombstone', entityKey: '1', key: { id: 1 } });
  });

  it('reads op and position from headers added by add.headers, and drops TOAST placeholders', () => {
    const decoded = change(decodeRecord(fixtureRecord('flattened/customers-update-headers-schemaless.json')));
    expect(decoded.op).toBe('u');
    expect(decoded.after).toEqual({ id: 1, email: 'a@x.io', name: 'A', balance: 'BEw=' });
    expect(decoded.unavailable).toEqual(['bio']);
    expect(decoded.position).toBe('pg:00000000000022197672');
    expect(decoded.source).toMatchObject({ db: 'postgres', tsMs: 1795436366724 });
  });

  it('reads header values given as Buffers, as kafkajs delivers them', () => {
    const record = fixtureRecord('flattened/customers-update-headers-schemaless.json', {
      headers: { __op: Buffer.from('c'), __lsn: Buffer.from('10') },
    });
    const decoded = change(decodeRecord(record));
    expect(decoded.op).toBe('c');
    expect(decoded.position).toBe('pg:00000000000000000010');
  });

  it('treats a bare row without any metadata as an upsert positioned by Kafka offset', () => {
    const decoded = change(decodeRecord(rawRecord({ id: 5, name: 'E' }, { id: 5 }, { partition: 3, offset: '1234' })));
    expect(decoded).toMatchObject({ op: 'u', connector: 'unknown', after: { id: 5, name: 'E' }, flattened: true });
    expect(decoded.position).toBe('kafka:000003:00000000000000001234');
    expect(decoded.tsMs).toBe(1795436367999);
  });

  it('uses __source_connector and MySQL binlog fields when present', () => {
    const decoded = change(
      decodeRecord(rawRecord({ id: 5, __source_connector: 'mysql', __file: 'mysql-bin.000007', __pos: 99, __row: 1, __op: 'r' }, { id: 5 })),
    );
    expect(decoded.connector).toBe('mysql');
    expect(decoded.op).toBe('r');
    expect(decoded.position).toBe('mysql:mysql-bin.000007:00000000000000000099:0000000001');
  });

  it('reads a null value whose headers say __op: d as the delete it is (delete.handling.mode=none with add.headers)', () => {
    const headers = { __op: 'd', __lsn: '22197784', __source_ts_ms: '1795436366999' };
    const expected = {
      kind: 'change',
      op: 'd',
      connector: 'postgresql',
      key: { id: 1 },
      entityKey: '1',
      before: null,
      after: null,
      patch: null,
      unavailable: [],
      position: 'pg:00000000000022197784',
      source: { connector: 'postgresql', tsMs: 1795436366999, lsn: '22197784' },
      tsMs: 1795436366999,
      flattened: true,
    };
    expect(decodeRecord(fixtureRecord('flattened/customers-tombstone.json', { headers }))).toEqual(expected);
    // As kafkajs delivers headers (Buffers), and a JSON null value (the converter's null Connect value).
    const buffers = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));
    expect(decodeRecord(fixtureRecord('flattened/customers-tombstone.json', { headers: buffers }))).toEqual(expected);
    expect(decodeRecord(rawRecord(null, { id: 1 }, { value: Buffer.from('null'), headers }))).toEqual(expected);
  });

  it('positions a header delete without position headers by Kafka offset, as a flattened row without them', () => {
    const decoded = change(decodeRecord(rawRecord(null, { id: 5 }, { headers: { __op: 'd' }, partition: 3, offset: '1234' })));
    expect(decoded).toMatchObject({ op: 'd', connector: 'unknown', key: { id: 5 }, entityKey: '5', before: null, after: null, flattened: true });
    expect(decoded.position).toBe('kafka:000003:00000000000000001234');
    expect(decoded.tsMs).toBe(1795436367999);
  });

  it('keeps a null value without an __op: d header a tombstone', () => {
    const tombstone = { kind: 'tombstone', entityKey: '1', key: { id: 1 } };
    expect(decodeRecord(fixtureRecord('flattened/customers-tombstone.json'))).toEqual(tombstone);
    expect(decodeRecord(fixtureRecord('flattened/customers-tombstone.json', { headers: { 'trace-id': 'x', __lsn: '7' } }))).toEqual(tombstone);
    expect(decodeRecord(fixtureRecord('flattened/customers-tombstone.json', { headers: { __op: 'u' } }))).toEqual(tombstone);
  });

  it('refuses an unknown __op and a row that has only metadata', () => {
    expect(() => decodeRecord(rawRecord({ id: 5, __op: 'x' }))).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED_ENVELOPE }));
    expect(() => decodeRecord(rawRecord({ __op: 'c', __lsn: 5 }))).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED_ENVELOPE }));
  });
});

describe('decodeRecord — documents flattened by ExtractNewDocumentState', () => {
  it('decodes the document by its Connect schema and positions it from __source_ts_ms and __ord', () => {
    const decoded = change(decodeRecord(fixtureRecord('flattened/mongo-orders-create.json')));
    expect(decoded).toMatchObject({
      op: 'c',
      connector: 'mongodb',
      key: { _id: '596e275826f08b2730779e1f' },
      entityKey: '596e275826f08b2730779e1f',
      after: { _id: '596e275826f08b2730779e1f', status: 'placed', placed_at: '2024-05-01T10:00:00.123Z', shipping: { city: 'Paris', zip: '75001' } },
      position: 'mongo:001714557600000:0000000003',
      flattened: true,
    });
  });

  it('reads a null value with __op: d, __source_ts_ms and __ord headers as a delete of the document', () => {
    const record = fixtureRecord('flattened/mongo-orders-delete-rewrite.json', {
      value: null,
      headers: { __op: 'd', __source_ts_ms: '1714730400000', __ord: '1' },
    });
    const decoded = change(decodeRecord(record));
    expect(decoded).toMatchObject({ op: 'd', connector: 'mongodb', before: null, after: null, key: { _id: '596e275826f08b2730779e1f' } });
    expect(decoded.position).toBe('mongo:001714730400000:0000000001');
  });

  describe("keys a document as the connector's own change events do", () => {
    // The connector keys a record by {"id": "<_id as Extended JSON>"}; ExtractNewDocumentState
    // replaces that key by {"id": <the id itself>} (MongoDataConverter: an ObjectId as its hex, a
    // string or Decimal128 as a string, int32/int64 as numbers, a subdocument as a struct).
    const idKeySchema = (type: string) => ({ type: 'struct', fields: [{ type, optional: true, field: 'id' }], optional: false });
    const envelope = (extendedId: string) =>
      change(
        decodeRecord(
          rawRecord(
            { schema: null, payload: { op: 'c', after: `{"_id": ${extendedId}, "a": 1}`, source: { connector: 'mongodb', ts_ms: 1000, ord: 1 } } },
            { schema: null, payload: { id: extendedId } },
          ),
        ),
      );
    const flattened = (id: unknown, type: string, metadata: Record<string, unknown>) =>
      change(decodeRecord(rawRecord({ schema: null, payload: { _id: id, a: 1, __op: 'c', ...metadata } }, { schema: idKeySchema(type), payload: { id } })));

    it.each([
      ['an ObjectId', '{"$oid": "596e275826f08b2730779e1f"}', '596e275826f08b2730779e1f', 'string'],
      ['a string', '"abc"', 'abc', 'string'],
      ['the string "null"', '"null"', 'null', 'string'],
      ['the string "1.50"', '"1.50"', '1.50', 'string'],
      ['the string "[1, 2]"', '"[1, 2]"', '[1, 2]', 'string'],
      ['the string "1004"', '"1004"', '1004', 'string'],
      ['a Decimal128', '{"$numberDecimal": "1.50"}', '1.50', 'string'],
      ['an int32', '1004', 1004, 'int32'],
    ])('%s _id, with or without __source_connector', (_label, extendedId, id, type) => {
      const expected = envelope(extendedId);
      expect(expected.entityKey).not.toBeNull();
      for (const metadata of [
        { __source_connector: 'mongodb', __source_ts_ms: 1000, __ord: 1 },
        { __source_ts_ms: 1000, __ord: 1 },
      ]) {
        const decoded = flattened(id, type, metadata);
        expect(decoded).toMatchObject({ connector: 'mongodb', key: expected.key, entityKey: expected.entityKey });
      }
      // Without __source_connector and __ord the connector is unknown: the key keeps its field name, the entity key is the same.
      expect(flattened(id, type, { __source_ts_ms: 1000 }).entityKey).toBe(expected.entityKey);
    });
  });

  it('reads a rewritten delete with a boolean __deleted and no document fields', () => {
    const decoded = change(decodeRecord(fixtureRecord('flattened/mongo-orders-delete-rewrite.json')));
    expect(decoded).toMatchObject({ op: 'd', before: null, after: null, entityKey: '596e275826f08b2730779e1f' });
    expect(decoded.position).toBe('mongo:001714730400000:0000000001');
  });
});
