import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { graphql, type GraphQLSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import type { Db, MongoClient } from 'mongodb';
import pino from 'pino';
import request from 'supertest';
import WebSocket from 'ws';
import { loadCanonicalSchemas } from '../../../src/catalog/canonical-schemas';
import { createSubjectCatalog } from '../../../src/catalog/subject-catalog';
import { createDiscoveryReader, type DiscoveryReader } from '../../../src/discovery/discovery-reader';
import { createProfiler, type Profiler } from '../../../src/discovery/profiler';
import { decodeRecord } from '../../../src/ingestion/debezium/decode-record';
import { createEventLog } from '../../../src/events/event-log';
import { createAccessPolicy } from '../../../src/graphql/access';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { createContext, type ApiServices } from '../../../src/graphql/context';
import { withRawSchemaDrift } from '../../../src/graphql/discovery/drift-subscription';
import { mountGraphqlEndpoint } from '../../../src/graphql/graphql-endpoint';
import { SchemaGateway } from '../../../src/graphql/schema-gateway';
import { createIngestion, type Ingestion } from '../../../src/ingestion/ingestion-service';
import { compileForPipeline } from '../../../src/ingestion/pipeline-spec';
import { createEntityStore } from '../../../src/state/entity-store';
import { mongoChange, oid, produce } from '../../support/debezium-messages';
import { specFromFile } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { testLogger } from '../../support/test-logger';

/**
 * Raw-schema discovery against the real stack: Debezium MongoDB-connector events whose documents
 * drift (fields appear, a type changes, a field disappears) go through the real ingestion with
 * the profiler; the inferred schema and statistics are compared with a hand count, the recorded
 * versions with the drift, and a graphql-ws subscriber receives each version as it is recorded.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const WINDOW = 5;
let tick = 0;
const event = (op: 'c' | 'u', k: number, doc: Record<string, unknown>) =>
  mongoChange({ op, id: { $oid: oid(k) }, tsMs: 1_700_000_000_000 + (tick += 1) * 10, ord: 1, after: doc });

// Stage 1: four orders (the fourth with no items).
const STAGE_1 = [1, 2, 3, 4].map((k) =>
  event('c', k, {
    orderId: `o-${k}`,
    customer: { email: `c${k}@x.io` },
    items: k === 4 ? [] : [{ sku: 'A', qty: k }],
    total: k * 10,
  }),
);
// Stage 2: `status` appears, one total arrives as a decimal string, one email is null.
const STAGE_2 = [1, 2, 3].map((k) =>
  event('u', k, {
    orderId: `o-${k}`,
    customer: { email: k === 3 ? null : `c${k}@x.io` },
    items: [
      { sku: 'B', qty: 1 },
      { sku: 'C', qty: 2 },
    ],
    total: k === 1 ? '12.50' : 20,
    status: 'paid',
  }),
);
// Stage 3: six orders without `customer` (more than the removal window), with `createdAt`.
const STAGE_3 = [5, 6, 7, 8, 9, 10].map((k) =>
  event('c', k, {
    orderId: `o-${k}`,
    items: [{ sku: 'A', qty: 1 }],
    total: 5,
    status: k % 2 === 0 ? 'paid' : 'new',
    createdAt: `2024-02-0${k - 4}T00:00:00Z`,
  }),
);

interface Drift {
  version: number;
  added: string[];
  removed: string[];
  typeChanged: { path: string; from: string[]; to: string[] }[];
}
const DRIFT = `subscription($topic: String!, $after: Int) {
  rawSchemaDrifted(topic: $topic, afterVersion: $after) { topic version sequence recordedAt added removed typeChanged { path from to } }
}`;

describe('raw-schema discovery on a drifting topic', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.discovery.orders');
  const leftovers = createLeftovers();
  let mongo: MongoClient;
  let db: Db;
  let profiler: Profiler;
  let ingestion: Ingestion;
  let reader: DiscoveryReader;
  let server: http.Server;
  let services: ApiServices;
  let apiSchema: GraphQLSchema;
  let wsUrl: string;
  let produced = 0;

  const query = async <T>(text: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await request(server).post('/graphql').set('content-type', 'application/json').send({ query: text, variables });
    const body = response.body as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  };
  const subscribe = (variables: Record<string, unknown>) => {
    const client: Client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    leftovers.add(async () => {
      await client.dispose();
    });
    const received: Drift[] = [];
    client.subscribe<{ rawSchemaDrifted: Drift & { topic: string } }>(
      { query: DRIFT, variables: { topic, ...variables } },
      {
        next: (value) => {
          if (value.data) received.push(value.data.rawSchemaDrifted);
        },
        error: (error) => {
          throw error;
        },
        complete: () => undefined,
      },
    );
    return received;
  };
  /** Produces a stage, waits until ingestion has read all of it, then flushes the profile. */
  const stage = async (messages: ReturnType<typeof event>[]) => {
    await produce(kafka, topic, messages);
    produced += messages.length;
    await waitFor(`${produced} records ingested`, () => Object.values(ingestion.stats.outcomes).reduce((a, b) => a + b, 0) >= produced, {
      timeoutMs: 60000,
      intervalMs: 50,
    });
    await profiler.flush();
  };

  beforeAll(async () => {
    mongo = await testMongo();
    db = mongo.db(uniqueName('discovery'));
    leftovers.add(async () => {
      await db.dropDatabase();
      await mongo.close();
    });
    const logger = testLogger('warn');
    const schemas = loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical'));
    // Explicit flushes only (flushMs far away), so each stage's drift is recorded on its own.
    profiler = createProfiler({ db, sampleRate: 1, flushMs: 600_000, samples: 5, removalWindow: WINDOW, logger });
    await profiler.start();
    leftovers.add(() => profiler.stop());
    ingestion = createIngestion({
      kafka,
      db,
      specs: [compileForPipeline(specFromFile('order.json', topic))],
      validate: (subject, doc) => schemas.get(subject)?.validate(doc) ?? [],
      groupId: uniqueName('discovery-group'),
      deadLetterTopic: uniqueName('deadletter'),
      canonicalPartitions: 1,
      canonicalTopicPrefix: `${uniqueName('canonical')}.`,
      fromBeginning: true,
      logger,
      observe: profiler.observe,
    });
    await ingestion.start();
    leftovers.add(() => ingestion.stop());

    // The API side reads only the store, as an API process separate from ingestion would.
    reader = createDiscoveryReader({ db, removalWindow: WINDOW, pollMs: 100 });
    const catalog = createSubjectCatalog(schemas.values());
    apiSchema = buildApiSchema(catalog.list(), withRawSchemaDrift(undefined, reader));
    const gateway = new SchemaGateway(apiSchema);
    const app = express();
    server = http.createServer(app);
    services = {
      catalog,
      db,
      store: createEntityStore(db),
      eventLog: createEventLog(db),
      maxPageSize: 100,
      access: createAccessPolicy([]),
      discovery: reader,
    };
    const endpoint = await mountGraphqlEndpoint({
      app,
      httpServer: server,
      path: '/graphql',
      gateway,
      logger,
      services,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    leftovers.add(async () => {
      await endpoint.stop();
      await new Promise((resolve) => server.close(resolve));
    });
    wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => leftovers.dispose());

  it('records a version per drift and delivers each to a subscriber', async () => {
    const live = subscribe({});
    await waitFor('the subscription to start polling', async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return true;
    });

    await stage(STAGE_1);
    await waitFor('version 1 delivered', () => live.length >= 1);
    await stage(STAGE_2);
    await waitFor('version 2 delivered', () => live.length >= 2);
    await stage(STAGE_3);
    await waitFor('version 3 delivered', () => live.length >= 3);

    expect(live).toEqual([
      expect.objectContaining({
        version: 1,
        removed: [],
        typeChanged: [],
        added: ['$._id', '$.customer', '$.customer.email', '$.items', '$.items[*]', '$.items[*].qty', '$.items[*].sku', '$.orderId', '$.total'],
      }),
      expect.objectContaining({
        version: 2,
        added: ['$.status'],
        removed: [],
        typeChanged: [
          { path: '$.customer.email', from: ['string'], to: ['string', 'null'] },
          { path: '$.total', from: ['integer'], to: ['string', 'integer'] },
        ],
      }),
      expect.objectContaining({ version: 3, added: ['$.createdAt'], removed: ['$.customer', '$.customer.email'], typeChanged: [] }),
    ]);
    // A stage with no new shape records nothing.
    await stage([event('u', 5, { orderId: 'o-5', items: [{ sku: 'A', qty: 3 }], total: 7, status: 'new', createdAt: '2024-02-03T00:00:00Z' })]);
    expect((await reader.versions(topic)).map((v) => v.version)).toEqual([1, 2, 3]);

    // Resuming after version 1 delivers the versions recorded since, in order.
    const resumed = subscribe({ after: 1 });
    await waitFor('versions 2 and 3 replayed', () => resumed.length >= 2);
    expect(resumed.map((d) => d.version)).toEqual([2, 3]);
  });

  it('serves the inferred schema and field statistics matching a hand count', async () => {
    const data = await query<{
      rawTopic: {
        currentVersion: number;
        sampled: number;
        ops: Record<string, number>;
        counts: { images: number; patches: number };
        schema: Record<string, unknown>;
        fields: Record<string, unknown>[];
        versions: { version: number; changes: { added: string[] } }[];
        drift: { version: number }[];
      };
    }>(
      `query($topic: String!) { rawTopic(topic: $topic) {
      currentVersion sampled ops { create update delete read } counts { images patches }
      schema
      fields { path present presence values types { string integer number null object array } nullRate
               minNumber maxNumber minDate maxDate formats { format count } distinct distinctExact examples current }
      versions { version changes { added } }
      drift(since: "2000-01-01T00:00:00Z") { version }
    } }`,
      { topic },
    );
    const t = data.rawTopic;
    // 4 + 3 + 6 stage records and one more update: 14 full images, no patch.
    expect({ currentVersion: t.currentVersion, sampled: t.sampled, ops: t.ops, counts: t.counts }).toEqual({
      currentVersion: 3,
      sampled: 14,
      ops: { create: 10, update: 4, delete: 0, read: 0 },
      counts: { images: 14, patches: 0 },
    });
    const f = (p: string) => t.fields.find((x) => x.path === p)!;
    expect(f('$._id')).toMatchObject({ present: 14, presence: 1, distinct: 10, distinctExact: true, current: true });
    expect(f('$.orderId')).toMatchObject({ present: 14, distinct: 10 });
    // total: integers 10 20 30 40 | 20 20 | 5 x6 | 7, and one "12.50".
    expect(f('$.total')).toMatchObject({
      values: 14,
      types: { string: 1, integer: 13, number: 0, null: 0, object: 0, array: 0 },
      minNumber: 5,
      maxNumber: 40,
      distinct: 7,
      formats: [{ format: 'decimal', count: 1 }],
      examples: [10, 20, 30, 40, '12.50'],
    });
    // email: c1..c4, then c1, c2 and a null; gone since stage 3.
    expect(f('$.customer.email')).toMatchObject({
      present: 7,
      presence: 7 / 14,
      values: 7,
      nullRate: 1 / 7,
      distinct: 4,
      formats: [{ format: 'email', count: 6 }],
      current: false,
    });
    expect(f('$.customer')).toMatchObject({ present: 7, current: false });
    expect(f('$.status')).toMatchObject({ present: 10, distinct: 2, examples: ['paid', 'new'], current: true });
    // items: every image; elements in all but order 4; B and C twice in each of the 3 updates.
    expect(f('$.items')).toMatchObject({ present: 14, types: expect.objectContaining({ array: 14 }) });
    expect(f('$.items[*].sku')).toMatchObject({ present: 13, values: 16, distinct: 3 });
    expect(f('$.items[*].qty')).toMatchObject({ values: 16, minNumber: 1, maxNumber: 3 });
    expect(f('$.createdAt')).toMatchObject({
      present: 7,
      minDate: '2024-02-01T00:00:00Z',
      maxDate: '2024-02-06T00:00:00Z',
      formats: [{ format: 'date-time', count: 7 }],
      distinct: 6,
    });
    expect(t.schema).toMatchObject({
      title: topic,
      type: 'object',
      required: ['_id', 'items', 'orderId', 'total'],
      properties: {
        total: { type: ['string', 'integer'] },
        createdAt: { type: 'string', format: 'date-time' },
        items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } } },
      },
    });
    expect(t.schema.properties).not.toHaveProperty('customer');
    expect(t.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(t.versions[2]!.changes.added).toEqual(['$.createdAt']);
    expect(t.drift.map((v) => v.version)).toEqual([1, 2, 3]);

    const list = await query<{ rawTopics: { topic: string; currentVersion: number; sampled: number; firstSeen: string; lastSeen: string }[] }>(
      '{ rawTopics { topic currentVersion sampled firstSeen lastSeen } }',
    );
    const mine = list.rawTopics.find((r) => r.topic === topic)!;
    expect(mine).toMatchObject({ currentVersion: 3, sampled: 14 });
    expect(Date.parse(mine.lastSeen)).toBeGreaterThanOrEqual(Date.parse(mine.firstSeen));
  });

  it('answers one snapshot: versions and drift stop at the currentVersion the topic was read with', async () => {
    // A version recorded while a query runs (after the topic's summary was read, before its
    // version lists) must not show: a reader whose summary lags one version behind stands in for that moment.
    const lagging: DiscoveryReader = {
      ...reader,
      topics: async () => (await reader.topics()).map((t) => (t.topic === topic ? { ...t, currentVersion: t.currentVersion! - 1 } : t)),
    };
    const result = await graphql({
      schema: apiSchema,
      source: 'query($topic: String!) { rawTopic(topic: $topic) { currentVersion versions { version } drift(since: "2000-01-01T00:00:00Z") { version } } }',
      variableValues: { topic },
      contextValue: createContext({ ...services, discovery: lagging }),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ rawTopic: { currentVersion: 2, versions: [{ version: 1 }, { version: 2 }], drift: [{ version: 1 }, { version: 2 }] } });
  });

  it('keeps the last raw records per topic for spec previews', async () => {
    const records = await reader.samples(topic, 3);
    expect(records.map((r) => r.topic)).toEqual([topic, topic, topic]);
    const orderIds = records.map((r) => JSON.parse(JSON.parse(r.value!.toString()).after).orderId);
    expect(orderIds).toEqual(['o-9', 'o-10', 'o-5']);
    expect(records.map((r) => Number(r.offset))).toEqual([11, 12, 13]);
    expect(await reader.samples(topic, 50)).toHaveLength(5);
    const data = await query<{ rawTopic: { samples: { offset: string; key: string; value: string }[] } }>(
      'query($topic: String!) { rawTopic(topic: $topic) { samples(last: 2) { offset key value } } }',
      { topic },
    );
    expect(data.rawTopic.samples.map((s) => s.offset)).toEqual(['12', '13']);
    expect(JSON.parse(data.rawTopic.samples[0]!.key)).toEqual({ id: JSON.stringify({ $oid: oid(10) }) });
  });

  it('merges the profile of a second ingestion process on read, and records its drift once', async () => {
    // Another process (its own profile document) owning other partitions of the topic.
    const other = createProfiler({
      db,
      sampleRate: 1,
      flushMs: 600_000,
      samples: 5,
      removalWindow: WINDOW,
      logger: pino({ level: 'silent' }),
      processId: 'other-process',
    });
    await other.start();
    [11, 12].forEach((k, i) => {
      const message = event('c', k, { orderId: `o-${k}`, items: [], total: 1, status: 'new', createdAt: '2024-03-01T00:00:00Z', channel: 'web' });
      const raw = { topic, partition: 1, offset: String(i), key: Buffer.from(message.key as string), value: Buffer.from(message.value as string) };
      other.observe(raw, decodeRecord(raw));
    });
    await other.stop();
    await profiler.flush();
    const versions = await reader.versions(topic);
    expect(versions.map((v) => [v.version, v.changes.added])).toEqual([
      [1, expect.any(Array)],
      [2, ['$.status']],
      [3, ['$.createdAt']],
      [4, ['$.channel']],
    ]);
    const profile = (await reader.profile(topic))!;
    expect({ processes: profile.processes, sampled: profile.sampled, images: profile.images }).toEqual({ processes: 2, sampled: 16, images: 16 });
    const orderId = profile.fields.find((f) => f.path === '$.orderId')!;
    expect({ present: orderId.present, distinct: orderId.distinct }).toEqual({ present: 16, distinct: 12 });
    expect(profile.fields.find((f) => f.path === '$.total')).toMatchObject({ minNumber: 1, maxNumber: 40 });
    // Its samples join the topic's last five.
    expect((await reader.samples(topic, 5)).map((r) => `${r.partition}:${r.offset}`)).toEqual(['0:11', '0:12', '0:13', '1:0', '1:1']);
  });
});
