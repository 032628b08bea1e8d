import { AppError, ErrorCode } from '../../../src/errors';
import { decodeRecord, type RawRecord } from '../../../src/ingestion/debezium/decode-record';
import { change, fixtureJson, fixtureRecord, rawRecord } from './fixture-record';

function thrown(record: RawRecord): AppError {
  try {
    decodeRecord(record);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected decodeRecord to throw');
}

const createEnvelope = () => fixtureJson('postgres/customers-create.json').value as { schema: unknown; payload: Record<string, unknown> };

describe('decodeRecord — records that carry no change are skipped, never thrown', () => {
  it('skips anything on a heartbeat topic without parsing it', () => {
    const garbage = { topic: '__debezium-heartbeat.src1', partition: 0, offset: '1', key: Buffer.from('{'), value: Buffer.from('not json') };
    expect(decodeRecord(garbage)).toEqual({ kind: 'skip', reason: 'heartbeat' });
  });

  it('recognizes a heartbeat value on a renamed topic (topic.heartbeat.prefix), even with an unreadable key', () => {
    expect(decodeRecord(rawRecord({ ts_ms: 1795436370000 }, { serverName: 'src1' }, { topic: 'hb.src1' }))).toEqual({ kind: 'skip', reason: 'heartbeat' });
    const schemaless = rawRecord({ ts_ms: 1795436370000 }, null, { topic: 'hb.src1', key: Buffer.from('{broken') });
    expect(decodeRecord(schemaless)).toEqual({ kind: 'skip', reason: 'heartbeat' });
    const withSchema = fixtureRecord('postgres/heartbeat.json', { topic: 'hb.src1' });
    expect(decodeRecord(withSchema)).toEqual({ kind: 'skip', reason: 'heartbeat' });
  });

  it('skips schema changes with only databaseName and ddl, and SQL-Server-style ones with tableChanges', () => {
    expect(decodeRecord(rawRecord({ databaseName: 'inventory', ddl: 'DROP TABLE t' }, { databaseName: 'inventory' }))).toEqual({
      kind: 'skip',
      reason: 'schema-change',
    });
    const sqlServer = { source: { connector: 'sqlserver' }, ts_ms: 1, databaseName: 'testDB', schemaName: 'dbo', ddl: null, tableChanges: [] };
    expect(decodeRecord(rawRecord(sqlServer, null))).toEqual({ kind: 'skip', reason: 'schema-change' });
  });

  it('skips an empty value and an empty object', () => {
    expect(decodeRecord(rawRecord(null, null, { value: Buffer.alloc(0) }))).toEqual({ kind: 'skip', reason: 'empty' });
    expect(decodeRecord(rawRecord(null, null, { value: Buffer.from('  \n') }))).toEqual({ kind: 'skip', reason: 'empty' });
    expect(decodeRecord(rawRecord({}))).toEqual({ kind: 'skip', reason: 'empty' });
  });

  it('reads a JSON null value, bare or wrapped, as a tombstone', () => {
    expect(decodeRecord(rawRecord(null, { id: 1 }, { value: Buffer.from('null') }))).toEqual({ kind: 'tombstone', entityKey: '1', key: { id: 1 } });
    expect(decodeRecord(rawRecord({ schema: null, payload: null }))).toEqual({ kind: 'tombstone', entityKey: '1', key: { id: 1 } });
  });

  it('decodes a tombstone without a key, and one whose key cannot be read, without throwing', () => {
    expect(decodeRecord(rawRecord(null, null))).toEqual({ kind: 'tombstone', entityKey: null, key: null });
    expect(decodeRecord(rawRecord(null, null, { key: Buffer.from('not json') }))).toEqual({ kind: 'tombstone', entityKey: null, key: null });
  });

  it('wraps a primitive key (reduced by an SMT such as ExtractField$Key) as {value}', () => {
    const decoded = decodeRecord(rawRecord(null, { schema: { type: 'int32', optional: false }, payload: 1005 }));
    expect(decoded).toEqual({ kind: 'tombstone', entityKey: '1005', key: { value: 1005 } });
  });
});

describe('decodeRecord — malformed input is refused with a precise, final error', () => {
  it('refuses a value that is not JSON with DECODE_FAILED naming topic, partition and offset', () => {
    const error = thrown(rawRecord(null, { id: 1 }, { value: Buffer.from('{"op": "c", '), topic: 't1', partition: 2, offset: '77' }));
    expect(error.code).toBe(ErrorCode.DECODE_FAILED);
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/^t1\[2\]@77: value is not valid JSON/);
    expect(error.details).toEqual({ topic: 't1', partition: 2, offset: '77' });
    expect(error.cause).toBeInstanceOf(AppError);
  });

  it('refuses a change whose key is not JSON', () => {
    const error = thrown({ ...fixtureRecord('postgres/customers-create.json'), key: Buffer.from('id=1') });
    expect(error.code).toBe(ErrorCode.DECODE_FAILED);
    expect(error.message).toContain('key is not valid JSON');
  });

  it('refuses a value or key that is not UTF-8 (its bytes would be read with U+FFFD in their place, a value the source never held)', () => {
    const record = fixtureRecord('postgres/customers-create.json');
    const text = (record.value as Buffer).toString('utf8');
    const at = text.indexOf('a@x.io');
    // "a\xff\xfeb" in place of the e-mail's first characters: two bytes no UTF-8 text holds.
    const broken = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0x61, 0xff, 0xfe, 0x62]), Buffer.from(text.slice(at + 4))]);
    const value = thrown({ ...record, value: broken });
    expect([value.code, value.message]).toEqual([ErrorCode.DECODE_FAILED, expect.stringContaining('value is not valid UTF-8 text')]);
    const key = thrown({ ...record, key: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) });
    expect([key.code, key.message]).toEqual([ErrorCode.DECODE_FAILED, expect.stringContaining('key is not valid UTF-8 text')]);
    // Valid multi-byte text still decodes as written.
    const accented = Buffer.from(text.replace('a@x.io', 'é@x.io'));
    expect(change(decodeRecord({ ...record, value: accented })).after).toMatchObject({ email: 'é@x.io' });
  });

  it('refuses a value holding a lone surrogate escape (the store would keep U+FFFD, the event and history the escape)', () => {
    const record = fixtureRecord('postgres/customers-create.json');
    const text = (record.value as Buffer).toString('utf8');
    const withName = (escaped: string) => ({ ...record, value: Buffer.from(text.replace('"name":"A"', `"name":"${escaped}"`)) });
    expect(text).toContain('"name":"A"');
    for (const lone of ['x\\ud800y', '\\udc00', '\\ude00\\ud83d']) {
      const error = thrown(withName(lone));
      expect([error.code, error.message]).toEqual([ErrorCode.DECODE_FAILED, expect.stringContaining('value holds a lone surrogate')]);
    }
    // A pair is one character, and an escaped backslash before "ud800" is plain text.
    expect(change(decodeRecord(withName('\\ud83d\\ude00'))).after).toMatchObject({ name: '\u{1F600}' });
    expect(change(decodeRecord(withName('\\\\ud800'))).after).toMatchObject({ name: '\\ud800' });
  });

  it('refuses JSON that is not an event object', () => {
    expect(thrown(rawRecord([1, 2])).code).toBe(ErrorCode.UNSUPPORTED_ENVELOPE);
    expect(thrown(rawRecord('hello')).message).toContain('a JSON string');
    expect(thrown(rawRecord(42)).code).toBe(ErrorCode.UNSUPPORTED_ENVELOPE);
  });

  it('refuses an unknown op', () => {
    const { schema, payload } = createEnvelope();
    const error = thrown(rawRecord({ schema, payload: { ...payload, op: 'x' } }));
    expect(error.code).toBe(ErrorCode.UNSUPPORTED_ENVELOPE);
    expect(error.message).toContain('unsupported op "x"');
  });

  it('refuses an unknown op in a schemaless envelope too', () => {
    const { payload } = createEnvelope();
    expect(thrown(rawRecord({ ...payload, op: 'x' })).message).toContain('unsupported op "x"');
  });

  it('reads a flattened row that merely has before/after columns as a row, not an envelope', () => {
    const decoded = decodeRecord(rawRecord({ id: 9, before: 'draft', after: 'published' }, { id: 9 }));
    expect(decoded).toMatchObject({ kind: 'change', flattened: true, after: { id: 9, before: 'draft', after: 'published' } });
  });

  it('refuses a create without an after row', () => {
    const { schema, payload } = createEnvelope();
    expect(thrown(rawRecord({ schema, payload: { ...payload, after: null } })).code).toBe(ErrorCode.UNSUPPORTED_ENVELOPE);
  });

  it('refuses an envelope without op', () => {
    const { schema, payload } = createEnvelope();
    const { op: _op, ...withoutOp } = payload;
    expect(thrown(rawRecord({ schema, payload: withoutOp })).message).toContain('without an "op"');
    expect(thrown(rawRecord(withoutOp)).code).toBe(ErrorCode.UNSUPPORTED_ENVELOPE);
  });

  it('refuses a Decimal that is not base64, naming the column', () => {
    const { schema, payload } = createEnvelope();
    const after = { ...(payload.after as object), balance: '***' };
    const error = thrown(rawRecord({ schema, payload: { ...payload, after } }));
    expect(error.code).toBe(ErrorCode.DECODE_FAILED);
    expect(error.message).toContain('after.balance: "***" is not base64');
  });

  it('refuses a row that is not an object', () => {
    const { schema, payload } = createEnvelope();
    const error = thrown(rawRecord({ schema, payload: { ...payload, after: 'oops' } }));
    expect(error.code).toBe(ErrorCode.DECODE_FAILED);
    expect(error.message).toContain('after: expected a row');
  });
});
