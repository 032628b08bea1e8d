import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import { BUCKETS_COLLECTION, CONTRIBUTIONS_COLLECTION, createRollupStore, type EntityChange, type RollupStore } from '../../../src/metrics/rollup-store';
import { compiledMetric, unsettledRecords, storedBucketSummaries } from '../../support/metrics-world';
import { databasePerTest } from '../../support/test-env';
import { BASE_MS, bruteForce, PROPERTY_DEFINITION } from '../../unit/metrics/metric-model';

/**
 * Two writers of one metric racing on the real store, with the interleaving forced: writer A
 * reads, then writer B writes the same documents completely, then A's compare-and-set round
 * runs against documents that moved under it. A must lose that round, read again and retry
 * (its write counter shows the second round), and the rollups must hold every writer's change:
 * the buckets equal a brute-force computation of the entities' final states.
 */
const metric = compiledMetric(PROPERTY_DEFINITION);

/** One order whose only line falls in the same hour and day buckets as every other order here. */
const order = (price: string): Record<string, unknown> => ({
  region: 'eu',
  created_at: new Date(BASE_MS + 3_600_000 + 60_000).toISOString(),
  line_items: [{ sku: 'mug', price, qty: 1 }],
  status: 'paid',
});
const change = (key: string, version: number, data: Record<string, unknown>): EntityChange => ({ key, version, data, changeTsMs: BASE_MS + version });

/**
 * The database as writer A sees it: its first compare-and-set round on `collection` (a bulk write
 * of inserts and guarded replaces) waits for `meanwhile` (writer B's whole apply) before it
 * reaches the store; `rounds` counts those rounds (not the `dirty` flag's clears).
 */
function interleaved(db: Db, collection: string, meanwhile: () => Promise<unknown>): { db: Db; rounds: () => number } {
  let rounds = 0;
  const wrap = (target: Collection) =>
    new Proxy(target, {
      get(real, property, receiver) {
        if (property !== 'bulkWrite') return Reflect.get(real, property, receiver);
        return async (ops: AnyBulkWriteOperation[], options: object) => {
          if (ops.some((op) => 'insertOne' in op || 'replaceOne' in op)) {
            rounds += 1;
            if (rounds === 1) await meanwhile();
          }
          return real.bulkWrite(ops, options);
        };
      },
    });
  const proxy = new Proxy(db, {
    get(real, property, receiver) {
      if (property !== 'collection') return Reflect.get(real, property, receiver);
      return (name: string) => (name === collection ? wrap(real.collection(name)) : real.collection(name));
    },
  });
  return { db: proxy, rounds: () => rounds };
}

describe('rollup store: two writers racing on the same documents (real store)', () => {
  const db = databasePerTest('rollup_race');

  const storedBuckets = () => storedBucketSummaries(db(), metric);

  const unsettled = (...stores: RollupStore[]) => unsettledRecords(db(), metric, stores);

  const KEYS = ['o1', 'o2', 'o3', 'o4'];

  it('the same entities: a writer whose contributions moved under it re-reads and writes its newer versions', async () => {
    const b = createRollupStore(db());
    const older = KEYS.map((k, i) => change(k, 2, order(`1${i}.00`)));
    const newer = KEYS.map((k, i) => change(k, 3, order(`2${i}.50`)));
    const a = interleaved(db(), CONTRIBUTIONS_COLLECTION, () => b.apply(metric, older));

    const storeA = createRollupStore(a.db);
    const result = await storeA.apply(metric, newer);

    // The first round lost every write (B had inserted them); the second, after a new read, won.
    expect(a.rounds()).toBe(2);
    expect(result).toMatchObject({ applied: KEYS.length, skipped: 0 });
    expect(await storedBuckets()).toEqual(bruteForce(newer.map((c) => c.data)));
    expect(await unsettled(storeA, b)).toBe(0);
  });

  it('the same entities: a writer whose versions were overtaken re-reads and skips them', async () => {
    const b = createRollupStore(db());
    const older = KEYS.map((k, i) => change(k, 2, order(`1${i}.00`)));
    const newer = KEYS.map((k, i) => change(k, 3, order(`2${i}.50`)));
    const a = interleaved(db(), CONTRIBUTIONS_COLLECTION, () => b.apply(metric, newer));

    const storeA = createRollupStore(a.db);
    const result = await storeA.apply(metric, older);

    // The first round lost every write; the new read finds nothing older to replace, so no second round.
    expect(a.rounds()).toBe(1);
    expect(result).toMatchObject({ applied: 0, skipped: KEYS.length });
    expect(await storedBuckets()).toEqual(bruteForce(newer.map((c) => c.data)));
    expect(await unsettled(storeA, b)).toBe(0);
  });

  it('different entities in the same buckets: a writer whose buckets moved under it merges into them, no member lost', async () => {
    const b = createRollupStore(db());
    const fromA = ['a1', 'a2', 'a3'].map((k, i) => change(k, 1, order(`3${i}.25`)));
    const fromB = ['b1', 'b2', 'b3'].map((k, i) => change(k, 1, order(`4${i}.75`)));
    const a = interleaved(db(), BUCKETS_COLLECTION, () => b.apply(metric, fromB));

    const storeA = createRollupStore(a.db);
    const result = await storeA.apply(metric, fromA);

    expect(a.rounds()).toBe(2);
    expect(result.applied).toBe(fromA.length);
    const expected = bruteForce([...fromA, ...fromB].map((c) => c.data));
    expect([...expected.values()].map((bucket) => bucket.count)).toEqual([6, 6]);
    expect(await storedBuckets()).toEqual(expected);
    // What A reports as written is the merged bucket, B's members included.
    expect(result.buckets.map((bucket) => bucket.count)).toEqual([6, 6]);
    expect(await unsettled(storeA, b)).toBe(0);
  });
});
