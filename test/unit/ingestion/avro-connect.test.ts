import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import type { ConnectSchema } from '../../../src/ingestion/debezium/decode-connect-value';
import { decodeMessages, decodeRecord, type ConnectMessage } from '../../../src/ingestion/debezium/decode-record';
import { avroConnectView } from '../../../src/ingestion/registry/avro-connect';
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
