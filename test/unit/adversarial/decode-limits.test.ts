import { isAppError } from '../../../src/errors';
import { decodeRecord, type RawRecord } from '../../../src/ingestion/debezium/decode-record';

/**
 * Hostile records against the decoder (issue 14, item 1): a value nested deeper than MongoDB
 * accepts (100 levels) is refused with its own code before anything else sees it, however deep
 * (no recursion of ours may overflow the stack on it).
 */
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

const relational = (payload: string): RawRecord => ({
  topic: 'hostile.public.things', partition: 0, offset: '7', key: Buffer.from('{"id":1}'),
  value: Buffer.from(`{"before":null,"after":{"id":1,"payload":${payload}},"source":{"connector":"postgresql","lsn":1},"op":"c"}`),
});

const mongo = (payload: string): RawRecord => ({
  topic: 'hostile.db.things', partition: 0, offset: '8', key: Buffer.from('{"id":"1"}'),
  value: Buffer.from(JSON.stringify({ after: `{"_id":1,"payload":${payload}}`, source: { connector: 'mongodb', ts_ms: 1, ord: 1 }, op: 'c' })),
});

function codeOf(raw: RawRecord): string {
  try {
    return decodeRecord(raw).kind;
  } catch (error) {
    return isAppError(error) ? error.code : `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe('decode limits (item 1)', () => {
  it('decodes a record nested within the limit', () => {
    expect(codeOf(relational(nested(50)))).toBe('change');
    expect(codeOf(mongo(nested(50)))).toBe('change');
  });

  it.failing('refuses a relational record nested 1,000 levels with DECODE_LIMIT_EXCEEDED', () => {
    expect(codeOf(relational(nested(1_000)))).toBe('DECODE_LIMIT_EXCEEDED');
  });

  it.failing('refuses a relational record nested 100,000 levels with DECODE_LIMIT_EXCEEDED (no stack overflow)', () => {
    expect(codeOf(relational(nested(100_000)))).toBe('DECODE_LIMIT_EXCEEDED');
  });

  it.failing('refuses a MongoDB document (Extended JSON in a string) nested 1,000 and 100,000 levels', () => {
    expect(codeOf(mongo(nested(1_000)))).toBe('DECODE_LIMIT_EXCEEDED');
    expect(codeOf(mongo(nested(100_000)))).toBe('DECODE_LIMIT_EXCEEDED');
  });
});
