import { decodeRecord } from '../../../src/ingestion/debezium/decode-record';
import { change, fixtureJson, fixtureRecord, rawRecord } from './fixture-record';

describe('decodeRecord — MySQL connector', () => {
  it('decodes a create with its binlog position', () => {
    const decoded = change(decodeRecord(fixtureRecord('mysql/customers-create.json')));
    expect(decoded).toMatchObject({
      op: 'c',
      connector: 'mysql',
      key: { id: 1004 },
      entityKey: '1004',
      before: null,
      after: { id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' },
      position: 'mysql:mysql-bin.000003:00000000000000000154:0000000000',
      source: { connector: 'mysql', name: 'mysql-server-1', db: 'inventory', table: 'customers', snapshot: false, file: 'mysql-bin.000003', pos: 154, row: 0 },
      flattened: false,
    });
  });

  it('takes the change time from source.ts_ms even when it is 0, as in the documented example', () => {
    expect(change(decodeRecord(fixtureRecord('mysql/customers-create.json'))).tsMs).toBe(0);
  });

  it('decodes an update and a delete, whose positions follow the binlog', () => {
    const update = change(decodeRecord(fixtureRecord('mysql/customers-update.json')));
    const remove = change(decodeRecord(fixtureRecord('mysql/customers-delete.json')));
    expect(update.before?.first_name).toBe('Anne');
    expect(update.after?.first_name).toBe('Anne Marie');
    expect(update.tsMs).toBe(1465581029100);
    expect(remove.op).toBe('d');
    expect(remove.after).toBeNull();
    expect(remove.before?.first_name).toBe('Anne Marie');
    const create = change(decodeRecord(fixtureRecord('mysql/customers-create.json')));
    expect([create.position, update.position, remove.position]).toEqual([create.position, update.position, remove.position].sort());
  });

  it('orders rows of one multi-row binlog event by row number', () => {
    const base = fixtureJson('mysql/customers-update.json').value as { schema: unknown; payload: Record<string, unknown> };
    const withRow = (row: number) => {
      const payload = { ...base.payload, source: { ...(base.payload.source as object), row } };
      return change(decodeRecord(rawRecord({ schema: base.schema, payload }, { id: 1004 }))).position;
    };
    expect(withRow(2) < withRow(10)).toBe(true);
  });

  it('treats MariaDB like MySQL for positions', () => {
    const base = fixtureJson('mysql/customers-update.json').value as { schema: unknown; payload: Record<string, unknown> };
    const payload = { ...base.payload, source: { ...(base.payload.source as object), connector: 'mariadb' } };
    const decoded = change(decodeRecord(rawRecord({ schema: base.schema, payload }, { id: 1004 })));
    expect(decoded.connector).toBe('mysql');
    expect(decoded.source.connector).toBe('mariadb');
    expect(decoded.position).toBe('mysql:mysql-bin.000003:00000000000000000484:0000000000');
  });

  it('skips schema change records', () => {
    expect(decodeRecord(fixtureRecord('mysql/schema-change.json'))).toEqual({ kind: 'skip', reason: 'schema-change' });
  });

  it('skips transaction metadata whose id is a GTID', () => {
    expect(decodeRecord(fixtureRecord('mysql/transaction-end.json'))).toEqual({ kind: 'skip', reason: 'transaction-metadata' });
  });
});
