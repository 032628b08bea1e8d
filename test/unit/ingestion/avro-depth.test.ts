import avro from 'avsc';
import { writeWireFormat } from '../../../src/infra/wire-format';
import { DEFAULT_DECODE_LIMITS } from '../../../src/ingestion/debezium/decode-limits';
import { avroDecoderFor } from '../../support/connect-avro';

/**
 * A recursive Avro schema lets a value of a few kilobytes nest records thousands deep (one byte,
 * the union's branch, per level). avsc's reader followed them until the stack overflowed. Records
 * nested deeper than the decode limits' depth are now refused as they are reached, with the code
 * a JSON value that deep gets (DECODE_LIMIT_EXCEEDED), in a time that does not grow with the value.
 */

/** A linked list of records: `next` is null or another node. */
const NODE = {
  type: 'record',
  name: 'Node',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'next', type: ['null', 'Node'] },
  ],
};
/** A record whose first field is shallow and second a list: the refusal is not put on the wrong field. */
const PAIR = {
  type: 'record',
  name: 'Pair',
  fields: [
    { name: 'first', type: { type: 'record', name: 'Leaf', fields: [{ name: 'n', type: 'int' }] } },
    { name: 'list', type: NODE },
  ],
};

/** The Avro bytes of a list `depth` nodes long: per node its id (zig-zag 0) and the union branch. */
function listBytes(depth: number): Buffer {
  const bytes = Buffer.alloc(depth * 2);
  for (let at = 0; at < depth; at += 1) bytes[at * 2 + 1] = at === depth - 1 ? 0 : 2;
  return bytes;
}

async function decode(schema: unknown, value: Buffer, key: Buffer | null = null) {
  const [entry] = await avroDecoderFor(schema).decodeBatch([
    { topic: 'shop.rows', partition: 0, offset: '5', key: key && writeWireFormat(7, key), value: writeWireFormat(7, value) },
  ]);
  return entry!;
}

describe('Avro records nested through a recursive schema', () => {
  const max = DEFAULT_DECODE_LIMITS.maxDepth;

  it('the list as avsc writes it decodes while shallow', async () => {
    const value = { id: 0, next: { Node: { id: 0, next: null } } };
    const type = avro.Type.forSchema(NODE as avro.Schema, { wrapUnions: true });
    expect(listBytes(2)).toEqual(type.toBuffer(value));
    const entry = await decode(NODE, listBytes(20));
    expect(entry.error).toBeUndefined();
    expect(entry.decoded).toBeDefined();
  });

  it.each([max + 1, 5_000, 200_000])('%i records deep: DECODE_LIMIT_EXCEEDED, the depth limit in its details', async (depth) => {
    const entry = await decode(NODE, listBytes(depth));
    expect(entry.decoded).toBeUndefined();
    expect(entry.error).toMatchObject({
      code: 'DECODE_LIMIT_EXCEEDED',
      message: expect.stringContaining(`value nests deeper than ${max} levels`),
      details: expect.objectContaining({ limit: 'depth', max }),
    });
  });

  it('behind a shallow field, and in the key, the same', async () => {
    const pair = Buffer.concat([Buffer.from([2]), listBytes(5_000)]);
    expect((await decode(PAIR, pair)).error).toMatchObject({ code: 'DECODE_LIMIT_EXCEEDED' });
    const entry = await decode(NODE, listBytes(3), listBytes(5_000));
    expect(entry.error).toMatchObject({ code: 'DECODE_LIMIT_EXCEEDED', message: expect.stringContaining('key nests deeper') });
  });

  it('the next value of the batch reads on from a fresh depth', async () => {
    const decoder = avroDecoderFor(NODE);
    const records = [listBytes(5_000), listBytes(30)].map((value, offset) => ({
      topic: 'shop.rows',
      partition: 0,
      offset: String(offset),
      key: null,
      value: writeWireFormat(7, value),
    }));
    const [deep, shallow] = await decoder.decodeBatch(records);
    expect(deep!.error).toMatchObject({ code: 'DECODE_LIMIT_EXCEEDED' });
    expect(shallow!.error).toBeUndefined();
  });
});
