import { comparePositions, kafkaPosition, sourcePosition } from '../../../src/ingestion/debezium/source-position';

const kafka = { partition: 1, offset: '5' };

describe('sourcePosition', () => {
  describe('PostgreSQL', () => {
    it('is "pg:" + the LSN padded to 20 digits', () => {
      expect(sourcePosition('postgresql', { lsn: 22197432 }, kafka)).toBe('pg:00000000000022197432');
    });

    it('sorts LSN 9 before LSN 10 as plain strings', () => {
      expect(sourcePosition('postgresql', { lsn: 9 }, kafka) < sourcePosition('postgresql', { lsn: 10 }, kafka)).toBe(true);
    });

    it('prefers the change LSN from source.sequence ([lastCommitLsn, lsn])', () => {
      expect(sourcePosition('postgresql', { lsn: 1, sequence: '["22197000","22197432"]' }, kafka)).toBe('pg:00000000000022197432');
      expect(sourcePosition('postgresql', { lsn: 1, sequence: '[null,"22197432"]' }, kafka)).toBe('pg:00000000000022197432');
    });

    it('ignores a malformed sequence and uses lsn', () => {
      expect(sourcePosition('postgresql', { lsn: 7, sequence: 'not json' }, kafka)).toBe('pg:00000000000000000007');
      expect(sourcePosition('postgresql', { lsn: 7, sequence: '[null,null]' }, kafka)).toBe('pg:00000000000000000007');
    });

    it('holds the largest 64-bit LSN', () => {
      expect(sourcePosition('postgresql', { lsn: '18446744073709551615' }, kafka)).toBe('pg:18446744073709551615');
    });

    it('falls back to the Kafka position without an LSN', () => {
      expect(sourcePosition('postgresql', { lsn: null }, kafka)).toBe('kafka:000001:00000000000000000005');
    });
  });

  describe('MongoDB', () => {
    it('is "mongo:" + ts_ms (15 digits) + ord (10 digits), in oplog order', () => {
      const at = (ts_ms: number, ord: number) => sourcePosition('mongodb', { ts_ms, ord }, kafka);
      expect(at(1558965508000, 31)).toBe('mongo:001558965508000:0000000031');
      const ordered = [at(1000, 2), at(1000, 10), at(2000, 1), at(10000, 0)];
      expect([...ordered].sort()).toEqual(ordered);
    });

    it("orders the changes of one transaction (same ts_ms + ord) by the transaction block's total_order", () => {
      const inTxn = (total_order: number, offset: string) =>
        sourcePosition(
          'mongodb',
          { ts_ms: 2000, ord: 1, lsid: '{"id": {"$binary": "AA=="}}', txnNumber: 4 },
          { partition: 0, offset },
          { id: 'x:4', total_order, data_collection_order: total_order },
        );
      const ordered = [
        sourcePosition('mongodb', { ts_ms: 1000, ord: 7 }, kafka),
        inTxn(1, '90'),
        inTxn(2, '12'),
        inTxn(10, '11'),
        sourcePosition('mongodb', { ts_ms: 2000, ord: 2 }, kafka),
      ];
      expect(new Set(ordered).size).toBe(ordered.length);
      expect([...ordered].sort()).toEqual(ordered);
      expect(inTxn(2, '12')).toBe('mongo:000000000002000:0000000001:t00000000000000000002');
    });

    it("orders a transaction's changes by Kafka offset when the connector sends no transaction block", () => {
      const inTxn = (offset: string) => sourcePosition('mongodb', { ts_ms: 2000, ord: 1, txnNumber: 4 }, { partition: 3, offset });
      expect(inTxn('9') < inTxn('10')).toBe(true);
      expect(inTxn('9')).toBe('mongo:000000000002000:0000000001:k000003:00000000000000000009');
      expect(sourcePosition('mongodb', { ts_ms: 1000, ord: 9 }, kafka) < inTxn('0')).toBe(true);
    });

    it('keeps the bare form outside a transaction (positions stored before compare as before)', () => {
      expect(sourcePosition('mongodb', { ts_ms: 5, ord: 1, lsid: null, txnNumber: null }, kafka, null)).toBe('mongo:000000000000005:0000000001');
    });

    it('takes ord 0 when absent and falls back to Kafka without ts_ms', () => {
      expect(sourcePosition('mongodb', { ts_ms: 5 }, kafka)).toBe('mongo:000000000000005:0000000000');
      expect(sourcePosition('mongodb', { ord: 5 }, kafka)).toBe('kafka:000001:00000000000000000005');
    });
  });

  describe('MySQL', () => {
    it('is "mysql:" + binlog file + pos (20 digits) + row (10 digits), in binlog order', () => {
      const at = (file: string, pos: number, row: number) => sourcePosition('mysql', { file, pos, row }, kafka);
      expect(at('mysql-bin.000003', 154, 0)).toBe('mysql:mysql-bin.000003:00000000000000000154:0000000000');
      const ordered = [at('mysql-bin.000009', 100, 0), at('mysql-bin.000009', 100, 2), at('mysql-bin.000009', 100, 10), at('mysql-bin.000010', 4, 0)];
      expect([...ordered].sort()).toEqual(ordered);
    });

    it('orders binlog files past 999999, whose extension grows to 7 and more digits, after the 6-digit ones', () => {
      // The server names a new binlog file with sprintf("%06lu", n): six digits at least, up to 2147483647.
      const at = (file: string, pos = 4, row = 0) => sourcePosition('mysql', { file, pos, row }, kafka);
      const ordered = [
        at('mysql-bin.000003', 500),
        at('mysql-bin.000004'),
        at('mysql-bin.999999', 900),
        at('mysql-bin.1000000'),
        at('mysql-bin.1000000', 5),
        at('mysql-bin.9999999'),
        at('mysql-bin.10000000'),
        at('mysql-bin.99999999'),
        at('mysql-bin.100000000'),
        at('mysql-bin.2147483647'),
      ];
      expect(new Set(ordered).size).toBe(ordered.length);
      expect([...ordered].sort()).toEqual(ordered);
      for (let i = 1; i < ordered.length; i++) expect(comparePositions(ordered[i - 1] as string, ordered[i] as string)).toBeLessThan(0);
    });

    it('writes 6-digit extensions as before, so positions stored earlier compare and repeat exactly', () => {
      const stored = 'mysql:mysql-bin.000003:00000000000000000154:0000000000';
      expect(sourcePosition('mysql', { file: 'mysql-bin.000003', pos: 154, row: 0 }, kafka)).toBe(stored);
      expect(sourcePosition('mysql', { file: 'mysql-bin.000004', pos: 4, row: 0 }, kafka) > stored).toBe(true);
      expect(sourcePosition('mysql', { file: 'mysql-bin.1000000', pos: 4, row: 0 }, kafka) > stored).toBe(true);
      expect(sourcePosition('mysql', { file: 'binlog.000002', pos: 16466 }, kafka)).toBe('mysql:binlog.000002:00000000000000016466:0000000000');
    });

    it('marks each extension digit beyond six with "~", which sorts after every digit', () => {
      expect(sourcePosition('mysql', { file: 'mysql-bin.1000000', pos: 4, row: 0 }, kafka)).toBe('mysql:mysql-bin.~1000000:00000000000000000004:0000000000');
      expect(sourcePosition('mysql', { file: 'mysql-bin.2147483647', pos: 4, row: 0 }, kafka)).toBe(
        'mysql:mysql-bin.~~~~2147483647:00000000000000000004:0000000000',
      );
    });

    it('falls back to Kafka without file or pos', () => {
      expect(sourcePosition('mysql', { pos: 4 }, kafka)).toBe('kafka:000001:00000000000000000005');
    });
  });

  describe('other connectors', () => {
    it('use partition (6 digits) and offset (20 digits), where offset 9 sorts before 10', () => {
      expect(sourcePosition('sqlserver', { lsn: 'ignored' }, { partition: 12, offset: '9' })).toBe('kafka:000012:00000000000000000009');
      expect(kafkaPosition({ partition: 0, offset: '9' }) < kafkaPosition({ partition: 0, offset: '10' })).toBe(true);
      expect(sourcePosition('unknown', null, kafka)).toBe('kafka:000001:00000000000000000005');
    });
  });
});

describe('comparePositions', () => {
  it('orders earlier before later, and equal positions as the same change', () => {
    const a = sourcePosition('postgresql', { lsn: 9 }, kafka);
    const b = sourcePosition('postgresql', { lsn: 10 }, kafka);
    expect(comparePositions(a, b)).toBeLessThan(0);
    expect(comparePositions(b, a)).toBeGreaterThan(0);
    expect(comparePositions(a, a)).toBe(0);
    expect([b, a].sort(comparePositions)).toEqual([a, b]);
  });
});
