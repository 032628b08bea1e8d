import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import type { MongoClient } from 'mongodb';
import WebSocket from 'ws';
import { EVENT_LOG_COLLECTION, eventOfLogged, type LoggedEvent } from '../../../src/events/event-log';
import { stateCollectionName } from '../../../src/state/entity-store';
import { mongoChange, oid, produce } from '../../support/debezium-messages';
import { specFromFile } from '../../support/ingestion-harness';
import { startService, type ServiceProcess } from '../../support/service-process';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * SIGTERM under load, on a real child process: it stops consuming after the batch in flight is
 * applied and committed, closes its websockets with 1001, and exits 0 within the deadline. Its
 * group's committed offset then says exactly what it applied, so a second process taking over
 * applies the rest: no event lost, none applied twice.
 */
const KEYS = 100;
const VERSIONS = 20;
const SLICE = 200;
const TIMEOUT_MS = 15000;
const change = (k: number, v: number) =>
  mongoChange({
    op: v === 1 ? 'c' : 'u',
    id: { $oid: oid(k) },
    tsMs: 1_700_000_000_000 + v * 1000,
    ord: k + 1,
    after: { orderId: `o-${k}`, customer: { email: `v${v}@x.io` }, items: [] },
  });

/** The URL a service logged when it started. */
async function serviceUrl(service: ServiceProcess): Promise<string> {
  return waitFor(
    'the service to start',
    () => {
      for (const line of service.output.join('').split('\n')) {
        if (!line.includes('"canonql started"')) continue;
        return (JSON.parse(line) as { url: string }).url;
      }
      return undefined;
    },
    { timeoutMs: 60000, intervalMs: 100 },
  );
}

describe('graceful shutdown on SIGTERM', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const topic = uniqueName('raw.orders.shutdown');
  const database = uniqueName('shutdown');
  const groupId = uniqueName('shutdown-group');
  let mongo: MongoClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(async () => {
      await mongo.db(database).dropDatabase();
      await mongo.close();
    });
    const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    leftovers.add(async () => fs.rmSync(specsDir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', topic)));
    env = {
      CANONQL_MODE: 'test',
      CANONQL_ROLES: 'ingest,api',
      CANONQL_SPECS_DIR: specsDir,
      MONGODB_DATABASE: database,
      CANONQL_INGEST_GROUP_ID: groupId,
      CANONQL_METRICS_GROUP_ID: uniqueName('shutdown-metrics'),
      CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
      CANONQL_DEADLETTER_TOPIC: `${topic}.dlq`,
      CANONQL_INGEST_SESSION_TIMEOUT_MS: '6000',
      CANONQL_SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
      CANONQL_DEMO_FEED: 'false',
    };
  });
  afterAll(() => leftovers.dispose());

  it('finishes and commits its batch, closes websockets with 1001, exits 0; a successor applies exactly the rest', async () => {
    const all = [];
    for (let v = 1; v <= VERSIONS; v += 1) for (let k = 0; k < KEYS; k += 1) all.push(change(k, v));
    const events = mongo.db(database).collection<LoggedEvent>(EVENT_LOG_COLLECTION);

    const first = startService(env);
    leftovers.add(() => first.kill('SIGKILL'));
    const url = await serviceUrl(first);
    const closes: number[] = [];
    const client = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    leftovers.add(async () => client.dispose());
    client.subscribe({ query: 'subscription { orderChanged { key version } }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });

    // Load: slices keep arriving; SIGTERM lands once ingestion is busy with them. The second half is
    // produced only once the process has exited, so however slow the machine, the successor has a
    // rest to apply.
    let produced = 0;
    let release!: () => void;
    const firstExited = new Promise<void>((resolve) => {
      release = resolve;
    });
    const producing = (async () => {
      for (; produced < all.length; produced += SLICE) {
        if (produced === all.length / 2) await firstExited;
        await produce(kafka, topic, all.slice(produced, produced + SLICE));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await waitFor('ingestion under way', async () => (await events.countDocuments({})) >= 600, { timeoutMs: 60000, intervalMs: 50 });
    const signalled = Date.now();
    const exitCode = await first.kill('SIGTERM');
    release();
    const tookMs = Date.now() - signalled;
    await producing;

    expect(exitCode).toBe(0);
    expect(tookMs).toBeLessThan(TIMEOUT_MS);
    const output = first.output.join('');
    expect(output).toContain('"shut down"');
    expect(output).toContain('ingestion stopped');
    await waitFor('the websocket close seen', () => closes.length > 0);
    expect(closes[0]).toBe(1001);

    // The committed offset is exactly what was durably applied: one event per raw message below it.
    const admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const offset = Number(committed!.partitions[0]!.offset);
    const appliedBeforeStop = await events.countDocuments({});
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(all.length);
    expect(appliedBeforeStop).toBe(offset);
    // Nothing pending in the outbox: every logged event's record lies below the committed offset.
    const sourceOffsets = (await events.find({}).toArray()).map((doc) => Number(eventOfLogged(doc).source.offset));
    expect(sourceOffsets.filter((o) => o >= offset)).toEqual([]);

    // A successor in the same group picks up at that offset and applies the rest, each event once.
    const second = startService(env);
    leftovers.add(() => second.kill('SIGKILL'));
    await waitFor('every change applied', async () => (await events.countDocuments({})) >= all.length, { timeoutMs: 90000, intervalMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await second.kill('SIGTERM')).toBe(0);

    expect(await events.countDocuments({})).toBe(all.length);
    const docs = await mongo.db(database).collection(stateCollectionName('order')).find({}).toArray();
    expect(docs).toHaveLength(KEYS);
    expect(docs.every((doc) => doc._meta.version === VERSIONS && doc.data.customer.email === `v${VERSIONS}@x.io`)).toBe(true);
    const [final] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(Number(final!.partitions[0]!.offset)).toBe(all.length);
  });
});
