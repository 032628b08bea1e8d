import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { localTlsFiles } from '../../../infra/stack/kafka-tls';
import { stackPaths } from '../../../infra/stack/stack-config';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { mongoChanges, postgresChanges, registryClient, registryWriter } from '../../support/debezium-connect-changes';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { specFromFile } from '../../support/ingestion-harness';
import { createLeftovers, testConfig, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * A source registry over real TLS with a private CA: an HTTPS server in front of canonql's
 * registry API (an api process), presenting the local stack's server certificate (signed by the
 * stack's CA, infra/stack/kafka-tls.ts). Avro records of two topics, the customers topic read
 * through the default registry (CANONQL_SOURCE_REGISTRY_CA_FILE), the orders topic through an
 * entry of CANONQL_SOURCE_REGISTRIES (its caFile). Two ingest processes read them: one trusts the
 * stack's CA for the default registry and a CA that signed nothing for the entry, the other the
 * reverse. Each applies the topic whose CA is right and dead-letters the other's records with
 * SCHEMA_REGISTRY_TLS_FAILED naming the CA file, never a stall (that the client does not retry a
 * failed TLS session is test/unit/infra/schema-registry-client.test.ts's).
 */
const describeLocal = testConfig.usesLocalStack ? describe : describe.skip;

jest.setTimeout(240000);

describeLocal('a source registry over https with its own CA', () => {
  const tls = localTlsFiles(stackPaths());
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const producer = kafka.producer();
  const prefix = `${uniqueName('tls-registry')}.`;
  const customersTopic = `${prefix}public.customers`;
  const ordersTopic = `${prefix}shop.orders`;
  let mongo: MongoClient;
  let registry: AppUnderTest;
  let httpsUrl: string;
  /** Requests the HTTPS server forwarded (a request is forwarded only after a TLS session). */
  let forwarded = 0;
  /** TLS handshakes the server saw fail (the client refusing its certificate). */
  let refusedHandshakes = 0;

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    registry = await startAppUnderTest('registry-over-tls', { CANONQL_ROLES: 'api' });
    leftovers.add(() => mongo.db(registry.database).dropDatabase());
    leftovers.add(() => registry.stop());

    // The HTTPS front of the registry API: every request forwarded as it is (path, method,
    // headers, body) to the api process's plain HTTP port.
    const upstream = new URL(registry.app.url);
    const server = https.createServer({ cert: fs.readFileSync(tls.serverCertFile), key: fs.readFileSync(tls.serverKeyFile) }, (request, response) => {
      forwarded += 1;
      const proxied = http.request(
        { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: { ...request.headers, host: upstream.host } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      proxied.on('error', (error) => response.destroy(error));
      request.pipe(proxied);
    });
    server.on('tlsClientError', () => {
      refusedHandshakes += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    leftovers.add(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    httpsUrl = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}/registry`;
  });
  afterAll(() => leftovers.dispose());

  /** An ingest process reading both topics: the default registry and the orders entry each trusting the CA given. */
  const startIngest = async (name: string, ca: { default: string; orders: string }) => {
    const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    fs.writeFileSync(path.join(specsDir, 'customer.json'), JSON.stringify(specFromFile('customer.json', customersTopic)));
    fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', ordersTopic)));
    const ingest = await startAppUnderTest(name, {
      CANONQL_ROLES: 'ingest',
      CANONQL_SPECS_DIR: specsDir,
      CANONQL_METRICS: 'false',
      CANONQL_INGEST_FROM_BEGINNING: 'true',
      CANONQL_DEADLETTER_TOPIC: uniqueName(`${name}-deadletter`),
      CANONQL_RECORD_FORMATS: `${prefix}*=avro`,
      CANONQL_SOURCE_REGISTRY_URL: httpsUrl,
      CANONQL_SOURCE_REGISTRY_USER_INFO: `canonql:${TEST_ADMIN_KEY}`,
      CANONQL_SOURCE_REGISTRY_CA_FILE: ca.default,
      CANONQL_SOURCE_REGISTRIES: JSON.stringify([{ topics: [ordersTopic], url: httpsUrl, bearerToken: TEST_ADMIN_KEY, caFile: ca.orders }]),
    });
    leftovers.add(() => mongo.db(ingest.database).dropDatabase());
    leftovers.add(() => ingest.stop());
    return ingest;
  };
  const outcomes = (app: AppUnderTest) => Object.values(app.app.ingestion!.stats.outcomes).reduce((a, b) => a + b, 0);
  const state = async (app: AppUnderTest, subject: string) =>
    (await mongo.db(app.database).collection(`state_${subject}`).find({}).sort({ _id: 1 }).toArray()).map((doc) => ({
      id: doc._id,
      deleted: doc._meta.deleted,
      data: doc.data,
    }));
  const deadLetters = async (app: AppUnderTest, topic: string) =>
    (await mongo.db(app.database).collection('dead_letters').find({ topic }).sort({ offset: 1 }).toArray()).map((d) => ({
      offset: d.offset as string,
      code: d.code as string,
      message: d.message as string,
    }));
  const expectedCustomers = [
    expect.objectContaining({ id: '1', deleted: true }),
    expect.objectContaining({ id: '2', deleted: false, data: expect.objectContaining({ balance: '12345678.91', email: 'b@example.com' }) }),
  ];
  const expectedOrders = [
    { order_id: '1001', customer: { email: 'ann@new.example.com' }, line_items: [{ sku: 'S-3' }], currency: 'USD', created_by: 'system' },
    { order_id: '1002', customer: { email: 'bob@example.com' }, line_items: [], currency: 'USD', created_by: 'system' },
  ];

  it('decodes the records of the registry whose CA is trusted and dead-letters the others with SCHEMA_REGISTRY_TLS_FAILED', async () => {
    // The writer schemas are registered over plain HTTP, straight at the api process.
    const writer = registryWriter(registryClient(`${registry.app.url}/registry`, { username: 'canonql', password: TEST_ADMIN_KEY }), 'avro');
    const pg = postgresChanges();
    const mongoOrders = mongoChanges();
    const customerRecords = [];
    for (const change of pg) customerRecords.push(await writer.write(customersTopic, change));
    const orderRecords = [];
    for (const change of mongoOrders) orderRecords.push(await writer.write(ordersTopic, change));
    await producer.send({ topic: customersTopic, acks: -1, messages: customerRecords });
    await producer.send({ topic: ordersTopic, acks: -1, messages: orderRecords });
    const total = pg.length + mongoOrders.length;

    const defaultTrusted = await startIngest('tls-registry-default-ca', { default: tls.caFile, orders: tls.untrustedCaFile });
    const entryTrusted = await startIngest('tls-registry-entry-ca', { default: tls.untrustedCaFile, orders: tls.caFile });
    await waitFor('every record read by both processes', () => outcomes(defaultTrusted) >= total && outcomes(entryTrusted) >= total, {
      timeoutMs: 120000,
      intervalMs: 200,
    });

    // The trusted side went through TLS to the registry; the other side's handshakes were refused.
    expect(forwarded).toBeGreaterThan(0);
    expect(refusedHandshakes).toBeGreaterThan(0);

    // Process-wide CA trusted: the customers applied; the orders entry's CA signed nothing.
    expect(await state(defaultTrusted, 'customer')).toEqual(expectedCustomers);
    expect(await state(defaultTrusted, 'order')).toEqual([]);
    expect(defaultTrusted.app.ingestion!.stats.outcomes['dead-lettered']).toBe(mongoOrders.length);
    const orderLetters = await deadLetters(defaultTrusted, ordersTopic);
    expect(orderLetters.map((l) => l.code)).toEqual(mongoOrders.map(() => 'SCHEMA_REGISTRY_TLS_FAILED'));
    expect(orderLetters[0]!.message).toContain(`the CA file ${tls.untrustedCaFile}`);
    expect(mongoOrders.every((change) => change.value !== null)).toBe(true);
    expect(await deadLetters(defaultTrusted, customersTopic)).toEqual([]);

    // The entry's CA trusted: the orders applied; the process-wide CA signed nothing.
    expect((await state(entryTrusted, 'order')).map((o) => o.data)).toEqual(expectedOrders);
    expect(await state(entryTrusted, 'customer')).toEqual([]);
    // A tombstone (no value) is skipped as it always is, without its key's schema.
    const customerChanges = pg.filter((change) => change.value !== null);
    expect(customerChanges.length).toBe(pg.length - 1);
    expect(entryTrusted.app.ingestion!.stats.outcomes['dead-lettered']).toBe(customerChanges.length);
    const customerLetters = await deadLetters(entryTrusted, customersTopic);
    expect(customerLetters.map((l) => l.code)).toEqual(customerChanges.map(() => 'SCHEMA_REGISTRY_TLS_FAILED'));
    expect(customerLetters[0]!.message).toMatch(/^.*schema registry https:\/\/127\.0\.0\.1:\d+\/registry\/: no TLS session \(.+\)/);
    expect(customerLetters[0]!.message).toContain(`the CA file ${tls.untrustedCaFile}`);
    expect(await deadLetters(entryTrusted, ordersTopic)).toEqual([]);
  });
});
