import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { registryWriter, mongoChanges, postgresChanges, registryClient } from '../../support/debezium-connect-changes';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { specFromFile } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * Two source registries for one ingest process: the customers topic's writer schemas live in the
 * default registry (CANONQL_SOURCE_REGISTRY_*, Basic credentials), the orders topic's in a second
 * one named for that topic (CANONQL_SOURCE_REGISTRIES, a bearer token the first registry does not
 * know). Both are canonql registry APIs with stores of their own, so they number their schemas
 * alike: the same ids name different schemas, and each topic must be read through its own.
 */
jest.setTimeout(240000);

const OTHER_KEY = 'registry-per-topic-other-key';

describe('a source registry per topic', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const producer = kafka.producer();
  const prefix = `${uniqueName('per-registry')}.`;
  const customersTopic = `${prefix}public.customers`;
  const ordersTopic = `${prefix}shop.orders`;
  let mongo: MongoClient;
  let defaultRegistry: AppUnderTest;
  let ordersRegistry: AppUnderTest;
  let ingest: AppUnderTest;

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    defaultRegistry = await startAppUnderTest('registry-per-topic-default', { CANONQL_ROLES: 'api' });
    leftovers.add(() => mongo.db(defaultRegistry.database).dropDatabase());
    leftovers.add(() => defaultRegistry.stop());
    ordersRegistry = await startAppUnderTest('registry-per-topic-orders', { CANONQL_ROLES: 'api', CANONQL_ADMIN_KEYS: OTHER_KEY });
    leftovers.add(() => mongo.db(ordersRegistry.database).dropDatabase());
    leftovers.add(() => ordersRegistry.stop());
  });
  afterAll(() => leftovers.dispose());

  it('reads each topic through the registry configured for it, with its own credentials and ids', async () => {
    const customers = registryWriter(registryClient(`${defaultRegistry.app.url}/registry`, { username: 'canonql', password: TEST_ADMIN_KEY }), 'avro');
    const orders = registryWriter(registryClient(`${ordersRegistry.app.url}/registry`, { username: 'canonql', password: OTHER_KEY }), 'avro');
    const pg = postgresChanges();
    const mongoOrders = mongoChanges();
    const customerRecords = [];
    for (const change of pg) customerRecords.push(await customers.write(customersTopic, change));
    const orderRecords = [];
    for (const change of mongoOrders) orderRecords.push(await orders.write(ordersTopic, change));
    // The same id in each registry, for two different schemas.
    expect(customers.idOf(customersTopic, 'value', pg[0]!.value!)).toBe(orders.idOf(ordersTopic, 'value', mongoOrders[0]!.value!));
    await producer.send({ topic: customersTopic, acks: -1, messages: customerRecords });
    await producer.send({ topic: ordersTopic, acks: -1, messages: orderRecords });

    const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    fs.writeFileSync(path.join(specsDir, 'customer.json'), JSON.stringify(specFromFile('customer.json', customersTopic)));
    fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', ordersTopic)));
    ingest = await startAppUnderTest('registry-per-topic-ingest', {
      CANONQL_ROLES: 'ingest',
      CANONQL_SPECS_DIR: specsDir,
      CANONQL_METRICS: 'false',
      CANONQL_INGEST_FROM_BEGINNING: 'true',
      CANONQL_RECORD_FORMATS: `${prefix}*=avro`,
      CANONQL_SOURCE_REGISTRY_URL: `${defaultRegistry.app.url}/registry`,
      CANONQL_SOURCE_REGISTRY_USER_INFO: `canonql:${TEST_ADMIN_KEY}`,
      CANONQL_SOURCE_REGISTRIES: JSON.stringify([{ topics: [ordersTopic], url: `${ordersRegistry.app.url}/registry`, bearerToken: OTHER_KEY }]),
      // A wrong registry would answer at once (401 or another schema): no need to wait through retries.
      CANONQL_SOURCE_REGISTRY_ATTEMPTS: '1',
    });
    leftovers.add(() => mongo.db(ingest.database).dropDatabase());
    leftovers.add(() => ingest.stop());
    const outcomes = () => Object.values(ingest.app.ingestion!.stats.outcomes).reduce((a, b) => a + b, 0);
    await waitFor('every record read', () => outcomes() >= pg.length + mongoOrders.length, { timeoutMs: 120000, intervalMs: 200 });
    expect(ingest.app.ingestion!.stats.outcomes['dead-lettered'] ?? 0).toBe(0);

    const state = async (subject: string) =>
      (await mongo.db(ingest.database).collection(`state_${subject}`).find({}).sort({ _id: 1 }).toArray()).map((doc) => ({
        id: doc._id,
        deleted: doc._meta.deleted,
        data: doc.data,
      }));
    expect(await state('customer')).toEqual([
      expect.objectContaining({ id: '1', deleted: true }),
      expect.objectContaining({ id: '2', deleted: false, data: expect.objectContaining({ balance: '12345678.91', email: 'b@example.com' }) }),
    ]);
    expect((await state('order')).map((o) => o.data)).toEqual([
      { order_id: '1001', customer: { email: 'ann@new.example.com' }, line_items: [{ sku: 'S-3' }], currency: 'USD', created_by: 'system' },
      { order_id: '1002', customer: { email: 'bob@example.com' }, line_items: [], currency: 'USD', created_by: 'system' },
    ]);
  });
});
