import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import type { App } from '../../../src/app';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { asJson, expectStateOfTheseChanges, mongoChanges, postgresChanges, registryClient, registryWriter } from '../../support/debezium-connect-changes';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { specFromFile } from '../../support/ingestion-harness';
import { freePort } from '../../support/resuming-subscriber';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * JSON Schema records in the registry wire format on the real stack: a registry client library
 * nobody here wrote, pointed at canonql's registry API, registers the JSON Schema converter's
 * writer schemas and serializes Debezium envelopes (PostgreSQL rows with Decimal and
 * MicroTimestamp columns, MongoDB 2.x changes) to raw topics; canonql (ingest and api in one
 * process, reading writer schemas from its own registry) decodes them. A second process reads the
 * same changes written by the JSON converter, and both end with the same canonical state.
 */
jest.setTimeout(240000);

describe('JSON Schema registry-encoded raw records', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const producer = kafka.producer();
  const topics = (prefix: string) => ({ customers: `${prefix}public.customers`, orders: `${prefix}shop.orders` });
  const jsonSchemaPrefix = `${uniqueName('jsonschema')}.`;
  const jsonPrefix = `${uniqueName('json')}.`;
  let mongo: MongoClient;
  let registered: AppUnderTest;
  let twin: AppUnderTest;
  /** The id of the customers' value writer schema, registered by the first test. */
  let firstValueId = -1;

  const specsFor = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    fs.writeFileSync(path.join(dir, 'customer.json'), JSON.stringify(specFromFile('customer.json', topics(prefix).customers)));
    fs.writeFileSync(path.join(dir, 'order.json'), JSON.stringify(specFromFile('order.json', topics(prefix).orders)));
    return dir;
  };

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    const port = await freePort();
    registered = await startAppUnderTest('json-schema-records', {
      CANONQL_HTTP_PORT: String(port),
      CANONQL_HTTP_HOST: '127.0.0.1',
      CANONQL_SPECS_DIR: specsFor(jsonSchemaPrefix),
      CANONQL_METRICS: 'false',
      CANONQL_INGEST_FROM_BEGINNING: 'true',
      CANONQL_RECORD_FORMATS: `${jsonSchemaPrefix}*=json-schema`,
      CANONQL_SOURCE_REGISTRY_URL: `http://127.0.0.1:${port}/registry`,
      CANONQL_SOURCE_REGISTRY_USER_INFO: `canonql:${TEST_ADMIN_KEY}`,
    });
    leftovers.add(() => mongo.db(registered.database).dropDatabase());
    leftovers.add(() => registered.stop());
    twin = await startAppUnderTest('json-schema-twin', {
      CANONQL_ROLES: 'ingest',
      CANONQL_SPECS_DIR: specsFor(jsonPrefix),
      CANONQL_METRICS: 'false',
      CANONQL_INGEST_FROM_BEGINNING: 'true',
    });
    leftovers.add(() => mongo.db(twin.database).dropDatabase());
    leftovers.add(() => twin.stop());
  });
  afterAll(() => leftovers.dispose());

  const outcomes = (app: App) => Object.values(app.ingestion!.stats.outcomes).reduce((a, b) => a + b, 0);

  it('gives the same canonical state from JSON Schema records read through the registry as from their JSON converter twins', async () => {
    const client = registryClient(`${registered.app.url}/registry`, { username: 'canonql', password: TEST_ADMIN_KEY });
    const writer = registryWriter(client, 'json-schema');
    const pg = postgresChanges();
    const orders = mongoChanges();
    const [encoded, plain] = [topics(jsonSchemaPrefix), topics(jsonPrefix)];
    const customerRecords = [];
    for (const change of pg) customerRecords.push(await writer.write(encoded.customers, change));
    const orderRecords = [];
    for (const change of orders) orderRecords.push(await writer.write(encoded.orders, change));
    await producer.send({ topic: encoded.customers, acks: -1, messages: customerRecords });
    await producer.send({ topic: encoded.orders, acks: -1, messages: orderRecords });
    await producer.send({ topic: plain.customers, acks: -1, messages: pg.map(asJson) });
    await producer.send({ topic: plain.orders, acks: -1, messages: orders.map(asJson) });
    // The wire format, with the id the registry gave the JSON Schema, and the value as JSON text.
    const valueId = writer.idOf(encoded.customers, 'value', pg[0]!.value!)!;
    firstValueId = valueId;
    expect([customerRecords[0]!.value![0], customerRecords[0]!.value!.readInt32BE(1)]).toEqual([0, valueId]);
    expect(JSON.parse(customerRecords[0]!.value!.subarray(5).toString('utf8'))).toMatchObject({ op: 'c', after: { id: 1, balance: 10.5 } });
    const writerSchema = await fetch(`${registered.app.url}/registry/schemas/ids/${valueId}`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    }).then((response) => response.json() as Promise<{ schemaType?: string }>);
    expect(writerSchema.schemaType).toBe('JSON');

    const total = pg.length + orders.length;
    await waitFor('both ingest processes done', () => outcomes(registered.app) >= total && outcomes(twin.app) >= total, {
      timeoutMs: 120000,
      intervalMs: 200,
    });
    expect(registered.app.ingestion!.stats.outcomes).toEqual(twin.app.ingestion!.stats.outcomes);
    expect(registered.app.ingestion!.stats.outcomes['dead-lettered'] ?? 0).toBe(0);

    await expectStateOfTheseChanges(mongo.db(registered.database), mongo.db(twin.database));
  });

  it('shows the writer schema ids of each raw schema version, also those of a new writer schema that leaves the shape as it is', async () => {
    const client = registryClient(`${registered.app.url}/registry`, { username: 'canonql', password: TEST_ADMIN_KEY });
    const writer = registryWriter(client, 'json-schema');
    const topic = topics(jsonSchemaPrefix).customers;
    const [create] = postgresChanges();
    const versionsOf = async () =>
      (
        await registered.ok<{ catalog: { rawTopic: { versions: { version: number; writerSchemaIds: number[] }[] } | null } }>(
          'query($t: String!) { catalog { rawTopic(topic: $t) { versions { version writerSchemaIds } } } }',
          { t: topic },
        )
      ).catalog.rawTopic?.versions ?? [];
    // The records of the first test made the topic's versions; the ids of their writer schema are shown.
    const before = await waitFor('the versions of the first records', async () => {
      const found = await versionsOf();
      return found.some((v) => v.writerSchemaIds.includes(firstValueId)) ? found : undefined;
    });

    // The envelope's Connect version bumped: another writer schema (another id), the same fields.
    const payload = create!.value!.payload as { after: Record<string, unknown>; source: Record<string, unknown> };
    const customer4 = {
      key: { ...create!.key, payload: { id: 4 } },
      value: {
        schema: { ...create!.value!.schema, version: 3 },
        payload: { ...payload, after: { ...payload.after, id: 4, email: 'd@x.io' }, source: { ...payload.source, lsn: 22199000 } },
      },
    };
    const record = await writer.write(topic, customer4);
    const secondId = writer.idOf(topic, 'value', customer4.value!);
    expect(secondId).not.toBe(firstValueId);
    await producer.send({ topic, acks: -1, messages: [record] });
    const after = await waitFor('the new writer schema id on the latest version', async () => {
      const found = await versionsOf();
      return found.at(-1)?.writerSchemaIds.includes(secondId!) ? found : undefined;
    });
    // No new version: the id is added to the latest one, which keeps its others, ascending.
    expect(after.map((v) => v.version)).toEqual(before.map((v) => v.version));
    expect(after.at(-1)!.writerSchemaIds).toEqual([...new Set([...before.at(-1)!.writerSchemaIds, secondId!])].sort((a, b) => a - b));
  });
});
