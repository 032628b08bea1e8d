import avro from 'avsc';
import { writeWireFormat } from '../../../src/infra/wire-format';
import { EXACT_NUMBER_MARKER } from '../../../src/ingestion/debezium/parse-json-lossless';
import { avroConnectView } from '../../../src/ingestion/registry/avro-connect';
import { avroDecoderFor, bigintLongs } from '../../support/connect-avro';

/**
 * An Avro array or map is written in blocks, each a count of items (negative: followed by the
 * block's size in bytes) and the items. avsc trusts the count: a value of 6 bytes claiming two
 * billion items ran the consumer out of memory, on every restart. A block claiming more items
 * than the bytes left can hold is refused before any item is read (DECODE_FAILED, the field
 * named); items that take no bytes (null, a record without fields) are bounded by the value's
 * length (DECODE_LIMIT_EXCEEDED). Valid values decode as avsc decodes them.
 */

/** Avro's zig-zag varint of a count or length. */
const varint = (n: number) => avro.Type.forSchema('long').toBuffer(n);
const bytesOf = (...parts: (number | string | Buffer)[]) =>
  Buffer.concat(
    parts.map((part) =>
      typeof part === 'number' ? varint(part) : typeof part === 'string' ? Buffer.concat([varint(Buffer.byteLength(part)), Buffer.from(part)]) : part,
    ),
  );
const TWO_BILLION = 2_000_000_000;

let names = 0;
const record = (fields: { name: string; type: unknown }[]) => ({ type: 'record', name: `R${(names += 1)}`, fields });
const array = (items: unknown) => ({ type: 'array', items });
const map = (values: unknown) => ({ type: 'map', values });

async function errorOf(schema: unknown, value: Buffer) {
  const [entry] = await avroDecoderFor(schema).decodeBatch([{ topic: 'shop.rows', partition: 0, offset: '5', key: null, value: writeWireFormat(7, value) }]);
  expect(entry!.decoded).toBeUndefined();
  return entry!.error as { code: string; message: string; details?: unknown };
}

const NESTED = record([
  { name: 'id', type: 'long' },
  { name: 'inner', type: record([{ name: 'tags', type: array('long') }]) },
]);
const NESTED_MAP = record([
  { name: 'id', type: 'long' },
  { name: 'inner', type: record([{ name: 'm', type: map('long') }]) },
]);
const LINES = record([
  { name: 'id', type: 'long' },
  {
    name: 'lines',
    type: array(
      record([
        { name: 'sku', type: 'string' },
        { name: 'marks', type: array('int') },
      ]),
    ),
  },
]);

describe('Avro block counts beyond the bytes left', () => {
  it.each([
    ['an array claiming two billion items', array('string'), bytesOf(TWO_BILLION), 'value claims a block of 2000000000 items, more than the 0 bytes left'],
    ['an array claiming two billion items in a sized block', array('string'), bytesOf(-TWO_BILLION, 5), 'value claims a block of 2000000000 items'],
    ['a map claiming two billion entries', map('string'), bytesOf(TWO_BILLION), 'value claims a block of 2000000000 items'],
    ['a map claiming two billion entries in a sized block', map('long'), bytesOf(-TWO_BILLION, 5), 'value claims a block of 2000000000 items'],
    ['an array in a nested record (two billion)', NESTED, bytesOf(1, TWO_BILLION), 'value.inner.tags claims a block of 2000000000 items'],
    ['a map in a nested record (two billion)', NESTED_MAP, bytesOf(1, TWO_BILLION), 'value.inner.m claims a block of 2000000000 items'],
    [
      'an array claiming 1000 items with 3 bytes left',
      array('long'),
      bytesOf(1000, 2, 2, 2),
      'value claims a block of 1000 items, more than the 3 bytes left can hold (each takes at least 1)',
    ],
    ['a map claiming 100 entries with 4 bytes left', map('long'), bytesOf(100, 'k', 2, 0), 'value claims a block of 100 items, more than the 4 bytes left'],
    [
      'an array of doubles claiming 2 with 15 bytes left',
      array('double'),
      bytesOf(2, Buffer.alloc(15)),
      'value claims a block of 2 items, more than the 15 bytes left can hold (each takes at least 8)',
    ],
    ['a second block beyond the bytes left', array('long'), bytesOf(2, 2, 2, 4, 2, 2, 0), 'value claims a block of 4 items, more than the 3 bytes left'],
    ['a map inside an array item', array(map('string')), bytesOf(2, 0, 1000, 0), 'value[1] claims a block of 1000 items'],
    ['an array inside a map value', map(array('long')), bytesOf(1, 'colour', 1000, 0), 'value.colour claims a block of 1000 items'],
    ['an array inside the second record of an array', LINES, bytesOf(1, 2, 'a', 1, 2, 0, 'b', 1000, 0, 0), 'value.lines[1].marks claims a block of 1000 items'],
    ['an array in a union branch', record([{ name: 'tags', type: ['null', array('long')] }]), bytesOf(1, 1000, 0), 'value.tags claims a block of 1000 items'],
  ])('%s: DECODE_FAILED, the field named', async (_case, schema, value, message) => {
    const error = await errorOf(schema, value);
    expect(error).toMatchObject({ code: 'DECODE_FAILED' });
    expect(error.message).toContain(message);
  });

  it('in the key too (two billion), named as the key', async () => {
    const decoder = avroDecoderFor(NESTED);
    const [entry] = await decoder.decodeBatch([
      { topic: 't', partition: 0, offset: '0', key: writeWireFormat(7, bytesOf(1, TWO_BILLION)), value: writeWireFormat(7, bytesOf(1, 0)) },
    ]);
    expect(entry!.error).toMatchObject({ code: 'DECODE_FAILED', message: expect.stringContaining('key.inner.tags claims a block of 2000000000 items') });
  });
});

describe('Avro items that take no bytes', () => {
  const EMPTY = record([]);
  it.each([
    ['nulls (two billion)', array('null'), bytesOf(TWO_BILLION, 0), 'value holds more than 4096 items that take no bytes'],
    ['records without fields (two billion)', array(EMPTY), bytesOf(-TWO_BILLION, 0, 0), 'value holds more than 4096 items that take no bytes'],
    ['fixed values of size 0', array({ type: 'fixed', name: 'Nothing', size: 0 }), bytesOf(5000, 0), 'value holds more than 4096 items'],
    ['records of nulls only', array(record([{ name: 'a', type: 'null' }])), bytesOf(5000, 0), 'value holds more than 4096 items'],
    [
      'nulls in many blocks, each within the bytes',
      array('null'),
      bytesOf(...new Array<number>(100).fill(50), 0),
      'value holds more than 4096 items that take no bytes',
    ],
    [
      'nulls of two arrays, each within the bytes',
      record([
        { name: 'a', type: array('null') },
        { name: 'b', type: array('null') },
      ]),
      bytesOf(3000, 0, 3000, 0),
      'value.b holds more than 4096 items that take no bytes',
    ],
  ])('%s beyond the value length: DECODE_LIMIT_EXCEEDED, the field named', async (_case, schema, value, message) => {
    const error = await errorOf(schema, value);
    expect(error).toMatchObject({ code: 'DECODE_LIMIT_EXCEEDED', details: { limit: 'items' } });
    expect(error.message).toContain(message);
  });

  it('an enum of one symbol takes a byte: bounded by the bytes left, not the value length', async () => {
    const error = await errorOf(array({ type: 'enum', name: 'One', symbols: ['ONLY'] }), bytesOf(1000, 0));
    expect(error).toMatchObject({ code: 'DECODE_FAILED', message: expect.stringContaining('value claims a block of 1000 items, more than the 1 bytes left') });
  });

  it('a value longer than 4,096 bytes holds as many as it has bytes', async () => {
    const schema = record([
      { name: 'label', type: 'string' },
      { name: 'marks', type: array('null') },
    ]);
    const label = 'x'.repeat(6000);
    expect((avroConnectView(schema).decode(bytesOf(label, 6000, 0)) as { marks: unknown[] }).marks).toHaveLength(6000);
    const error = await errorOf(schema, bytesOf(label, 7000, 0));
    expect(error).toMatchObject({ code: 'DECODE_LIMIT_EXCEEDED', details: { limit: 'items' } });
  });

  it('a small value holds a few of them (4,096 at most)', () => {
    expect(avroConnectView(array('null')).decode(bytesOf(3, 0))).toEqual([null, null, null]);
    expect(avroConnectView(array('null')).decode(bytesOf(4096, 0))).toHaveLength(4096);
  });

  it('as many as the value has bytes decode', () => {
    const schema = record([
      { name: 'label', type: 'string' },
      { name: 'marks', type: array('null') },
    ]);
    expect(avroConnectView(schema).decode(bytesOf('abcdefgh', 4, 0))).toEqual({ label: 'abcdefgh', marks: [null, null, null, null] });
  });
});

describe('valid Avro values decode as avsc decodes them', () => {
  const LINE = record([
    { name: 'sku', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'price', type: 'double' },
    { name: 'sizes', type: map(array('int')) },
    { name: 'note', type: ['null', 'string'] },
  ]);
  const ROW = {
    ...record([
      { name: 'id', type: 'long' },
      { name: 'tags', type: array('string') },
      { name: 'lines', type: array(LINE) },
      { name: 'counts', type: map('long') },
      { name: 'inner', type: record([{ name: 'deep', type: array(array(map('boolean'))) }]) },
      { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
      { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
      { name: 'empties', type: array(record([])) },
      { name: 'maybe', type: ['null', array('float')] },
    ]),
    name: 'Row',
  };
  const plain = avro.Type.forSchema(ROW as avro.Schema, { wrapUnions: true, typeHook: bigintLongs });
  const line = (sku: string, note: string | null) => ({
    sku,
    qty: 2,
    price: 9.5,
    sizes: { eu: [38, 39], us: [] },
    note: note === null ? null : { string: note },
  });
  const VALUES = [
    {
      id: 9_007_199_254_740_993n,
      tags: ['new', '\u{1F600}', ''],
      lines: [line('a-1', null), line('b-2', 'gift')],
      counts: { views: 3n, edits: -1n },
      inner: { deep: [[{ x: true }, {}], []] },
      kind: 'B',
      hash: Buffer.from([1, 2, 3, 4]),
      empties: [{}, {}, {}],
      maybe: { array: [0.5, -1] },
    },
    { id: 0n, tags: [], lines: [], counts: {}, inner: { deep: [] }, kind: 'A', hash: Buffer.alloc(4), empties: [], maybe: null },
  ];

  it.each(VALUES.map((value, index) => [index, value]))('value %s: the same value', (_index, value) => {
    const bytes = plain.toBuffer(value);
    const view = avroConnectView(ROW);
    expect(view.type.fromBuffer(bytes)).toEqual(plain.fromBuffer(bytes));
  });

  it('the JSON converter payload of a value', () => {
    expect(avroConnectView(ROW).decode(plain.toBuffer(VALUES[0]))).toEqual({
      id: `${EXACT_NUMBER_MARKER}9007199254740993`,
      tags: ['new', '\u{1F600}', ''],
      lines: [
        { sku: 'a-1', qty: 2, price: 9.5, sizes: { eu: [38, 39], us: [] }, note: null },
        { sku: 'b-2', qty: 2, price: 9.5, sizes: { eu: [38, 39], us: [] }, note: 'gift' },
      ],
      counts: { views: 3, edits: -1 },
      inner: { deep: [[{ x: true }, {}], []] },
      kind: 'B',
      hash: 'AQIDBA==',
      empties: [{}, {}, {}],
      maybe: [0.5, -1],
    });
  });

  it('blocks as any writer may cut them: several, and sized (negative counts)', () => {
    const schema = record([
      { name: 'tags', type: array('string') },
      { name: 'counts', type: map('long') },
      { name: 'marks', type: array('null') },
    ]);
    const plainType = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: true, typeHook: bigintLongs });
    const block = (...parts: (number | string)[]) => bytesOf(...parts);
    const bytes = Buffer.concat([block(2, 'a', 'b', -1, 2, 'c', 0), block(1, 'x', 2, -2, 6, 'y', 4, 'z', 6, 0), block(-3, 0, 2, 0)]);
    const view = avroConnectView(schema);
    expect(view.type.fromBuffer(bytes)).toEqual(plainType.fromBuffer(bytes));
    expect(view.decode(bytes)).toEqual({ tags: ['a', 'b', 'c'], counts: { x: 2, y: 4, z: 6 }, marks: [null, null, null, null, null] });
  });
});
