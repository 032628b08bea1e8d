import type { Message } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { canonicalTopic, type CanonicalEvent } from '../../../src/events/canonical-event';
import { ensureTopics } from '../../../src/infra/kafka-topics';
import { compileMetric } from '../../../src/metrics/aggregation';
import { computeFromState } from '../../../src/metrics/backfill';
import { validateMetricDefinition, type MetricDefinition } from '../../../src/metrics/metric-definition';
import { createMetricsService, type MetricsService } from '../../../src/metrics/metrics-service';
import { BUCKET_SUMMARY_PROJECTION, createRollupStore, decodeContribution, encodeContribution } from '../../../src/metrics/rollup-store';
import { stateCollectionName } from '../../../src/state/entity-store';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { bruteForce, bruteKeyOf, int, pick, PROPERTY_DEFINITION, randomOrder, seeded } from '../../unit/metrics/metric-model';
import { testLogger } from '../../support/test-logger';

/**
 * The property through the real servers: seeded random histories of orders (creates, value,
 * dimension and time-field updates, deletes) are published as canonical events to Kafka with
 * duplicates and stale redeliveries (a replayed older event after a newer one, as after a crash),
 * consumed by the metrics role, and the rollups in the store must equal the batch recomputation
 * from state and a brute-force computation, bucket by bucket. Then a whole replay (a new consumer
 * group from the beginning) must change nothing, and a backfill of the same definition under a
 * new version must produce the same buckets.
 */
function definition(input: unknown): MetricDefinition {
  const result = validateMetricDefinition(input);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.definition;
}

const logger = testLogger('warn');

describe('metrics property over Kafka and the store', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const prefix = `${uniqueName('canonical')}.`;
  const topic = canonicalTopic('order', prefix);
  let client: MongoClient;
  let db: Db;
  const histories = new Map<string, (Record<string, unknown> | null)[]>();
  const messages: Message[] = [];

  const start = async (groupId: string): Promise<MetricsService> => {
    const service = createMetricsService({ kafka, db, logger, groupId, topicPrefix: prefix, canonicalPartitions: 3, sessionTimeoutMs: 10000 });
    await service.start();
    leftovers.add(() => service.stop());
    await service.setDefinitions([definition(PROPERTY_DEFINITION)]);
    return service;
  };

  beforeAll(async () => {
    client = await testMongo();
    db = client.db(uniqueName('metrics'));
    leftovers.add(async () => {
      await db.dropDatabase();
      await client.close();
    });
    await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
    const rng = seeded(20240301);
    const keys = Array.from({ length: 40 }, (_, i) => `o${i}`);
    const event = (key: string, version: number): CanonicalEvent => {
      const versions = histories.get(key)!;
      const after = versions[version - 1]!;
      const before = version > 1 ? versions[version - 2]! : null;
      return {
        id: `${key}-${version}`,
        subject: 'order',
        key,
        op: after === null ? 'DELETE' : before === null ? 'CREATE' : 'UPDATE',
        version,
        before,
        after,
        changedFields: [],
        spec: { id: 't', version: 1 },
        source: { topic: 'raw', partition: 0, offset: '0', position: String(version), connector: 'test', op: 'u', snapshot: false },
        sourceTsMs: BASE_TS + version,
        ingestedAt: new Date().toISOString(),
      };
    };
    for (let step = 0; step < 600; step += 1) {
      const key = pick(rng, keys);
      const versions = histories.get(key) ?? [];
      const last = versions.at(-1);
      const roll = rng();
      let next: Record<string, unknown> | null;
      if (last === undefined || last === null) next = randomOrder(rng);
      else if (roll < 0.12) next = null;
      else if (roll < 0.35) next = { ...last, region: pick(rng, ['eu', 'us', 'ap']) };
      else if (roll < 0.55) next = { ...last, created_at: randomOrder(rng).created_at };
      else if (roll < 0.75) next = { ...last, line_items: randomOrder(rng).line_items as unknown[] };
      else next = randomOrder(rng);
      versions.push(next);
      histories.set(key, versions);
      const send = (v: number) => messages.push({ key, value: JSON.stringify(event(key, v)) });
      send(versions.length);
      if (rng() < 0.15) send(versions.length); // duplicate
      if (rng() < 0.15 && versions.length > 1) send(int(rng, 1, versions.length - 1)); // stale redelivery
    }
    // Final state, as ingestion would have stored it (soft deletes keep their version).
    const state = db.collection(stateCollectionName('order'));
    await state.insertMany(
      [...histories].map(([key, versions]) => ({
        _id: key as never,
        data: versions.at(-1) ?? [...versions].reverse().find((v) => v !== null) ?? {},
        _meta: { version: versions.length, deleted: versions.at(-1) === null, sourceTsMs: BASE_TS + versions.length, updatedAt: new Date() },
      })),
    );
  });
  afterAll(() => leftovers.dispose());

  const BASE_TS = Date.UTC(2024, 2, 1);
  const storedBuckets = async (metric: string) => {
    const docs = await db
      .collection('metric_buckets')
      .find({ metric, count: { $gt: 0 } }, { projection: BUCKET_SUMMARY_PROJECTION })
      .toArray();
    return Object.fromEntries(docs.map((d) => [bruteKeyOf(d._id as unknown as string), { count: d.count, sum: d.sum, min: d.min, max: d.max }]));
  };

  it('streams to exactly the batch recomputation and the brute force, crash replays included', async () => {
    const producer = kafka.producer();
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    const half = Math.floor(messages.length / 2);
    // First half, then the process goes away; a new one in a new group replays the topic from its beginning.
    const first = await start(uniqueName('metrics-group'));
    await producer.send({ topic, messages: messages.slice(0, half) });
    await waitFor('first half consumed', () => first.stats.events >= half, { timeoutMs: 60000 });
    await first.stop();

    const groupId = uniqueName('metrics-group');
    const second = await start(groupId);
    await producer.send({ topic, messages: messages.slice(half) });
    // The new group reads the topic from the beginning: every first-half event is a replay.
    await waitFor('all events consumed', () => second.stats.events >= messages.length, { timeoutMs: 90000 });
    await second.backfillsSettled();

    const expected = bruteForce([...histories.values()].map((v) => v.at(-1)!));
    expect(expected.size).toBeGreaterThan(20);
    const metric = compileMetric(definition(PROPERTY_DEFINITION));
    const batch = Object.fromEntries([...(await computeFromState(db, metric))].map(([id, s]) => [bruteKeyOf(id), s]));
    expect(await storedBuckets(metric.key)).toEqual(Object.fromEntries(expected));
    expect(batch).toEqual(Object.fromEntries(expected));
    expect(await second.verify(PROPERTY_DEFINITION.name)).toMatchObject({ mismatches: [] });
    expect(second.stats.skipped).toBeGreaterThan(0);
  });

  it('a backfill of a new version from state builds the same buckets as streaming', async () => {
    const service = createMetricsService({ kafka: null, db, logger, groupId: 'unused', topicPrefix: prefix, canonicalPartitions: 3 });
    await service.setDefinitions([definition({ ...PROPERTY_DEFINITION, version: 2 })]);
    await service.backfillsSettled();
    expect(await service.progress(PROPERTY_DEFINITION.name)).toMatchObject({ state: 'done', scanned: histories.size });
    expect(await storedBuckets('prop-amount@2')).toEqual(await storedBuckets('prop-amount@1'));
  });

  // The contribution is left as the crashed write stored it: in the current form, or in the form
  // written before `r` (`k`, `rows`, `touched` as fields), which a process of this version must settle too.
  it.each([
    ['current', 3],
    ['legacy', 4],
  ] as const)(
    'a crash between the contribution write and the bucket writes is repaired by the replay of that change (%s stored form)',
    async (form, version) => {
      const store = createRollupStore(db);
      const metric = compileMetric(definition({ ...PROPERTY_DEFINITION, version }));
      const order = (region: string, price: string) => ({
        region,
        created_at: '2024-03-01T10:20:00.000Z',
        status: 'paid',
        line_items: [{ sku: 'mug', price, qty: 1 }],
      });
      const hour = Date.UTC(2024, 2, 1, 10);
      const day = Date.UTC(2024, 2, 1);
      const expect1 = (region: string, sum: string) => ({
        [`hour|${hour}|${region}|mug`]: { count: 1, sum, min: sum, max: sum },
        [`day|${day}|${region}|mug`]: { count: 1, sum, min: sum, max: sum },
      });
      await store.apply(metric, [{ key: 'x', version: 1, data: order('eu', '5'), changeTsMs: null }]);
      expect(await storedBuckets(metric.key)).toEqual(expect1('eu', '5'));
      const settled = decodeContribution((await store.contributions.findOne({ _id: `${metric.key}|x` }))!);
      expect(settled).toMatchObject({ v: 1, dirty: false, touched: settled.rows.map((r) => r.b) });
      // Version 2 moves the order to another region; the process dies right after writing its contribution.
      const rows = [...metric.contributionsOf(order('us', '7.5'), null)].map(([b, { agg }]) => ({ b, a: agg }));
      const crashed = { ...settled, v: 2, rows, touched: [...settled.touched, ...rows.map((r) => r.b)], dirty: true, rev: settled.rev + 1 };
      const { _id, ...replacement } =
        form === 'current'
          ? encodeContribution(crashed)
          : { _id: crashed._id, metric: crashed.metric, k: 'x', v: crashed.v, rows: crashed.rows, touched: crashed.touched, dirty: true, rev: crashed.rev };
      await store.contributions.replaceOne({ _id }, replacement);
      expect(await storedBuckets(metric.key)).toEqual(expect1('eu', '5'));
      // Kafka redelivers the uncommitted change: a "duplicate" now, which settles the buckets.
      expect(await store.apply(metric, [{ key: 'x', version: 2, data: order('us', '7.5'), changeTsMs: null }])).toMatchObject({ applied: 0, skipped: 1 });
      expect(await storedBuckets(metric.key)).toEqual(expect1('us', '7.5'));
      await store.intentsClosed();
      expect(await store.contributions.countDocuments({ metric: metric.key, dirty: true })).toBe(0);
      // The clear shrank `touched` to the new rows' buckets, in the form the document was stored in.
      const cleared = decodeContribution((await store.contributions.findOne({ _id }))!);
      expect(cleared).toMatchObject({ v: 2, dirty: false, rows, touched: rows.map((r) => r.b) });
      // A stale older version arriving now changes nothing.
      await store.apply(metric, [{ key: 'x', version: 1, data: order('eu', '5'), changeTsMs: null }]);
      expect(await storedBuckets(metric.key)).toEqual(expect1('us', '7.5'));
      // A newer version with the same contribution (a change of a field the metric does not read) moves
      // the version on without writing a bucket, so the older state stays refused.
      const bucketRevs = async () =>
        (await db.collection('metric_buckets').find({ metric: metric.key }).sort({ _id: 1 }).toArray()).map((b) => b.rev as number);
      const revsBefore = await bucketRevs();
      expect(await store.apply(metric, [{ key: 'x', version: 5, data: { ...order('us', '7.5'), status: 'shipped' }, changeTsMs: null }])).toMatchObject({
        applied: 1,
        buckets: [],
      });
      expect(await bucketRevs()).toEqual(revsBefore);
      expect(decodeContribution((await store.contributions.findOne({ _id }))!)).toMatchObject({ v: 5, dirty: false, rows });
      expect(await store.apply(metric, [{ key: 'x', version: 4, data: order('eu', '5'), changeTsMs: null }])).toMatchObject({ applied: 0, skipped: 1 });
      expect(await storedBuckets(metric.key)).toEqual(expect1('us', '7.5'));
    },
  );
});
