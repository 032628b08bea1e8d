import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { decodeConnectValue, type ConnectSchema } from '../../../src/ingestion/debezium/decode-connect-value';
import { decodeMessages, decodeRecord, type ConnectMessage } from '../../../src/ingestion/debezium/decode-record';
import { avroConnectView, floatToJson } from '../../../src/ingestion/registry/avro-connect';
import { avroSchemaOf, avroValueOf, bigintLongs } from '../../support/connect-avro';
import { fixtureJson, fixtureRecord } from '../debezium/fixture-record';

/**
 * Every Debezium capture of test/fixtures/debezium that carries its Connect schema, sent as Kafka
 * Connect's Avro converter would write it, decodes to exactly what the JSON converter's record
 * decodes to: envelopes, keys, Decimal/VariableScaleDecimal, Date/MicroTime/MicroTimestamp/
 * Timestamp/ZonedTimestamp, Json, Uuid, int64 beyond 2^53, TOAST placeholders, tombstones.
 */
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'debezium');
const withSchema = readdirSync(FIXTURES)
  .flatMap((dir) => readdirSync(join(FIXTURES, dir)).map((file) => `${dir}/${file}`))
  .filter((name) => {
    const { value } = fixtureJson(name);
    return value !== null && typeof value === 'object' && 'schema' in value && (value as { schema: unknown }).schema !== null;
  })
  .sort();

/** The message as Avro bytes, decoded back through canonql's Avro view. */
function throughAvro(message: { schema: ConnectSchema; payload: unknown }): ConnectMessage {
  const schema = avroSchemaOf(message.schema);
  const bytes = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: true, typeHook: bigintLongs }).toBuffer(avroValueOf(message.schema, message.payload));
  const view = avroConnectView(schema);
  return { payload: view.decode(bytes), schema: view.schema };
}

describe('Avro records decode as their JSON converter twins', () => {
  it('covers the captures of every connector', () => {
    expect(withSchema.length).toBeGreaterThanOrEqual(25);
    expect(withSchema).toEqual(expect.arrayContaining(['postgres/orders-logical-types-create.json', 'mongodb/customers-update-full.json']));
  });

  it.each(withSchema)('%s', (name) => {
    const json = fixtureJson(name) as { key: { schema: ConnectSchema; payload: unknown } | null; value: { schema: ConnectSchema; payload: unknown } };
    const raw = fixtureRecord(name);
    const key = json.key !== null && typeof json.key === 'object' && 'schema' in json.key && json.key.schema ? throughAvro(json.key) : null;
    const value = throughAvro(json.value);
    const fromAvro = decodeMessages(raw, { key: () => key, value: () => value });
    expect(fromAvro).toEqual(decodeRecord(raw));
  });

  it('reads Avro logical types written without Connect names as the Connect types they stand for', () => {
    const schema = {
      type: 'record',
      name: 'Row',
      fields: [
        { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'uid', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'big', type: 'long' },
      ],
    };
    const view = avroConnectView(schema);
    const bytes = view.type.toBuffer({
      price: Buffer.from([0x30, 0x39]),
      at: 1714557600123456n,
      day: 19844,
      uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      big: 9007199254740993n,
    });
    expect(view.schema.fields?.map((f) => [f.field, f.type, f.name, f.parameters])).toEqual([
      ['price', 'bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '2' }],
      ['at', 'int64', 'io.debezium.time.MicroTimestamp', undefined],
      ['day', 'int32', 'org.apache.kafka.connect.data.Date', undefined],
      ['uid', 'string', 'io.debezium.data.Uuid', undefined],
      ['big', 'int64', undefined, undefined],
    ]);
    expect(view.decode(bytes)).toEqual({
      price: 'MDk=',
      at: 1714557600123456,
      day: 19844,
      uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      big: '\u0000#num:9007199254740993',
    });
  });

  it('reads a float32 as the JSON converter writes it (Float.toString: the shortest decimal of that float)', () => {
    const schema = {
      type: 'record',
      name: 'Row',
      fields: [
        { name: 'r', type: 'float' },
        { name: 'o', type: ['null', 'float'], default: null },
      ],
    };
    const view = avroConnectView(schema);
    const plain = avro.Type.forSchema(schema as avro.Schema);
    // [float32 value written, what Java's Float.toString gives the JSON converter]
    const cases: [number, number][] = [
      [0.1, 0.1],
      [1.1, 1.1],
      [-2.675, -2.675],
      [123456.789, 123456.79],
      [16777217, 16777216],
      [3.4028235e38, 3.4028235e38],
      [1.17549435e-38, 1.1754944e-38],
      [1.4e-45, 1.4e-45],
      [100, 100],
    ];
    for (const [written, json] of cases) {
      const decoded = view.decode(plain.toBuffer({ r: written, o: written })) as { r: number; o: number };
      expect(decoded).toEqual({ r: json, o: json });
      // The JSON path reads the converter's text as it is: both formats give the same value.
      expect(decodeConnectValue(decoded, view.schema, 'after')).toEqual(
        decodeConnectValue(
          { r: json, o: json },
          {
            type: 'struct',
            fields: [
              { field: 'r', type: 'float32' },
              { field: 'o', type: 'float32', optional: true },
            ],
          },
          'after',
        ),
      );
    }
    expect(Object.is(floatToJson(-0), -0)).toBe(true);
    expect(floatToJson(Number.NaN)).toBeNaN();
    expect(floatToJson(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives every float32 a decimal that reads back as it, with no shorter one (of two digits or more) that does', () => {
    const bits = new DataView(new ArrayBuffer(4));
    let seed = 12345;
    for (let round = 0; round < 5_000; round += 1) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      bits.setUint32(0, seed);
      const value = bits.getFloat32(0);
      if (!Number.isFinite(value) || value === 0) continue;
      const text = floatToJson(value) as number;
      expect(Math.fround(text)).toBe(value);
      const digits = text.toExponential().replace(/e.*$/, '').replace(/[-.]/g, '').length;
      if (digits > 2) expect(Math.fround(Number(value.toPrecision(digits - 1)))).not.toBe(value);
    }
  });

  it('refuses bytes that do not decode under the writer schema', () => {
    const view = avroConnectView({
      type: 'record',
      name: 'Row',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'name', type: 'string' },
      ],
    });
    expect(() => view.decode(Buffer.from([0x02, 0x40]))).toThrow();
  });
});
