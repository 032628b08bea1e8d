import { ErrorCode } from '../../../src/errors';
import { decodeRecord } from '../../../src/ingestion/debezium/decode-record';
import { change, fixtureJson, fixtureRecord, rawRecord } from './fixture-record';

const ANNE = { _id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' };
const ANNE_MARIE = { ...ANNE, first_name: 'Anne Marie' };

describe('decodeRecord — MongoDB connector 2.x/3.x (change streams)', () => {
  it('decodes a create: Extended JSON after string, {_id} key from the key’s id string, oplog position', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/customers-create.json')));
    expect(decoded).toEqual({
      kind: 'change',
      op: 'c',
      connector: 'mongodb',
      key: { _id: 1004 },
      entityKey: '1004',
      before: null,
      after: ANNE,
      patch: null,
      unavailable: [],
      position: 'mongo:001558965508000:0000000031',
      source: {
        connector: 'mongodb',
        name: 'fulfillment',
        db: 'inventory',
        collection: 'customers',
        tsMs: 1558965508000,
        snapshot: 'false',
        ord: 31,
      },
      tsMs: 1558965508000,
      flattened: false,
    });
  });

  it('decodes a snapshot read', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/customers-snapshot-read.json')));
    expect(decoded.op).toBe('r');
    expect(decoded.after).toEqual(ANNE);
    expect(decoded.source.snapshot).toBe('last');
  });

  it('decodes an update with full document and pre-image (no patch needed), keeping the session txnNumber', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/customers-update-full.json')));
    expect(decoded.op).toBe('u');
    expect(decoded.before).toEqual({ ...ANNE, first_name: 'unknown' });
    expect(decoded.after).toEqual(ANNE_MARIE);
    expect(decoded.patch).toBeNull();
    expect(decoded.source.txId).toBe(1);
    // Inside a transaction (txnNumber) without a transaction block: ordered within it by Kafka offset.
    expect(decoded.position).toBe('mongo:001558965508000:0000000001:k000000:00000000000000000042');
  });

  it("orders a change inside a transaction by the envelope's transaction block when present", () => {
    const record = fixtureRecord('mongodb/customers-update-full.json');
    const value = JSON.parse(record.value!.toString('utf8')) as { payload?: Record<string, unknown> } & Record<string, unknown>;
    const envelope = value.payload ?? value;
    envelope.transaction = { id: '{"id": {"$uuid": "7b1e"}}:1', total_order: 3, data_collection_order: 2 };
    const decoded = change(decodeRecord({ ...record, value: Buffer.from(JSON.stringify(value)) }));
    expect(decoded.position).toBe('mongo:001558965508000:0000000001:t00000000000000000003');
  });

  it('decodes an update that only has updateDescription into a patch with dotted paths and truncated arrays', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/orders-update-partial.json')));
    expect(decoded.after).toBeNull();
    expect(decoded.before).toBeNull();
    expect(decoded.key).toEqual({ _id: '596e275826f08b2730779e1f' });
    expect(decoded.entityKey).toBe('596e275826f08b2730779e1f');
    expect(decoded.patch).toEqual({
      set: {
        status: 'shipped',
        'shipping.address.city': 'Berlin',
        total: '199.90',
        'items.1.qty': 4,
        shipped_at: '2024-05-02T10:00:00.000Z',
      },
      unset: ['coupon', 'shipping.carrier_ref'],
      truncatedArrays: [{ field: 'history', newSize: 2 }],
    });
  });

  it('decodes every Extended JSON type of a schemaless document', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/orders-create-schemaless.json')));
    expect(decoded.entityKey).toBe('596e275826f08b2730779e1f');
    expect(decoded.after).toEqual({
      _id: '596e275826f08b2730779e1f',
      customer_id: '9007199254740993',
      order_no: 1001,
      placed_at: '2024-05-01T10:00:00.123Z',
      birthday: '1969-07-20T20:17:40.500Z',
      total: '1234.50',
      tiny: '0.0005',
      lines: 2,
      weight: 1.25,
      signature: 'a2Fma2E=',
      shipping: { address: { city: 'Paris', zip: '75001' }, carrier_ref: '5d505646cf6d4fe581014ab2' },
      items: [
        { sku: 'A-1', qty: 1, price: '10.00' },
        { sku: 'B-2', qty: 3, price: '-0.10' },
      ],
      coupon: null,
    });
  });

  it('decodes a delete with a pre-image, and one without', () => {
    const withImage = change(decodeRecord(fixtureRecord('mongodb/customers-delete.json')));
    expect(withImage.op).toBe('d');
    expect(withImage.before).toEqual(ANNE_MARIE);
    expect(withImage.after).toBeNull();
    const withoutImage = change(decodeRecord(fixtureRecord('mongodb/customers-delete-without-preimage.json')));
    expect(withoutImage.before).toBeNull();
    expect(withoutImage.entityKey).toBe('1004');
  });

  it('gives a tombstone the same entity key as the changes of its document (numeric and ObjectId ids)', () => {
    expect(decodeRecord(fixtureRecord('mongodb/customers-tombstone.json'))).toMatchObject({ kind: 'tombstone', entityKey: '1004' });
    const objectIdTombstone = decodeRecord(rawRecord(null, { id: '{"$oid": "596e275826f08b2730779e1f"}' }));
    expect(objectIdTombstone).toEqual({ kind: 'tombstone', entityKey: '596e275826f08b2730779e1f', key: { _id: '596e275826f08b2730779e1f' } });
    const stringIdTombstone = decodeRecord(rawRecord(null, { id: '"abc"' }));
    expect(stringIdTombstone).toMatchObject({ entityKey: 'abc' });
  });

  it('decodes the documented key forms: integer, float, string, document, ObjectId, legacy binary', () => {
    const base = fixtureJson('mongodb/customers-create.json').value;
    const keyOf = (id: string) => change(decodeRecord(rawRecord(base, { id }))).key;
    expect(keyOf('1234')).toEqual({ _id: 1234 });
    expect(keyOf('12.34')).toEqual({ _id: 12.34 });
    expect(keyOf('"1234"')).toEqual({ _id: '1234' });
    expect(keyOf('{"hi" : "kafka", "nums" : [10.0, 100.0, 1000.0]}')).toEqual({ _id: { hi: 'kafka', nums: [10, 100, 1000] } });
    expect(keyOf('{"$oid" : "596e275826f08b2730779e1f"}')).toEqual({ _id: '596e275826f08b2730779e1f' });
    expect(keyOf('{"$binary" : "a2Fma2E=", "$type" : "00"}')).toEqual({ _id: 'a2Fma2E=' });
    const documentKey = change(decodeRecord(rawRecord(base, { id: '{"nums": [1], "hi": "kafka"}' })));
    expect(documentKey.entityKey).toBe('{"hi":"kafka","nums":[1]}');
  });

  it('refuses an update with neither after, updateDescription nor patch', () => {
    const base = fixtureJson('mongodb/customers-update-full.json').value as { schema: unknown; payload: Record<string, unknown> };
    const payload = { ...base.payload, before: null, after: null, updateDescription: null };
    expect(() => decodeRecord(rawRecord({ schema: base.schema, payload }, { id: '1004' }))).toThrow(
      expect.objectContaining({ code: ErrorCode.UNSUPPORTED_ENVELOPE }),
    );
  });

  it('rejects an after string that is not Extended JSON with DECODE_FAILED naming the field', () => {
    const base = fixtureJson('mongodb/customers-create.json').value as { schema: unknown; payload: Record<string, unknown> };
    const payload = { ...base.payload, after: '{"_id": ' };
    expect(() => decodeRecord(rawRecord({ schema: base.schema, payload }, { id: '1004' }))).toThrow(
      expect.objectContaining({ code: ErrorCode.DECODE_FAILED, message: expect.stringContaining('after: not valid (Extended) JSON') }),
    );
  });

  it('skips MongoDB transaction metadata', () => {
    expect(decodeRecord(fixtureRecord('mongodb/transaction-end.json'))).toEqual({ kind: 'skip', reason: 'transaction-metadata' });
  });
});

describe('decodeRecord — MongoDB connector 1.x (oplog patch and filter)', () => {
  it('turns a $set patch into a partial update', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/v1-customers-update-set.json')));
    expect(decoded).toMatchObject({
      op: 'u',
      connector: 'mongodb',
      key: { _id: 1004 },
      after: null,
      patch: { set: { first_name: 'Anne Marie' }, unset: [] },
      position: 'mongo:001558965508000:0000000006',
      source: { snapshot: true, ord: 6 },
    });
  });

  it('turns $unset into removed fields and ignores the oplog version $v: 1', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/v1-customers-update-unset.json')));
    expect(decoded.patch).toEqual({ set: { 'address.city': 'Lyon', visits: 12 }, unset: ['middle_name', 'nickname'] });
  });

  it('treats a patch without operators as the replacement document (full after image)', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/v1-customers-replace.json')));
    expect(decoded.patch).toBeNull();
    expect(decoded.after).toEqual({ ...ANNE_MARIE, email: 'anne.marie@noanswer.org' });
  });

  it('decodes a delete that only has a filter', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/v1-customers-delete.json')));
    expect(decoded.op).toBe('d');
    expect(decoded.before).toBeNull();
    expect(decoded.entityKey).toBe('1004');
  });

  it('takes the document id from the filter when the record has no key', () => {
    const decoded = change(decodeRecord(fixtureRecord('mongodb/v1-customers-update-set.json', { key: null })));
    expect(decoded.key).toEqual({ _id: 1004 });
    expect(decoded.entityKey).toBe('1004');
  });

  it('refuses the MongoDB 5 "$v": 2 diff format instead of misreading it as a replacement', () => {
    const base = fixtureJson('mongodb/v1-customers-update-set.json').value as { schema: unknown; payload: Record<string, unknown> };
    const payload = { ...base.payload, patch: '{"$v": 2, "diff": {"u": {"first_name": "Anne Marie"}}}' };
    expect(() => decodeRecord(rawRecord({ schema: base.schema, payload }, { id: '1004' }))).toThrow(
      expect.objectContaining({ code: ErrorCode.UNSUPPORTED_ENVELOPE, message: expect.stringContaining('"$v"') }),
    );
  });
});
