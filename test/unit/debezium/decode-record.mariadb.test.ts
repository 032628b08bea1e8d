import { decodeRecord } from '../../../src/ingestion/debezium/decode-record';
import { change, fixtureRecord } from './fixture-record';

/**
 * Records written by the local stack's MariaDB capture (Debezium's MySQL connector 3.6.0.Final
 * with MariaDB's JDBC driver, MariaDB 10.11), captured from a real run of
 * test/integration/ingestion/mariadb-end-to-end.test.ts: the decoder's view of every column type
 * the issue names, exactly.
 */
describe('decodeRecord — MariaDB through the Debezium MySQL connector', () => {
  it('decodes DECIMAL, DATETIME(6), TIMESTAMP(3), JSON, ENUM and BIT exactly, with the binlog position', () => {
    const decoded = change(decodeRecord(fixtureRecord('mariadb/products-create.json')));
    expect(decoded).toMatchObject({ op: 'c', connector: 'mysql', key: { id: 1 }, entityKey: '1', before: null, flattened: false });
    expect(decoded.after).toEqual({
      id: 1,
      sku: 'SKU-1',
      // DECIMAL(12,2): Connect Decimal bytes with scale 2.
      price: '1234567890.05',
      // DATETIME(6): io.debezium.time.MicroTimestamp, every microsecond kept.
      made_at: '2026-01-02T03:04:05.123456Z',
      // TIMESTAMP(3): io.debezium.time.ZonedTimestamp, already a UTC string.
      seen_at: '2026-06-01T12:00:00.001Z',
      // MariaDB's JSON is LONGTEXT with a check: the connector passes the text as it is.
      attrs: '{"color": "red", "sizes": [38, 39.5], "big": 12345678901234567890}',
      // ENUM: io.debezium.data.Enum, the label.
      status: 'active',
      // BIT(12): io.debezium.data.Bits, bytes least significant first (0xAAA → AA 0A), base64.
      flags: Buffer.from([0xaa, 0x0a]).toString('base64'),
      // BIT(1): a boolean.
      active: true,
    });
    expect(decoded.position).toBe('mysql:binlog.000002:00000000000000016466:0000000000');
    expect(decoded.source).toMatchObject({ connector: 'mysql', db: 'canonql_source', file: 'binlog.000002', pos: 16466, row: 0 });
  });

  it('decodes the update with both images, positioned after the create', () => {
    const create = change(decodeRecord(fixtureRecord('mariadb/products-create.json')));
    const update = change(decodeRecord(fixtureRecord('mariadb/products-update.json')));
    expect(update.op).toBe('u');
    expect(update.before).toMatchObject({ price: '1234567890.05', status: 'active', active: true });
    expect(update.after).toMatchObject({
      price: '1234567890.15',
      status: 'retired',
      flags: Buffer.from([0x03, 0x00]).toString('base64'),
      active: false,
      made_at: '2026-01-02T03:04:05.123456Z',
    });
    expect(update.position > create.position).toBe(true);
  });
});
