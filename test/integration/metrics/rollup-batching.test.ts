import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import {
  BUCKETS_COLLECTION,
  CONTRIBUTIONS_COLLECTION,
  createRollupStore,
  decodeMembers,
  type BucketDoc,
  type EntityChange,
  type RollupStore,
} from '../../../src/metrics/rollup-store';
import { compiledMetric, unsettledRecords, storedBucketSummaries } from '../../support/metrics-world';
import { databasePerTest } from '../../support/test-env';
import { BASE_MS, bruteForce, PROPERTY_DEFINITION } from '../../unit/metrics/metric-model';

/**
 * How the rollup store writes buckets for whole batches (real store): a batch's changes of one
 * bucket become one read and one write of it; batches applied at the same time by one store are
 * merged into one bucket write instead of racing each other; a redelivered batch writes nothing;
 * buckets stored before the members' encoding are read and rewritten without losing a member.
 */
const metric = compiledMetric(PROPERTY_DEFINITION);

/** One order whose only line falls in the same hour and day buckets as every other order here. */
const order = (price: string, sku = 'mug'): Record<string, unknown> => ({
  region: 'eu',
  created_at: new Date(BASE_MS + 3_600_000 + 60_000).toISOString(),
  line_items: [{ sku, price, qty: 1 }],
  status: 'paid',
});
const change = (key: string, version: number, data: Record<string, unknown> | null): EntityChange => ({ key, version, data, changeTsMs: BASE_MS + version });

interface Calls {
  /** Bucket reads of whole documents (not the write tokens' read-back). */
  bucketReads: number;
  /** Bucket compare-and-set rounds: bulk writes of inserts and guarded replaces. */
  bucketWrites: number;
  /** Whether every operation of each bucket write matched (no lost race). */
  allMatched: boolean[];
}

/**
 * The database with its bucket commands counted; `gate` (when given) holds the first bucket read
 * until it resolves, and `afterContributionWrite` runs after each contribution write round.
 */
function observed(db: Db, hooks: { gate?: Promise<void>; afterContributionWrite?: () => void } = {}): { db: Db; calls: Calls } {
  const calls: Calls = { bucketReads: 0, bucketWrites: 0, allMatched: [] };
  const wrapBuckets = (target: Collection) =>
    new Proxy(target, {
      get(real, property, receiver) {
        if (property === 'find')
          return (filter: object, options?: { projection?: object }) => {
            if (options?.projection) return real.find(filter, options);
            calls.bucketReads += 1;
            const cursor = real.find(filter, options);
            if (calls.bucketReads > 1 || !hooks.gate) return cursor;
            const gate = hooks.gate;
            return {
              toArray: async () => {
                await gate;
                return cursor.toArray();
              },
            };
          };
        if (property === 'bulkWrite')
          return async (ops: AnyBulkWriteOperation[], options: object) => {
            calls.bucketWrites += 1;
            const result = await real.bulkWrite(ops, options);
            calls.allMatched.push(result.insertedCount + result.matchedCount === ops.length);
            return result;
          };
        return Reflect.get(real, property, receiver);
      },
    });
  const wrapContributions = (target: Collection) =>
    new Proxy(target, {
      get(real, property, receiver) {
        if (property !== 'bulkWrite') return Reflect.get(real, property, receiver);
        return async (ops: AnyBulkWriteOperation[], options: object) => {
          const result = await real.bulkWrite(ops, options);
          if (ops.some((op) => 'insertOne' in op || 'replaceOne' in op)) hooks.afterContributionWrite?.();
          return result;
        };
      },
    });
  const proxy = new Proxy(db, {
    get(real, property, receiver) {
      if (property !== 'collection') return Reflect.get(real, property, receiver);
      return (name: string) =>
        name === BUCKETS_COLLECTION
          ? wrapBuckets(real.collection(name))
          : name === CONTRIBUTIONS_COLLECTION
            ? wrapContributions(real.collection(name))
            : real.collection(name);
    },
  });
  return { db: proxy, calls };
}

describe('rollup store: bucket writes per batch (real store)', () => {
  const db = databasePerTest('rollup_batching');

  const storedBuckets = () => storedBucketSummaries(db(), metric);

  const revs = async () => (await db().collection<BucketDoc>(BUCKETS_COLLECTION).find({}).sort({ _id: 1 }).toArray()).map((d) => [d._id, d.rev, d.m]);
  const unsettled = (store: RollupStore) => unsettledRecords(db(), metric, [store]);

  it('several changes of the same buckets in one batch: each bucket read once and written once, exact', async () => {
    const { db: counted, calls } = observed(db());
    const batch = [
      ...['o1', 'o2', 'o3', 'o4', 'o5'].map((k, i) => change(k, 1, order(`1${i}.10`))),
      change('o2', 2, order('99.99')),
      change('o3', 2, null),
      change('o3', 3, order('0.01')),
    ];
    const store = createRollupStore(counted);
    const result = await store.apply(metric, batch);
    expect(calls).toEqual({ bucketReads: 1, bucketWrites: 1, allMatched: [true] });
    expect(result.buckets).toHaveLength(2); // the hour and the day bucket
    const final = ['o1', 'o4', 'o5'].map((_, i) => order(`1${[0, 3, 4][i]}.10`));
    expect(await storedBuckets()).toEqual(bruteForce([...final, order('99.99'), order('0.01')]));
    expect(await unsettled(store)).toBe(0);
  });

  it('batches applied at the same time by one store: one bucket write for all of them, once each has queued its puts', async () => {
    const { db: counted, calls } = observed(db());
    const store = createRollupStore(counted);
    const [a, b, c] = [
      ['a1', 'a2'],
      ['b1', 'b2'],
      ['c1', 'c2'],
    ].map((keys, j) => keys.map((k, i) => change(k, 1, order(`${j + 1}${i}.25`))));
    const results = await Promise.all([store.apply(metric, a!), store.apply(metric, b!), store.apply(metric, c!)]);

    // The first to arrive waits for the other two: one read, one write, won.
    expect(calls).toEqual({ bucketReads: 1, bucketWrites: 1, allMatched: [true] });
    const expected = bruteForce([...a!, ...b!, ...c!].map((x) => x.data));
    expect(await storedBuckets()).toEqual(expected);
    expect(results.map((r) => r.buckets.map((bucket) => bucket.count).join())).toEqual(['6,6', '6,6', '6,6']);
    expect(await unsettled(store)).toBe(0);
  });

  it('batches started while a bucket write is in flight: queued behind it, merged into one write from the buckets it wrote, no lost race', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let contributionWrites = 0;
    const { db: counted, calls } = observed(db(), {
      gate,
      // Once B and C have written their contributions, the next macrotask finds them queued
      // (nothing between their contribution write and their bucket write awaits the store).
      afterContributionWrite: () => {
        contributionWrites += 1;
        if (contributionWrites === 3) setImmediate(release);
      },
    });
    const store = createRollupStore(counted);
    const [a, b, c] = [
      ['a1', 'a2'],
      ['b1', 'b2'],
      ['c1', 'c2'],
    ].map((keys, j) => keys.map((k, i) => change(k, 1, order(`${j + 1}${i}.25`))));
    const first = store.apply(metric, a!);
    // A's bucket write is in flight (its read held by the gate) before B and C start.
    while (calls.bucketReads === 0) await new Promise((resolve) => setImmediate(resolve));
    const results = await Promise.all([first, store.apply(metric, b!), store.apply(metric, c!)]);

    // A's write alone, then B's and C's together from the buckets A wrote (no read): one read, two writes, both won.
    expect(calls).toEqual({ bucketReads: 1, bucketWrites: 2, allMatched: [true, true] });
    const expected = bruteForce([...a!, ...b!, ...c!].map((x) => x.data));
    expect(await storedBuckets()).toEqual(expected);
    // Each reports the buckets as its write left them: A's alone, the merged two with all six orders.
    expect(results.map((r) => r.buckets.map((bucket) => bucket.count).join())).toEqual(['2,2', '6,6', '6,6']);
    expect(await unsettled(store)).toBe(0);
  });

  it('a redelivered batch (the same versions again) writes no bucket and changes nothing', async () => {
    const batch = [change('r1', 1, order('5.00')), change('r2', 4, order('7.50')), change('r1', 2, order('6.00'))];
    await createRollupStore(db()).apply(metric, batch);
    const before = await revs();
    const { db: counted, calls } = observed(db());
    const again = await createRollupStore(counted).apply(metric, batch);
    expect(again).toEqual({ applied: 0, skipped: 3, buckets: [] });
    expect(calls.bucketWrites).toBe(0);
    expect(await revs()).toEqual(before);
  });

  it('buckets written before the members were encoded: read, merged and rewritten encoded, no member lost', async () => {
    const first = [change('p1', 1, order('1.00')), change('p2', 1, order('2.00', 'tee'))];
    await createRollupStore(db()).apply(metric, first);
    // The earlier form: members as documents, no `m`.
    const buckets = db().collection<BucketDoc>(BUCKETS_COLLECTION);
    for (const doc of await buckets.find({}).toArray()) {
      await buckets.updateOne({ _id: doc._id }, { $set: { members: decodeMembers(doc.m!).map((m) => ({ ...m, t: 1 })) }, $unset: { m: '' } });
    }
    expect(await buckets.countDocuments({ m: { $exists: true } })).toBe(0);

    await createRollupStore(db()).apply(metric, [change('p3', 1, order('3.00')), change('p2', 2, order('2.50', 'tee'))]);
    expect(await storedBuckets()).toEqual(bruteForce([order('1.00'), order('2.50', 'tee'), order('3.00')]));
    const mug = (await buckets.find({ 'dims.product': 'mug' }).toArray()).map((d) => [d.members, decodeMembers(d.m!).map((m) => `${m.k}@${m.v}`)]);
    expect(mug).toEqual([
      [undefined, ['p1@1', 'p3@1']],
      [undefined, ['p1@1', 'p3@1']],
    ]);
  });
});
