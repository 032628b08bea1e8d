import fs from 'node:fs';
import path from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Db } from 'mongodb';
import type { ConnectSchema } from '../../src/ingestion/debezium/decode-connect-value';
import { toJsonText } from '../unit/debezium/fixture-record';
import { avroSchemaOf, avroValueOf, bigintLongs, readConnectMessage } from './connect-avro';
import { jsonSchemaOf, jsonSchemaValueOf } from './connect-json-schema';

/**
 * Debezium changes as Kafka Connect's converters see them (a Connect schema and a payload per key
 * and value), for tests that write the same changes as JSON converter records and as registry-encoded
 * ones (Avro, JSON Schema): PostgreSQL rows with Decimal and MicroTimestamp columns, MongoDB 2.x
 * order changes.
 */
const ROOT = path.join(__dirname, '..', '..');

export type Message = { schema: ConnectSchema; payload: unknown };
export interface Change {
  readonly key: Message;
  readonly value: Message | null;
}

/** The PostgreSQL captures of test/fixtures, with an `updated_at timestamp` (MicroTimestamp) column added to the row. */
export function postgresChanges(): Change[] {
  const read = (name: string) => {
    const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'debezium', 'postgres', name), 'utf8');
    return readConnectMessage(text) as unknown as { key: Message; value: Message | null };
  };
  const withTimestamp = (message: Message, micros: Record<string, number>): Message => {
    const addColumn = (row: ConnectSchema): ConnectSchema => ({
      ...row,
      fields: [...(row.fields ?? []), { type: 'int64', optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1, field: 'updated_at' }],
    });
    const schema: ConnectSchema = {
      ...message.schema,
      fields: message.schema.fields?.map((f) => (f.field === 'before' || f.field === 'after' ? { ...addColumn(f), field: f.field } : f)),
    };
    const payload = { ...(message.payload as Record<string, unknown>) };
    for (const side of ['before', 'after'] as const) {
      const row = payload[side] as Record<string, unknown> | null;
      if (row) payload[side] = { ...row, updated_at: micros[side] };
    }
    return { schema, payload };
  };
  const create = read('customers-create.json');
  const update = read('customers-update.json');
  const remove = read('customers-delete.json');
  const tombstone = read('customers-tombstone.json');
  // A second customer: the first's create with another id, e-mail and a balance of 12345678.91.
  const second = JSON.parse(JSON.stringify(create)) as { key: Message; value: Message };
  (second.key.payload as Record<string, unknown>).id = 2;
  const after = (second.value.payload as { after: Record<string, unknown>; source: Record<string, unknown> }).after;
  Object.assign(after, { id: 2, email: ' B@Example.COM ', balance: Buffer.from(1234567891n.toString(16).padStart(10, '0'), 'hex').toString('base64') });
  (second.value.payload as { source: Record<string, unknown> }).source.lsn = 22197500;
  return [
    { key: create.key, value: withTimestamp(create.value!, { after: 1714557600123456 }) },
    { key: second.key, value: withTimestamp(second.value, { after: 1714557601000001 }) },
    { key: update.key, value: withTimestamp(update.value!, { before: 1714557600123456, after: 1714557700654321 }) },
    { key: remove.key, value: withTimestamp(remove.value!, { before: 1714557700654321 }) },
    { key: tombstone.key, value: null },
  ];
}

/** MongoDB 2.x order changes (`after` / `updatedFields` as Extended JSON strings) with the connector's Connect schema. */
export function mongoChanges(): Change[] {
  const json = { type: 'string', optional: true, name: 'io.debezium.data.Json', version: 1 };
  const schema: ConnectSchema = {
    type: 'struct',
    name: 'shop.shop.orders.Envelope',
    fields: [
      { ...json, field: 'before' },
      { ...json, field: 'after' },
      {
        type: 'struct',
        optional: true,
        name: 'io.debezium.connector.mongodb.changestream.updatedescription',
        version: 1,
        field: 'updateDescription',
        fields: [
          { type: 'array', optional: true, items: { type: 'string' }, field: 'removedFields' },
          { ...json, field: 'updatedFields' },
        ],
      },
      {
        type: 'struct',
        name: 'io.debezium.connector.mongo.Source',
        field: 'source',
        fields: [
          { type: 'string', field: 'version' },
          { type: 'string', field: 'connector' },
          { type: 'string', field: 'name' },
          { type: 'int64', field: 'ts_ms' },
          {
            type: 'string',
            optional: true,
            name: 'io.debezium.data.Enum',
            version: 1,
            parameters: { allowed: 'true,last,false,incremental' },
            field: 'snapshot',
          },
          { type: 'string', field: 'db' },
          { type: 'string', field: 'collection' },
          { type: 'int32', field: 'ord' },
        ],
      },
      { type: 'string', optional: true, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
    ],
  };
  const keySchema: ConnectSchema = { type: 'struct', name: 'shop.shop.orders.Key', fields: [{ type: 'string', field: 'id' }] };
  const change = (id: string, op: string, ts: number, ord: number, docs: { after?: unknown; updatedFields?: unknown }): Change => ({
    key: { schema: keySchema, payload: { id: JSON.stringify({ $oid: id }) } },
    value: {
      schema,
      payload: {
        before: null,
        after: docs.after === undefined ? null : JSON.stringify({ _id: { $oid: id }, ...(docs.after as object) }),
        updateDescription: docs.updatedFields === undefined ? null : { removedFields: null, updatedFields: JSON.stringify(docs.updatedFields) },
        source: { version: '2.7.3.Final', connector: 'mongodb', name: 'shop', ts_ms: ts, snapshot: 'false', db: 'shop', collection: 'orders', ord },
        op,
        ts_ms: ts + 3,
      },
    },
  });
  const a = '65f0c0ffee00000000000001';
  const b = '65f0c0ffee00000000000002';
  return [
    change(a, 'c', 1714557600000, 1, { after: { orderId: 1001, customer: { email: 'Ann@Example.com' }, items: [{ sku: 'S-1' }, { sku: 'S-2' }] } }),
    change(b, 'c', 1714557600000, 2, { after: { orderId: 1002, customer: { email: 'Bob@Example.com' }, items: [] } }),
    change(a, 'u', 1714557660000, 1, { updatedFields: { 'customer.email': 'ANN@new.example.com', items: [{ sku: 'S-3' }] } }),
  ];
}

/** A change as the JSON converter writes it (`schemas.enable=true`). */
export function asJson(change: Change): { key: string; value: string | null } {
  return { key: toJsonText(change.key), value: change.value === null ? null : toJsonText(change.value) };
}

/**
 * A registry client library nobody here wrote, pointed at a registry API (canonql's own) with
 * Basic credentials: Avro longs as BigInt (what the Connect Avro converter's int64 needs), and the
 * canonical schemas' JSON Schema 2020-12 known to its validator.
 */
export function registryClient(url: string, credentials: { username: string; password: string }): SchemaRegistry {
  return new SchemaRegistry(
    { host: url, auth: credentials },
    {
      [SchemaType.AVRO]: { wrapUnions: true, typeHook: bigintLongs },
      [SchemaType.JSON]: { ajvInstance: addFormats(new Ajv2020({ strict: false })) },
    },
  );
}

/**
 * Writes changes as Kafka Connect's Avro or JSON Schema converter does: each message's writer
 * schema registered under `<topic>-key|value` (once per schema), the message serialized with its
 * id by the client. `idOf` tells the id registered for a topic's part and message schema.
 */
export function registryWriter(client: SchemaRegistry, format: 'avro' | 'json-schema') {
  const registered = new Map<string, number>();
  const writerSchema = (message: Message) => JSON.stringify(format === 'avro' ? avroSchemaOf(message.schema) : jsonSchemaOf(message.schema));
  const encode = async (topic: string, part: 'key' | 'value', message: Message): Promise<Buffer> => {
    const schema = writerSchema(message);
    let id = registered.get(`${topic}-${part}:${schema}`);
    if (id === undefined) {
      const type = format === 'avro' ? SchemaType.AVRO : SchemaType.JSON;
      id = (await client.register({ type, schema }, { subject: `${topic}-${part}` })).id;
      registered.set(`${topic}-${part}:${schema}`, id);
    }
    const value = format === 'avro' ? avroValueOf(message.schema, message.payload) : jsonSchemaValueOf(message.schema, message.payload);
    return client.encode(id, value as object);
  };
  return {
    async write(topic: string, change: Change): Promise<{ key: Buffer; value: Buffer | null }> {
      return { key: await encode(topic, 'key', change.key), value: change.value === null ? null : await encode(topic, 'value', change.value) };
    },
    idOf(topic: string, part: 'key' | 'value', message: Message): number | undefined {
      return registered.get(`${topic}-${part}:${writerSchema(message)}`);
    },
  };
}

/** A subject's stored state, by key: data, version and deleted flag. */
export async function storedStateOf(db: Db, subject: string) {
  return (await db.collection(`state_${subject}`).find({}).sort({ _id: 1 }).toArray()).map((doc) => ({
    _id: doc._id,
    data: doc.data,
    version: doc._meta.version,
    deleted: doc._meta.deleted,
  }));
}

/**
 * Expects two databases that ingested these same changes (one as registry-encoded records, the
 * other as JSON or another format) to hold the same canonical state, and that state to be what the
 * changes make: the exact decimal and the MicroTimestamp as an ISO instant, the orders with the
 * canonical schema's defaults (currency and created_by).
 */
export async function expectStateOfTheseChanges(encoded: Db, twin: Db): Promise<void> {
  const customers = await storedStateOf(encoded, 'customer');
  expect(customers).toEqual(await storedStateOf(twin, 'customer'));
  expect(customers).toEqual([
    expect.objectContaining({
      _id: '1',
      version: 3,
      deleted: true,
      data: expect.objectContaining({ balance: '11.00', updatedAt: '2024-05-01T10:01:40.654321Z' }),
    }),
    expect.objectContaining({
      _id: '2',
      version: 1,
      deleted: false,
      data: expect.objectContaining({ balance: '12345678.91', email: 'b@example.com', updatedAt: '2024-05-01T10:00:01.000001Z' }),
    }),
  ]);
  const orders = await storedStateOf(encoded, 'order');
  expect(orders).toEqual(await storedStateOf(twin, 'order'));
  expect(orders.map((o) => o.data)).toEqual([
    { order_id: '1001', customer: { email: 'ann@new.example.com' }, line_items: [{ sku: 'S-3' }], currency: 'USD', created_by: 'system' },
    { order_id: '1002', customer: { email: 'bob@example.com' }, line_items: [], currency: 'USD', created_by: 'system' },
  ]);
}
