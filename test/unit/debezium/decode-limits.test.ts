import { isAppError } from '../../../src/errors';
import { DEFAULT_DECODE_LIMITS, valueDepth, type DecodeLimits } from '../../../src/ingestion/debezium/decode-limits';
import { decodeRecord, type RawRecord } from '../../../src/ingestion/debezium/decode-record';
import { toIntent, type PipelineSpec } from '../../../src/ingestion/pipeline';

/**
 * Hostile records against the decoder (issue 14, item 1): a value nested deeper than MongoDB
 * accepts (100 levels) is refused with its own code before anything else sees it, however deep
 * (no recursion of ours may overflow the stack on it).
 */
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

const relational = (payload: string): RawRecord => ({
  topic: 'hostile.public.things',
  partition: 0,
  offset: '7',
  key: Buffer.from('{"id":1}'),
  value: Buffer.from(`{"before":null,"after":{"id":1,"payload":${payload}},"source":{"connector":"postgresql","lsn":1},"op":"c"}`),
});

const mongo = (payload: string): RawRecord => ({
  topic: 'hostile.db.things',
  partition: 0,
  offset: '8',
  key: Buffer.from('{"id":"1"}'),
  value: Buffer.from(JSON.stringify({ after: `{"_id":1,"payload":${payload}}`, source: { connector: 'mongodb', ts_ms: 1, ord: 1 }, op: 'c' })),
});

function codeOf(raw: RawRecord, limits?: DecodeLimits): string {
  try {
    return decodeRecord(raw, limits ? { limits } : {}).kind;
  } catch (error) {
    return isAppError(error) ? error.code : `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe('decode limits (item 1)', () => {
  it('decodes a record nested within the limit', () => {
    expect(codeOf(relational(nested(50)))).toBe('change');
    expect(codeOf(mongo(nested(50)))).toBe('change');
  });

  it('refuses a relational record nested 1,000 levels with DECODE_LIMIT_EXCEEDED', () => {
    expect(codeOf(relational(nested(1_000)))).toBe('DECODE_LIMIT_EXCEEDED');
  });

  it('refuses a relational record nested 100,000 levels with DECODE_LIMIT_EXCEEDED (no stack overflow)', () => {
    expect(codeOf(relational(nested(100_000)))).toBe('DECODE_LIMIT_EXCEEDED');
  });

  it('refuses a MongoDB document (Extended JSON in a string) nested 1,000 and 100,000 levels', () => {
    expect(codeOf(mongo(nested(1_000)))).toBe('DECODE_LIMIT_EXCEEDED');
    expect(codeOf(mongo(nested(100_000)))).toBe('DECODE_LIMIT_EXCEEDED');
  });

  it('counts brackets inside strings as text, not nesting', () => {
    expect(codeOf(relational(JSON.stringify('['.repeat(5_000))), { ...DEFAULT_DECODE_LIMITS, maxDepth: 10 })).toBe('change');
    expect(codeOf(relational(JSON.stringify('\\"[[[['.repeat(100))), { ...DEFAULT_DECODE_LIMITS, maxDepth: 10 })).toBe('change');
  });

  it('follows the configured depth: exactly at the limit passes, one more level is refused', () => {
    // The envelope is 2 levels (value, after), the payload adds its own.
    expect(codeOf(relational(nested(8)), { ...DEFAULT_DECODE_LIMITS, maxDepth: 10 })).toBe('change');
    expect(codeOf(relational(nested(9)), { ...DEFAULT_DECODE_LIMITS, maxDepth: 10 })).toBe('DECODE_LIMIT_EXCEEDED');
  });

  it('decides by the nesting, not the count of brackets, once there are more brackets than the limit allows levels', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxDepth: 10 };
    const siblings = (n: number, inner: string) => `[${Array.from({ length: n }, () => inner).join(',')}]`;
    // 500 shallow objects: far more brackets than 10, 4 levels in all.
    expect(codeOf(relational(siblings(500, '{"a":[1]}')), limits)).toBe('change');
    // The same, with one too deep among them, after the shallow ones.
    expect(codeOf(relational(siblings(500, '{"a":[1]}').replace(/\]$/, `,${nested(9)}]`)), limits)).toBe('DECODE_LIMIT_EXCEEDED');
    expect(codeOf(mongo(siblings(500, '{"a":[1]}').replace(/\]$/, `,${nested(9)}]`)), limits)).toBe('DECODE_LIMIT_EXCEEDED');
  });

  it('refuses a record value, or an embedded document, larger than the byte limit', () => {
    const big = JSON.stringify('x'.repeat(5_000));
    expect(codeOf(relational(big), { maxDepth: 100, maxBytes: 4_096 })).toBe('DECODE_LIMIT_EXCEEDED');
    expect(codeOf(mongo(big), { maxDepth: 100, maxBytes: 4_096 })).toBe('DECODE_LIMIT_EXCEEDED');
    expect(codeOf(relational(big), { maxDepth: 100, maxBytes: 8_192 })).toBe('change');
  });

  it("measures a decoded value's depth without recursion", () => {
    let deep: unknown = [];
    for (let i = 1; i < 200_000; i += 1) deep = [deep];
    expect(valueDepth(deep)).toBe(200_000);
    expect(valueDepth({ a: 1, b: [{ c: null }] })).toBe(3);
  });

  it('refuses a mapped canonical document that would nest deeper than the store accepts', () => {
    const decoded = decodeRecord(relational(nested(98))); // 100 levels with the envelope: the most a record may have
    if (decoded.kind !== 'change') throw new Error('expected a change');
    const spec: PipelineSpec = {
      id: 'wrap',
      version: 1,
      subject: 'thing',
      deleteMode: 'soft',
      ownedFields: ['wrapped'],
      map: (row) => ({ wrapped: { again: row.payload } }),
      mapPartial: () => ({ set: {}, unset: [] }),
      entityKey: () => '1',
    };
    expect(() => toIntent(decoded, spec, relational('1'))).toThrow(expect.objectContaining({ code: 'DECODE_LIMIT_EXCEEDED' }));
    expect(toIntent(decoded, { ...spec, map: (row) => ({ payload: row.payload }) }, relational('1')).kind).toBe('full');
  });
});
