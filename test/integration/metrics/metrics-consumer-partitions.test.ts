import type { Collection, Db, Document, Filter } from 'mongodb';
import { canonicalTopic, type CanonicalEvent } from '../../../src/events/canonical-event';
import { ensureTopics } from '../../../src/infra/kafka-topics';
import type { MetricDefinition } from '../../../src/metrics/metric-definition';
import { createMetricsService } from '../../../src/metrics/metrics-service';
import { CONTRIBUTIONS_COLLECTION } from '../../../src/metrics/rollup-store';
import { compiledMetric, storedBucketSummaries, unsettledRecords } from '../../support/metrics-world';
import { createLeftovers, databasePerTest, testKafka, uniqueName } from '../../support/test-env';
import { testLogger } from '../../support/test-logger';
import { waitFor } from '../../support/wait-for';
import { BASE_MS, PROPERTY_DEFINITION } from '../../unit/metrics/metric-model';

/**
 * The metrics role's consumer gives every partition of the canonical topic a worker: kafkajs
 * fetches again only once every batch of a fetch is done, so a batch left waiting for a free
 * worker would hold back the next fetch of every partition (real Kafka and store).
 */
const PARTITIONS = 4;

/**
 * The database with the rollup store's contribution reads by key (each batch's first store
 * command) held until `expected` of them are waiting at once, or until `graceMs` has passed.
 */
function heldReads(db: Db, expected: number, graceMs: number): { db: Db; mostAtOnce: () => number } {
  let waiting = 0;
  let most = 0;
  let open = false;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = () => {
      open = true;
      resolve();
    };
  });
  const wrapContributions = (target: Collection) =>
    new Proxy(target, {
      get(real, property, receiver) {
        if (property !== 'find') return Reflect.get(real, property, receiver);
        return (filter: Filter<Document>, options?: object) => {
          const cursor = real.find(filter, options);
          // The start-up sweep's read (by `dirty`) is not a batch's.
          if (open || (filter._id as { $in?: unknown } | undefined)?.$in === undefined) return cursor;
          return {
            toArray: async () => {
              waiting += 1;
              most = Math.max(most, waiting);
              if (waiting === expected) release();
              else if (waiting === 1) setTimeout(release, graceMs);
              await gate;
              return cursor.toArray();
            },
          };
        };
      },
    });
  const proxy = new Proxy(db, {
    get(real, property, receiver) {
      if (property !== 'collection') return Reflect.get(real, property, receiver);
      return (name: string) => (name === CONTRIBUTIONS_COLLECTION ? wrapContributions(real.collection(name)) : real.collection(name));
    },
  });
  return { db: proxy, mostAtOnce: () => most };
}

// Version 2, an entity's second state: its first (version 1) would be inserted without the read this test holds.
const event = (key: string, price: string): CanonicalEvent => ({
  id: `${key}:2`,
  subject: 'order',
  key,
  op: 'UPDATE',
  version: 2,
  before: null,
  after: { region: 'eu', created_at: new Date(BASE_MS + 60_000).toISOString(), line_items: [{ sku: 'mug', price, qty: 1 }], status: 'paid' },
  changedFields: [],
  spec: { id: 'order', version: 1 },
  source: { topic: 'raw.orders', partition: 0, offset: '0', position: '0', connector: 'test', op: 'c', snapshot: false },
  sourceTsMs: BASE_MS + 60_000,
  ingestedAt: new Date(BASE_MS + 61_000).toISOString(),
});

describe('metrics role: one worker per canonical partition (real Kafka and store)', () => {
  const db = databasePerTest('metrics_partitions');
  const leftovers = createLeftovers();
  afterEach(() => leftovers.dispose());

  it('applies a batch of every partition at once, and the rollups come out exact', async () => {
    const kafka = testKafka();
    const topicPrefix = `${uniqueName('canonical_partitions')}.`;
    const topic = canonicalTopic('order', topicPrefix);
    await ensureTopics(kafka, [{ topic, numPartitions: PARTITIONS }]);
    leftovers.add(async () => {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] }).finally(() => admin.disconnect());
    });
    // One change per partition, on the topic before the role starts: its first fetch holds all four.
    const prices = ['1.10', '2.20', '3.30', '4.40'];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: prices.map((price, partition) => ({ partition, key: `o${partition}`, value: JSON.stringify(event(`o${partition}`, price)) })),
    });
    await producer.disconnect();

    const held = heldReads(db(), PARTITIONS, 5000);
    const metrics = createMetricsService({
      kafka,
      db: held.db,
      logger: testLogger('warn'),
      groupId: uniqueName('metrics_partitions'),
      topicPrefix,
      canonicalPartitions: PARTITIONS,
    });
    leftovers.add(() => metrics.stop());
    await metrics.start();
    await metrics.setDefinitions([PROPERTY_DEFINITION as MetricDefinition]);
    await waitFor('the rollups current', () => metrics.stats.events >= PARTITIONS, { timeoutMs: 60_000, intervalMs: 50 });

    // With fewer workers than partitions, the last batch waits for a worker, and no more than that many are ever in flight.
    expect(held.mostAtOnce()).toBe(PARTITIONS);
    const metric = compiledMetric(PROPERTY_DEFINITION);
    await metrics.stop();
    expect(await unsettledRecords(db(), metric, [metrics.rollups])).toBe(0);
    const hour = await storedBucketSummaries(db(), metric);
    expect(hour.get(`hour|${BASE_MS}|eu|mug`)).toEqual({ count: 4, sum: '11.00', min: '1.10', max: '4.40' });
  });
});
