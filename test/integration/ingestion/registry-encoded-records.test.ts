import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { MongoClient } from 'mongodb';
import { startApp, type App } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import {
  asJson,
  type Change,
  expectStateOfTheseChanges,
  type Message,
  mongoChanges,
  postgresChanges,
  registryClient,
  registryWriter,
  storedStateOf,
} from '../../support/debezium-connect-changes';
import { specFromFile } from '../../support/ingestion-harness';
import { freePort } from '../../support/resuming-subscriber';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { testLogger } from '../../support/test-logger';
import { waitFor } from '../../support/wait-for';

/**
 * Registry-encoded raw records on the real stack, no imitation registry: a registry client library
 * nobody here wrote, pointed at canonql's registry API (an api process), registers Avro writer
 * schemas and serializes Debezium envelopes (PostgreSQL rows with Decimal and MicroTimestamp
 * columns; MongoDB 2.x changes) to raw topics; an ingest process reads them through that registry.
 * A second ingest process reads the same changes written by the JSON converter. Both end with the
 * same canonical state. Then the failures: an unknown schema id, a record without the magic byte,
 * the registry stopped while records wait for a schema it has not served yet.
 */
const ADMIN = 'registry-records-admin-key-01';
const logger = testLogger('warn');

jest.setTimeout(240000);

describe('registry-encoded raw records', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const producer = kafka.producer();
  const admin = kafka.admin();
  const avroPrefix = `${uniqueName('avro')}.`;
  const jsonPrefix = `${uniqueName('json')}.`;
  const topics = (prefix: string) => ({ customers: `${prefix}public.customers`, orders: `${prefix}shop.orders` });
  const avroTopics = topics(avroPrefix);
  const jsonTopics = topics(jsonPrefix);
  const avroDb = uniqueName('registry_avro');
  // The api and ingest processes of the Avro side are one deployment: one store, one canonical topic prefix.
  const avroCanonicalPrefix = `${uniqueName('canonical')}.`;
  const jsonDb = uniqueName('registry_json');
  let port: number;
  let registryApp: App;
  let avroApp: App;
  let jsonApp: App;
  let mongo: MongoClient;
  let client: SchemaRegistry;

  const env = (database: string, prefix: string, extra: Record<string, string>) => {
    const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    const t = topics(prefix);
    fs.writeFileSync(path.join(specsDir, 'customer.json'), JSON.stringify(specFromFile('customer.json', t.customers)));
    fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', t.orders)));
    return {
      ...process.env,
      CANONQL_MODE: 'test',
      CANONQL_HTTP_PORT: '0',
      MONGODB_DATABASE: database,
      CANONQL_ADMIN_KEYS: ADMIN,
      CANONQL_SPECS_DIR: specsDir,
      CANONQL_INGEST_GROUP_ID: uniqueName('registry-ingest'),
      CANONQL_DEADLETTER_TOPIC: uniqueName('registry-deadletter'),
      CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
      CANONQL_INGEST_FROM_BEGINNING: 'true',
      CANONQL_CATALOG_POLL_MS: '200',
      CANONQL_DEMO_FEED: 'false',
      CANONQL_METRICS: 'false',
      ...extra,
    };
  };
  const startRegistry = () =>
    startApp(
      loadConfig(
        env(avroDb, avroPrefix, {
          CANONQL_ROLES: 'api',
          CANONQL_HTTP_PORT: String(port),
          CANONQL_HTTP_HOST: '127.0.0.1',
          CANONQL_CANONICAL_TOPIC_PREFIX: avroCanonicalPrefix,
          CANONQL_WIRE_FORMAT_SUBJECTS: 'customer',
        }),
      ),
      logger,
    );

  const produce = async (topic: string, messages: { key: Buffer | string; value: Buffer | string | null }[]) => {
    await producer.send({ topic, acks: -1, messages });
  };
  let writer: ReturnType<typeof registryWriter>;
  const asAvro = (topic: string, change: Change) => writer.write(topic, change);
  const outcomes = (app: App) => Object.values(app.ingestion!.stats.outcomes).reduce((a, b) => a + b, 0);
  const deadLetters = async (topic: string) =>
    (await mongo.db(avroDb).collection('dead_letters').find({ topic }).sort({ offset: 1 }).toArray()).map((d) => ({ offset: d.offset, code: d.code }));

  beforeAll(async () => {
    port = await freePort();
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    leftovers.add(() => mongo.db(avroDb).dropDatabase());
    leftovers.add(() => mongo.db(jsonDb).dropDatabase());
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    registryApp = await startRegistry();
    leftovers.add(() => registryApp.stop());
    avroApp = await startApp(
      loadConfig(
        env(avroDb, avroPrefix, {
          CANONQL_ROLES: 'ingest',
          CANONQL_RECORD_FORMATS: `${avroPrefix}*=avro`,
          CANONQL_SOURCE_REGISTRY_URL: `http://127.0.0.1:${port}/registry`,
          CANONQL_SOURCE_REGISTRY_USER_INFO: `canonql:${ADMIN}`,
          // Long enough to outlast the registry's restart below (backoff up to 4 s between tries).
          CANONQL_SOURCE_REGISTRY_ATTEMPTS: '30',
          CANONQL_SOURCE_REGISTRY_TIMEOUT_MS: '2000',
          CANONQL_CANONICAL_TOPIC_PREFIX: avroCanonicalPrefix,
          CANONQL_WIRE_FORMAT_SUBJECTS: 'customer',
        }),
      ),
      logger,
    );
    leftovers.add(() => avroApp.stop());
    jsonApp = await startApp(loadConfig(env(jsonDb, jsonPrefix, { CANONQL_ROLES: 'ingest' })), logger);
    leftovers.add(() => jsonApp.stop());
    client = registryClient(`http://127.0.0.1:${port}/registry`, { username: 'canonql', password: ADMIN });
    writer = registryWriter(client, 'avro');
  });
  afterAll(() => leftovers.dispose());

  it('gives the same canonical state from Avro records read through the registry as from their JSON converter twins', async () => {
    const pg = postgresChanges();
    const mongoOrders = mongoChanges();
    await produce(jsonTopics.customers, pg.map(asJson));
    await produce(jsonTopics.orders, mongoOrders.map(asJson));
    const avroCustomers = [];
    for (const change of pg) avroCustomers.push(await asAvro(avroTopics.customers, change));
    const avroOrders = [];
    for (const change of mongoOrders) avroOrders.push(await asAvro(avroTopics.orders, change));
    await produce(avroTopics.customers, avroCustomers);
    await produce(avroTopics.orders, avroOrders);
    // The records are in the wire format: magic byte 0, then the id the registry gave.
    expect(avroCustomers[0]!.value![0]).toBe(0);
    expect(avroCustomers[0]!.value!.readInt32BE(1)).toBe(writer.idOf(avroTopics.customers, 'value', pg[0]!.value!));

    const total = pg.length + mongoOrders.length;
    await waitFor('both ingest processes done', () => outcomes(jsonApp) >= total && outcomes(avroApp) >= total, { timeoutMs: 120000, intervalMs: 200 });
    expect(avroApp.ingestion!.stats.outcomes).toEqual(jsonApp.ingestion!.stats.outcomes);
    expect(avroApp.ingestion!.stats.outcomes['dead-lettered'] ?? 0).toBe(0);

    // What the state holds: the exact decimal and the MicroTimestamp as an ISO instant, from both formats.
    await expectStateOfTheseChanges(mongo.db(avroDb), mongo.db(jsonDb));

    // Discovery profiled the Avro records and recorded the writer schema ids with the inferred version.
    const versions = await waitFor('a raw-schema version of the Avro topic', async () => {
      const found = await mongo.db(avroDb).collection('discovery_versions').find({ topic: avroTopics.customers }).toArray();
      return found.length > 0 ? found : undefined;
    });
    expect(versions[0]!.writerSchemaIds).toEqual(expect.arrayContaining([avroCustomers[0]!.value!.readInt32BE(1)]));
  });

  it('publishes the events of a wire-format subject so the same client reads them back, with canonical schemas and compatibility', async () => {
    // The canonical schema, read back and checked by the client, from the registry the records went through.
    const customerId = await client.getLatestSchemaId('customer');
    // The client's compatibility call is on its REST resource object (`api`), which its typings keep private.
    const { api } = client as unknown as { api: { Subject: Record<'latestVersion' | 'compatible', (args: unknown) => Promise<{ data(): unknown }>> } };
    const customerSchema = (await api.Subject.latestVersion({ subject: 'customer' })).data() as { id: number; schema: string; schemaType: string };
    expect(customerSchema).toMatchObject({ id: customerId, schemaType: 'JSON' });
    const verdict = await api.Subject.compatible({ subject: 'customer', version: 'latest', body: { schemaType: 'JSON', schema: customerSchema.schema } });
    expect(verdict.data()).toEqual({ is_compatible: true });

    const eventSubject = `${avroCanonicalPrefix}customer-value`;
    const eventId = await client.getLatestSchemaId(eventSubject);
    expect(eventId).not.toBe(customerId);
    // Read-only: the event schema follows the canonical subject.
    await expect(client.register({ type: SchemaType.JSON, schema: '{"type": "object"}' }, { subject: eventSubject })).rejects.toMatchObject({ status: 422 });

    const consumer = kafka.consumer({ groupId: uniqueName('wire-events') });
    const values: Buffer[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: `${avroCanonicalPrefix}customer`, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!) });
    try {
      await waitFor('the customer events', () => values.length >= 4, { timeoutMs: 60000 });
    } finally {
      await consumer.disconnect();
    }
    expect(values.every((value) => value[0] === 0 && value.readInt32BE(1) === eventId)).toBe(true);
    // The client fetches the event schema by id and validates every event against it while decoding.
    const events = (
      (await Promise.all(values.map((value) => client.decode(value)))) as { key: string; version: number; op: string; after: Record<string, unknown> | null }[]
    )
      // Ordered per key only (the canonical topic has several partitions).
      .sort((a, b) => a.key.localeCompare(b.key) || a.version - b.version);
    expect(events.map((e) => [e.key, e.op])).toEqual([
      ['1', 'CREATE'],
      ['1', 'UPDATE'],
      ['1', 'DELETE'],
      ['2', 'CREATE'],
    ]);
    expect(events[1]!.after).toEqual((await storedStateOf(mongo.db(avroDb), 'customer'))[0]!.data);
  });

  it('dead-letters an unknown schema id and a record without the magic byte with their own codes, and goes on', async () => {
    const before = outcomes(avroApp);
    const good = await asAvro(avroTopics.orders, mongoChanges()[1]!);
    const unknownId = Buffer.concat([Buffer.from([0, 0, 0x0f, 0x42, 0x3f]), good.value!.subarray(5)]);
    const base = (await admin.fetchTopicOffsets(avroTopics.orders))[0]!.high;
    await produce(avroTopics.orders, [
      { key: good.key, value: unknownId },
      { key: good.key, value: JSON.stringify({ schema: null, payload: { op: 'c' } }) },
      { key: good.key, value: Buffer.from([1, 0, 0, 0, 1, 2]) },
      { key: good.key, value: good.value },
    ]);
    await waitFor('four more outcomes', () => outcomes(avroApp) >= before + 4, { timeoutMs: 60000, intervalMs: 200 });
    const letters = await waitFor('three dead letters', async () => {
      const found = (await deadLetters(avroTopics.orders)).filter((d) => BigInt(d.offset) >= BigInt(base));
      return found.length === 3 ? found : undefined;
    });
    const at = (n: number) => String(BigInt(base) + BigInt(n));
    expect(letters).toEqual([
      { offset: at(0), code: 'SCHEMA_ID_UNKNOWN' },
      { offset: at(1), code: 'WIRE_FORMAT_INVALID' },
      { offset: at(2), code: 'WIRE_FORMAT_INVALID' },
    ]);
  });

  it('waits for a registry stopped mid-stream, then reads on: nothing lost, nothing dead-lettered', async () => {
    // A new writer schema (an optional column more), registered while the registry is up, first
    // needed by ingestion while it is down.
    const [create] = postgresChanges();
    const widened: Message = {
      schema: {
        ...create!.value!.schema,
        fields: create!.value!.schema.fields?.map((f) =>
          f.field === 'after' || f.field === 'before' ? { ...f, fields: [...(f.fields ?? []), { type: 'string', optional: true, field: 'tier' }] } : f,
        ),
      },
      payload: {
        ...(create!.value!.payload as Record<string, unknown>),
        after: { ...((create!.value!.payload as { after: Record<string, unknown> }).after ?? {}), id: 3, email: 'c@x.io', tier: 'gold' },
        source: { ...(create!.value!.payload as { source: Record<string, unknown> }).source, lsn: 22198000 },
      },
    };
    const key: Message = { ...create!.key, payload: { id: 3 } };
    const records = [await asAvro(avroTopics.customers, { key, value: widened })];
    const before = outcomes(avroApp);
    const lettersBefore = (await deadLetters(avroTopics.customers)).length;
    await registryApp.stop();
    await produce(avroTopics.customers, records);
    // Ingestion is now retrying the schema it cannot read; the registry comes back on its address.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(outcomes(avroApp)).toBe(before);
    registryApp = await startRegistry();
    await waitFor('the record applied once the registry is back', () => outcomes(avroApp) >= before + 1, { timeoutMs: 120000, intervalMs: 200 });
    expect(avroApp.ingestion!.stats.outcomes['dead-lettered'] ?? 0).toBe(3);
    expect((await deadLetters(avroTopics.customers)).length).toBe(lettersBefore);
    const stored = await mongo
      .db(avroDb)
      .collection('state_customer')
      .findOne({ _id: '3' as never });
    expect(stored?.data).toEqual(expect.objectContaining({ customerId: '3', email: 'c@x.io', tier: 'GOLD' }));
  });
});
