import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { BUCKETS_COLLECTION, createRollupStore, membersOf, type BucketDoc } from '../../../src/metrics/rollup-store';
import { compiledMetric, entityChange, observedCollection, oneLineOrder, storedBucketSummaries } from '../../support/metrics-world';
import { interceptMethod } from '../../support/intercepted-db';
import { databasePerTest } from '../../support/test-env';
import { bruteForce, PROPERTY_DEFINITION } from '../../unit/metrics/metric-model';

/**
 * Buckets rewritten from the store's copy of them (real store): a bucket this store wrote last is
 * not read again before its next write; a bucket written since by anyone else (another process, a
 * drop and rebuild that happens to reach the same `rev`) is read and merged, never overwritten
 * from the stale copy.
 */
const metric = compiledMetric(PROPERTY_DEFINITION);

const order = oneLineOrder;
const change = entityChange;

/** The database with the bucket collection's whole-document reads counted and its bulk writes' operations recorded. */
function observed(db: Db): { db: Db; reads: () => number; writes: AnyBulkWriteOperation[][] } {
  const { db: proxy, reads, writes } = observedCollection(db, BUCKETS_COLLECTION);
  return { db: proxy, reads: () => reads.length, writes };
}

describe("rollup store: buckets written from the store's copy of them (real store)", () => {
  const db = databasePerTest('rollup_bucket_cache');

  const storedBuckets = () => storedBucketSummaries(db(), metric);

  it('a bucket this store wrote last is not read again before its next write', async () => {
    const many = Array.from({ length: 300 }, (_, i) => change(`order-${i}`, 1, order(`${i}.25`)));
    const { db: counted, reads, writes } = observed(db());
    const store = createRollupStore(counted);
    await store.apply(metric, many);
    expect(reads()).toBe(1);

    const next = [change('order-7', 2, order('99.99')), change('order-300', 1, order('0.01')), change('order-11', 2, null)];
    const result = await store.apply(metric, next);
    // No read of the two buckets: this store wrote them last, and its guarded write proves it.
    expect(reads()).toBe(1);
    const ops = writes[1]!;
    expect(ops).toHaveLength(2); // the hour and the day bucket
    for (const op of ops) {
      if (!('replaceOne' in op)) throw new Error(`expected a guarded replace, got ${Object.keys(op).join()}`);
      expect(Object.keys(op.replaceOne.filter).sort()).toEqual(['_id', 'rev', 'w']);
    }
    expect(result.buckets.map((bucket) => bucket.count)).toEqual([300, 300]);
    for (const doc of await db().collection<BucketDoc>(BUCKETS_COLLECTION).find({}).toArray()) expect(membersOf(doc)).toHaveLength(301); // order-11's tombstone included
    const live = [...many, change('order-300', 1, order('0.01'))]
      .filter((c) => c.key !== 'order-11')
      .map((c) => (c.key === 'order-7' ? order('99.99') : c.data));
    expect(await storedBuckets()).toEqual(bruteForce(live));
  });

  it("a bucket another writer wrote since: the write from this store's copy loses its guard, the bucket is read and merged, no member lost", async () => {
    const a = createRollupStore(db());
    const b = createRollupStore(db());
    const fromA = [change('a1', 1, order('1.10')), change('a2', 1, order('2.20'))];
    const fromB = [change('b1', 1, order('3.30')), change('b2', 1, order('4.40'))];
    await a.apply(metric, fromA);
    await b.apply(metric, fromB);
    const later = [change('a1', 2, order('5.50')), change('a3', 1, order('6.60'))];
    const result = await a.apply(metric, later);
    const expected = bruteForce([order('5.50'), order('2.20'), order('3.30'), order('4.40'), order('6.60')]);
    expect(await storedBuckets()).toEqual(expected);
    expect(result.buckets.map((bucket) => bucket.count)).toEqual([5, 5]);
  });

  it('a bucket write that fails: the copy it changed is dropped, so the next write reads the bucket and carries nothing of the failed one', async () => {
    let failNext = false;
    const failing = interceptMethod(db(), BUCKETS_COLLECTION, 'bulkWrite', (own) => (ops: AnyBulkWriteOperation[], options: object) => {
      if (!failNext) return own(ops, options);
      failNext = false;
      return Promise.reject(new Error('connection reset (test)'));
    });
    const store = createRollupStore(failing);
    await store.apply(metric, [change('p1', 1, order('1.00')), change('p2', 1, order('2.00'))]);
    // The buckets' members change in this store's copy of them before the write that fails.
    failNext = true;
    await expect(store.apply(metric, [change('p3', 1, order('3.00'))])).rejects.toThrow('connection reset (test)');
    await store.apply(metric, [change('p4', 1, order('4.00'))]);
    expect(await storedBuckets()).toEqual(bruteForce([order('1.00'), order('2.00'), order('4.00')]));
    // p3's redelivery (its offset was never committed) settles it.
    await store.apply(metric, [change('p3', 1, order('3.00'))]);
    expect(await storedBuckets()).toEqual(bruteForce([order('1.00'), order('2.00'), order('3.00'), order('4.00')]));
  });

  it('the metric dropped and rebuilt by another writer up to the same rev: the stale copy does not pass the guard', async () => {
    const a = createRollupStore(db());
    await a.apply(metric, [change('x1', 1, order('1.00')), change('x2', 1, order('2.00'))]);
    const revs = async () => (await db().collection<BucketDoc>(BUCKETS_COLLECTION).find({}).toArray()).map((d) => d.rev);
    expect(await revs()).toEqual([1, 1]);
    // Another process rebuilds the metric from other entities: the buckets are new, at rev 1 again.
    const b = createRollupStore(db());
    await b.drop(metric.key);
    await b.apply(metric, [change('y1', 1, order('10.00')), change('y2', 1, order('20.00')), change('y3', 1, order('30.00'))]);
    expect(await revs()).toEqual([1, 1]);

    await a.apply(metric, [change('z1', 1, order('0.50'))]);
    expect(await storedBuckets()).toEqual(bruteForce([order('10.00'), order('20.00'), order('30.00'), order('0.50')]));
    for (const doc of await db().collection<BucketDoc>(BUCKETS_COLLECTION).find({}).toArray()) {
      expect(
        membersOf(doc)
          .map((m) => m.k)
          .sort(),
      ).toEqual(['y1', 'y2', 'y3', 'z1']);
    }
  });

  it('buckets of different regions and an entity moving between them: the left bucket gets a tombstone, the new one the member', async () => {
    const store = createRollupStore(db());
    await store.apply(metric, [change('m1', 1, order('1.00', 'eu')), change('m2', 1, order('2.00', 'eu')), change('m3', 1, order('3.00', 'us'))]);
    await store.apply(metric, [change('m1', 2, order('1.50', 'us'))]);
    expect(await storedBuckets()).toEqual(bruteForce([order('1.50', 'us'), order('2.00', 'eu'), order('3.00', 'us')]));
    // A second store (nothing cached) reads the same members back.
    await createRollupStore(db()).apply(metric, [change('m2', 2, order('2.25', 'eu'))]);
    expect(await storedBuckets()).toEqual(bruteForce([order('1.50', 'us'), order('2.25', 'eu'), order('3.00', 'us')]));
  });
});
