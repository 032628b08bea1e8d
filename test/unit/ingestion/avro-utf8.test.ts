import avro from 'avsc';
import { writeWireFormat } from '../../../src/infra/wire-format';
import type { RawRecord } from '../../../src/ingestion/debezium/decode-record';
import { avroConnectView } from '../../../src/ingestion/registry/avro-connect';
import { avroDecoderFor, bigintLongs } from '../../support/connect-avro';

/**
 * Avro strings are UTF-8 by the specification. A string whose bytes are not UTF-8 (a producer's
 * bug, a Latin-1 column copied as bytes) must not be read with U+FFFD in place of the bad bytes and
 * applied: the record is DECODE_FAILED, naming the field, wherever the string is (a field, inside a
 * nested record, an array, a map's value or key, a union branch), and its raw bytes go to the dead
 * letter as they came.
 */
const ROW = {
  type: 'record',
  name: 'Row',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'address', type: { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attributes', type: { type: 'map', values: 'string' } },
    { name: 'counts', type: { type: 'map', values: 'long' } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'code', type: { type: 'string', 'connect.name': 'shop.Code' } },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: ['null', 'string', 'long'] }] } } },
  ],
};

/**
 * The same schema with every string read as bytes and every map as an array of {key, value}
 * records: Avro encodes both identically (a length and the bytes; blocks of entries), so a value
 * of this twin is the Avro encoding of a ROW value whose strings (map keys too) hold any bytes.
 */
function bytesTwin(node: unknown): unknown {
  if (node === 'string') return 'bytes';
  if (Array.isArray(node)) return node.map(bytesTwin);
  if (node === null || typeof node !== 'object') return node;
  const attributes = node as Record<string, unknown>;
  if (attributes.type === 'string') return { ...attributes, type: 'bytes' };
  if (attributes.type === 'map') {
    return {
      type: 'array',
      items: {
        type: 'record',
        name: `Entry${Math.random().toString(36).slice(2)}`,
        fields: [
          { name: 'key', type: 'bytes' },
          { name: 'value', type: bytesTwin(attributes.values) },
        ],
      },
    };
  }
  if (attributes.type === 'record') {
    return { ...attributes, fields: (attributes.fields as { name: string; type: unknown }[]).map((field) => ({ ...field, type: bytesTwin(field.type) })) };
  }
  if (attributes.type === 'array') return { ...attributes, items: bytesTwin(attributes.items) };
  return node;
}

const TWIN = avro.Type.forSchema(bytesTwin(ROW) as avro.Schema, { wrapUnions: true, typeHook: bigintLongs });
const text = (value: string) => Buffer.from(value, 'utf8');
/** Latin-1 "café": 0xE9 alone is no UTF-8 sequence. */
const LATIN1 = Buffer.from('caf\u00e9', 'latin1');

function row(overrides: Record<string, unknown> = {}): Buffer {
  return TWIN.toBuffer({
    id: 1n,
    name: text('Ada'),
    address: { city: text('Zürich') },
    tags: [text('new'), text('\u{1F600}')],
    attributes: [{ key: text('colour'), value: text('blue') }],
    counts: [{ key: text('views'), value: 3n }],
    note: { bytes: text('fragile') },
    code: text('A-1'),
    lines: [{ sku: { bytes: text('sku-1') } }, { sku: { long: 7n } }],
    ...overrides,
  });
}

const SCHEMA_ID = 7;
const decoder = avroDecoderFor(ROW);
const record = (value: Buffer): RawRecord => ({ topic: 'shop.rows', partition: 0, offset: '5', key: null, value: writeWireFormat(SCHEMA_ID, value) });

describe('Avro strings that are not UTF-8', () => {
  it('a valid row decodes with every string as written (U+FFFD written as such stays)', () => {
    const view = avroConnectView(ROW);
    expect(view.decode(row({ name: text('\ufffd Ada'), attributes: [{ key: text('\ufffd'), value: text('x\ufffd') }] }))).toEqual({
      id: 1,
      name: '\ufffd Ada',
      address: { city: 'Zürich' },
      tags: ['new', '\u{1F600}'],
      attributes: { '\ufffd': 'x\ufffd' },
      counts: { views: 3 },
      note: 'fragile',
      code: 'A-1',
      lines: [{ sku: 'sku-1' }, { sku: 7 }],
    });
  });

  it.each([
    ['a field', { name: LATIN1 }, 'value.name'],
    ['a field of a nested record', { address: { city: LATIN1 } }, 'value.address.city'],
    ['an array item', { tags: [text('new'), LATIN1] }, 'value.tags[1]'],
    ['a map value', { attributes: [{ key: text('colour'), value: LATIN1 }] }, 'value.attributes.colour'],
    [
      'a map key',
      {
        attributes: [
          { key: text('colour'), value: text('blue') },
          { key: LATIN1, value: text('red') },
        ],
      },
      'value.attributes (a key)',
    ],
    ['the key of a map of longs', { counts: [{ key: Buffer.from([0xc3, 0x28]), value: 1n }] }, 'value.counts (a key)'],
    ['a union branch', { note: { bytes: LATIN1 } }, 'value.note'],
    ['a Connect-named string', { code: Buffer.from([0xed, 0xa0, 0x80]) }, 'value.code'],
    ['a union inside a record inside an array', { lines: [{ sku: { long: 1n } }, { sku: { bytes: Buffer.from([0xff]) } }] }, 'value.lines[1].sku'],
  ])('%s: DECODE_FAILED, the field named', async (_where, overrides, path) => {
    const [entry] = await decoder.decodeBatch([record(row(overrides))]);
    expect(entry!.decoded).toBeUndefined();
    expect(entry!.error).toMatchObject({ code: 'DECODE_FAILED' });
    expect((entry!.error as Error).message).toContain(`${path} is not valid UTF-8 text`);
    expect(entry!.writerSchemaId).toBe(SCHEMA_ID);
  });

  it('in the key too, named as the key', async () => {
    const [entry] = await decoder.decodeBatch([{ ...record(row()), key: writeWireFormat(SCHEMA_ID, row({ address: { city: LATIN1 } })) }]);
    expect(entry!.error).toMatchObject({ code: 'DECODE_FAILED', message: expect.stringContaining('key.address.city is not valid UTF-8 text') });
  });

  it('a string cut short is still the truncated value it was', () => {
    const bytes = row();
    expect(() => avroConnectView(ROW).decode(bytes.subarray(0, 3))).toThrow('truncated buffer');
  });
});
