import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { EVENT_LOG_COLLECTION } from '../../../src/events/event-log';
import { stateCollectionName } from '../../../src/state/entity-store';
import { mongoChange, oid, produce } from '../../support/debezium-messages';
import { specFromFile } from '../../support/ingestion-harness';
import { collectMessages } from '../../support/kafka-messages';
import { startService, type ServiceProcess } from '../../support/service-process';
import { testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

const KEYS = 200;
const VERSIONS = 10;
const change = (k: number, v: number) =>
  mongoChange({
    op: v === 1 ? 'c' : 'u',
    id: { $oid: oid(k) },
    tsMs: 1_700_000_000_000 + v * 1000,
    ord: k + 1,
    after: { orderId: `o-${k}`, customer: { email: `v${v}@x.io` }, items: [{ sku: `sku-${k}-${v}` }] },
  });

describe('crash recovery: ingestion killed with SIGKILL mid-batch', () => {
  const kafka = testKafka();
  let mongo: MongoClient;
  let specsDir: string;
  const database = uniqueName('crash');
  const topic = uniqueName('raw.orders.crash');
  const prefix = `${uniqueName('canonical')}.`;
  const env = () => ({
    CANONQL_ROLES: 'ingest',
    CANONQL_SPECS_DIR: specsDir,
    MONGODB_DATABASE: database,
    CANONQL_INGEST_GROUP_ID: uniqueName('crash-group'),
    CANONQL_CANONICAL_TOPIC_PREFIX: prefix,
    CANONQL_DEADLETTER_TOPIC: `${topic}.dlq`,
    // A killed process holds its partition until its session expires; keep that short here.
    CANONQL_INGEST_SESSION_TIMEOUT_MS: '6000',
  });
  let groupEnv: ReturnType<typeof env>;

  beforeAll(async () => {
    mongo = await testMongo();
    specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', topic)));
    groupEnv = env();
  });
  afterAll(async () => {
    await mongo
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    fs.rmSync(specsDir, { recursive: true, force: true });
  });

  it('after several crashes and a restart, state equals the source and no event is lost', async () => {
    const all = [];
    for (let v = 1; v <= VERSIONS; v += 1) for (let k = 0; k < KEYS; k += 1) all.push(change(k, v));

    let service: ServiceProcess = startService(groupEnv);
    let crashes = 0;
    // Produce in slices while the service runs, killing it at uneven moments in between.
    for (let slice = 0; slice < 5; slice += 1) {
      await produce(kafka, topic, all.slice(slice * 400, (slice + 1) * 400));
      await new Promise((resolve) => setTimeout(resolve, 700 + slice * 450));
      if (slice < 4) {
        await service.kill('SIGKILL');
        crashes += 1;
        service = startService(groupEnv);
      }
    }
    expect(crashes).toBe(4);

    const state = mongo.db(database).collection(stateCollectionName('order'));
    try {
      await waitFor(
        'every key at its last version',
        async () => {
          const done = await state.countDocuments({ '_meta.position': { $gte: `mongo:${String(1_700_000_000_000 + VERSIONS * 1000).padStart(15, '0')}` } });
          return done === KEYS;
        },
        { timeoutMs: 120000, intervalMs: 500 },
      );
    } finally {
      // Graceful shutdown: SIGTERM lets the batch in flight finish and commit, then exits 0.
      const exitCode = await service.kill('SIGTERM');
      expect(exitCode).toBe(0);
      expect(service.output.join('')).toContain('ingestion stopped');
    }

    const docs = await state.find({}).sort({ _id: 1 }).toArray();
    expect(docs).toHaveLength(KEYS);
    docs.forEach((doc, k) => {
      expect(doc._id).toBe(oid(k));
      expect(doc.data).toEqual({
        order_id: `o-${k}`,
        customer: { email: `v${VERSIONS}@x.io` },
        line_items: [{ sku: `sku-${k}-${VERSIONS}` }],
        currency: 'USD',
        created_by: 'system',
      });
      expect(doc._meta.version).toBe(VERSIONS);
    });

    // Exactly one logged event per source change, every one published to Kafka at least once.
    const events = await mongo.db(database).collection(EVENT_LOG_COLLECTION).find({}).toArray();
    expect(events).toHaveLength(KEYS * VERSIONS);
    const ids = new Set(events.map((e) => e._id));
    const published = await collectMessages(kafka, `${prefix}order`, (m) => new Set(m.map((x) => JSON.parse(x.value!).id)).size >= ids.size, 90000);
    const publishedIds = new Set(published.map((m) => JSON.parse(m.value!).id));
    expect([...ids].filter((id) => !publishedIds.has(id))).toEqual([]);
    // Every publish of one id carries the same event (duplicates are exact re-sends).
    const byId = new Map<string, string>();
    for (const m of published) {
      const event = JSON.parse(m.value!);
      const previous = byId.get(event.id);
      if (previous) expect(JSON.parse(previous)).toEqual(event);
      byId.set(event.id, m.value!);
    }
  }, 300_000); // five service starts and a full catch-up: minutes on a loaded 2-core machine
});
