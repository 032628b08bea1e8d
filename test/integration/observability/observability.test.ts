import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from 'graphql-ws';
import type { MongoClient } from 'mongodb';
import pino from 'pino';
import WebSocket from 'ws';
import { startApp, type App } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { DEAD_LETTER_COLLECTION } from '../../../src/ingestion/dead-letter';
import { EVENT_LOG_COLLECTION } from '../../../src/events/event-log';
import { stateCollectionName } from '../../../src/state/entity-store';
import { mongoChange, oid, produce } from '../../support/debezium-messages';
import { specFromFile } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * Observability against the real stack: a whole canonql (ingest + api) ingests a known stream;
 * /metrics, the logs and subjectStatus must tell exactly what happened.
 */
const KEYS = 30;
const UPDATES = 5;
const DELETES = 2;
const BAD = 3;

/** The value of one sample line of the exposition text (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[2]);
  }
  return undefined;
}

describe('observability: /metrics, correlation ids, subjectStatus', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const topic = uniqueName('raw.orders.obs');
  const database = uniqueName('obs');
  const groupId = uniqueName('obs-ingest');
  const logLines: Record<string, unknown>[] = [];
  let mongo: MongoClient;
  let app: App;
  const subject = 'order';

  const scrape = async () => {
    const response = await fetch(`${app.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return response.text();
  };
  const gql = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}, operationName?: string) => {
    const response = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables, ...(operationName ? { operationName } : {}) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: a test reads the fields its own query selected
    return { response, body: (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
  };

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(async () => {
      await mongo.db(database).dropDatabase();
      await mongo.close();
    });
    const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    leftovers.add(async () => fs.rmSync(specsDir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', topic)));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    app = await startApp(
      loadConfig({
        ...process.env,
        CANONQL_MODE: 'test',
        CANONQL_ROLES: 'ingest,api',
        CANONQL_HTTP_PORT: '0',
        MONGODB_DATABASE: database,
        CANONQL_INGEST_GROUP_ID: groupId,
        CANONQL_METRICS_GROUP_ID: uniqueName('obs-metrics'),
        CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
        CANONQL_DEADLETTER_TOPIC: `${topic}.dlq`,
        CANONQL_SPECS_DIR: specsDir,
        CANONQL_CATALOG_POLL_MS: '200',
        CANONQL_DEMO_FEED: 'false',
        CANONQL_LAG_CACHE_MS: '0',
      }),
      pino({ level: 'debug' }, sink),
    );
    leftovers.add(() => app.stop());
  });
  afterAll(() => leftovers.dispose());

  it('counts what was ingested, by outcome, dead letters by code, latency, and lag', async () => {
    const now = Date.now();
    const messages = [];
    for (let k = 0; k < KEYS; k += 1) {
      messages.push(
        mongoChange({
          op: 'c',
          id: { $oid: oid(k) },
          tsMs: now - 1000 + k,
          ord: 1,
          after: { orderId: `o-${k}`, customer: { email: `a${k}@x.io` }, items: [] },
        }),
      );
    }
    for (let k = 0; k < UPDATES; k += 1) {
      messages.push(
        mongoChange({ op: 'u', id: { $oid: oid(k) }, tsMs: now + k, ord: 2, after: { orderId: `o-${k}`, customer: { email: `b${k}@x.io` }, items: [] } }),
      );
    }
    // A redelivered create (of a key not changed since): the same source position again, a duplicate.
    messages.push(messages[10]!);
    for (let k = 0; k < DELETES; k += 1) {
      messages.push(mongoChange({ op: 'd', id: { $oid: oid(KEYS - 1 - k) }, tsMs: now + 100 + k, ord: 3, before: { orderId: `o-${KEYS - 1 - k}` } }));
    }
    for (let i = 0; i < BAD; i += 1) messages.push({ key: `bad-${i}`, value: `{ not json ${i}` });
    await produce(kafka, topic, messages);
    const applied = KEYS + UPDATES + DELETES;

    const text = await waitFor(
      'every outcome counted',
      async () => {
        const body = await scrape();
        const dead = sample(body, 'canonql_dead_letters_total', { topic, code: 'DECODE_FAILED' });
        return sample(body, 'canonql_ingest_events_total', { subject, topic, outcome: 'applied' }) === applied && dead === BAD ? body : undefined;
      },
      { timeoutMs: 60000, intervalMs: 300 },
    );
    expect(sample(text, 'canonql_ingest_events_total', { subject, topic, outcome: 'duplicate' })).toBe(1);
    expect(sample(text, 'canonql_ingest_events_total', { topic, outcome: 'dead-lettered' })).toBe(BAD);
    // Every newly applied event carried a source time of a few seconds ago.
    expect(sample(text, 'canonql_source_to_canonical_seconds_count', { subject })).toBe(applied);
    expect(sample(text, 'canonql_source_to_canonical_seconds_bucket', { subject, le: '60' })).toBe(applied);
    expect(sample(text, 'canonql_ingest_batches_total', { topic })).toBeGreaterThanOrEqual(1);
    // Everything read is committed: the group's lag on the one partition is 0.
    const lagText = await waitFor('lag 0', async () => {
      const body = await scrape();
      return sample(body, 'canonql_consumer_lag', { group: groupId, topic, partition: '0' }) === 0 ? body : undefined;
    });
    expect(lagText).toContain('process_resident_memory_bytes');
    expect(sample(lagText, 'canonql_store_errors_total')).toBeUndefined();
  });

  it('subjectStatus matches a hand count from the store and the stream', async () => {
    const { body } = await gql(
      `query($s: String!) { subjectStatus(subject: $s) {
      subject lastIngestedAt lastSourceTime lag liveEntities deletedEntities events openDeadLetters specs { id version topics } } }`,
      { s: subject },
    );
    const status = body.data.subjectStatus;
    const db = mongo.db(database);
    const newest = await db.collection(EVENT_LOG_COLLECTION).find({ subject }).sort({ ingestedAt: -1, sourceTsMs: -1 }).limit(1).next();
    expect(status).toEqual({
      subject,
      lastIngestedAt: newest!.ingestedAt,
      lastSourceTime: new Date(newest!.sourceTsMs).toISOString(),
      lag: 0,
      liveEntities: KEYS - DELETES,
      deletedEntities: DELETES,
      events: KEYS + UPDATES + DELETES,
      openDeadLetters: BAD,
      specs: [{ id: expect.any(String), version: 1, topics: [topic] }],
    });
    // The hand count, straight from the collections.
    expect(await db.collection(stateCollectionName(subject)).countDocuments({ '_meta.deleted': false })).toBe(KEYS - DELETES);
    expect(await db.collection(DEAD_LETTER_COLLECTION).countDocuments({ replayed: false })).toBe(BAD);
    // Nothing was ingested after the last delete produced: its source time is the latest of all.
    expect(status.lastSourceTime).toBe(
      new Date(Math.max(...(await db.collection(EVENT_LOG_COLLECTION).find({ subject }).toArray()).map((e) => e.sourceTsMs))).toISOString(),
    );

    const unknown = await gql('{ subjectStatus(subject: "no-such-subject") { subject } }');
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('the subscriptions and connections gauges follow a graphql-ws client', async () => {
    const before = await scrape();
    expect(sample(before, 'canonql_graphql_subscriptions')).toBe(0);
    expect(sample(before, 'canonql_websocket_connections')).toBe(0);
    const client = createClient({ url: app.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    const stop = client.subscribe(
      { query: 'subscription { orderChanged { op key } }' },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    await waitFor('one subscription counted', async () => {
      const body = await scrape();
      return (
        sample(body, 'canonql_graphql_subscriptions') === 1 &&
        sample(body, 'canonql_websocket_connections') === 1 &&
        sample(body, 'canonql_change_feed_subscribers') === 1
      );
    });
    stop();
    await client.dispose();
    await waitFor('gauges back to 0', async () => {
      const body = await scrape();
      return sample(body, 'canonql_graphql_subscriptions') === 0 && sample(body, 'canonql_websocket_connections') === 0;
    });
    // The connection's log lines carry its connection id.
    expect(logLines.some((line) => line.msg === 'websocket connected' && typeof line.connectionId === 'string')).toBe(true);
  });

  it('times GraphQL operations by name, and the request id is echoed and logged', async () => {
    const ok = await gql('query StatusProbe { subjects { name } }', {}, { 'x-request-id': 'obs-test-ok-1' }, 'StatusProbe');
    expect(ok.response.headers.get('x-request-id')).toBe('obs-test-ok-1');
    const failed = await gql('query StatusMissing { subjectStatus(subject: "missing") { subject } }', {}, { 'x-request-id': 'obs-test-fail-1' });
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // An insane id (spaces, too long) is replaced by a generated one.
    const generated = await gql('{ subjects { name } }', {}, { 'x-request-id': 'has spaces in it' });
    expect(generated.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const health = await fetch(`${app.url}/healthz`);
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const text = await scrape();
    expect(sample(text, 'canonql_graphql_operation_duration_seconds_count', { operation: 'StatusProbe', type: 'query', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'canonql_graphql_operation_duration_seconds_count', { operation: 'StatusMissing', type: 'query', outcome: 'error' })).toBe(1);

    expect(logLines.some((line) => line.requestId === 'obs-test-ok-1' && line.msg === 'graphql operation' && line.operation === 'StatusProbe')).toBe(true);
    const failure = logLines.find((line) => line.requestId === 'obs-test-fail-1' && line.msg === 'graphql operation failed');
    expect(failure).toMatchObject({ level: 40, codes: ['NOT_FOUND'], operation: 'StatusMissing' });
  });

  it('/metrics can be protected by a token', async () => {
    const guarded = await startApp(
      loadConfig({
        ...process.env,
        CANONQL_MODE: 'test',
        CANONQL_ROLES: 'api',
        CANONQL_HTTP_PORT: '0',
        MONGODB_DATABASE: database,
        CANONQL_PROMETHEUS_TOKEN: 'scrape-token-123',
        CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
        CANONQL_SPECS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-')),
        CANONQL_DEMO_FEED: 'false',
        CANONQL_METRICS: 'false',
      }),
      pino({ level: 'silent' }),
    );
    try {
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const allowed = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer scrape-token-123' } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('canonql_websocket_connections 0');
    } finally {
      await guarded.stop();
    }
  });
});
