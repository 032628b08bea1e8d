import type { Db } from 'mongodb';
import { CONTRIBUTIONS_COLLECTION, createRollupStore, type StoredContribution } from '../../../src/metrics/rollup-store';
import { compiledMetric, entityChange, observedCollection, oneLineOrder, storedBucketSummaries } from '../../support/metrics-world';
import { databasePerTest } from '../../support/test-env';
import { bruteForce, PROPERTY_DEFINITION } from '../../unit/metrics/metric-model';

/**
 * Contributions written from the store's copy of them (real store): an entity whose contribution
 * this store wrote last is not read again before its next change; a contribution written since by
 * anyone else (another process, a drop and rebuild that reaches the same `rev`) is read, never
 * overwritten from the stale copy, and no bucket keeps a member the entity has left.
 */
const metric = compiledMetric(PROPERTY_DEFINITION);

const order = oneLineOrder;
const change = entityChange;

/** The database with the contribution ids read (whole documents, by `_id`) and the bulk writes' operations recorded. */
function observed(db: Db) {
  const { db: proxy, reads, writes } = observedCollection(db, CONTRIBUTIONS_COLLECTION);
  const readIds = () => reads.flatMap((filter) => (filter._id as { $in?: string[] } | undefined)?.$in ?? []);
  /** Starts both records afresh. */
  const clear = () => {
    reads.length = 0;
    writes.length = 0;
  };
  return { db: proxy, readIds, writes, clear };
}

describe("rollup store: contributions written from the store's copy of them (real store)", () => {
  const db = databasePerTest('rollup_contribution_cache');
  const storedBuckets = () => storedBucketSummaries(db(), metric);

  it('a contribution this store wrote last is not read again; its next write is guarded by rev and write token', async () => {
    const { db: counted, readIds, writes, clear } = observed(db());
    const store = createRollupStore(counted);
    // Entities this store has not seen, at version 2: each contribution is read first.
    await store.apply(
      metric,
      Array.from({ length: 50 }, (_, i) => change(`order-${i}`, 2, order(`${i}.25`))),
    );
    expect(readIds()).toHaveLength(50);

    clear();
    // order-3 changes its price, order-4 moves region, order-5 is deleted, order-6 gets a stale version, order-50 is new.
    await store.apply(metric, [
      change('order-3', 3, order('99.99')),
      change('order-4', 3, order('4.25', 'us')),
      change('order-5', 3, null),
      change('order-6', 2, order('0.01')),
      change('order-50', 2, order('50.25')),
    ]);
    expect(readIds()).toEqual([`${metric.key}|order-50`]);
    const replaces = writes.flat().flatMap((op) => ('replaceOne' in op && op.replaceOne.upsert !== true ? [op.replaceOne.filter] : []));
    expect(replaces).toHaveLength(3);
    for (const filter of replaces) expect(Object.keys(filter).sort()).toEqual(['_id', 'rev', 'w']);

    const live = Array.from({ length: 51 }, (_, i) => i)
      .filter((i) => i !== 5)
      .map((i) => (i === 3 ? order('99.99') : i === 4 ? order('4.25', 'us') : order(`${i}.25`)));
    expect(await storedBuckets()).toEqual(bruteForce(live));
  });

  it("a contribution another writer wrote since: the write from this store's copy loses its guard and the newer version wins", async () => {
    const a = createRollupStore(db());
    const b = createRollupStore(db());
    await a.apply(metric, [change('e1', 1, order('1.00'))]);
    await b.apply(metric, [change('e1', 5, order('5.00', 'us'))]);
    // a remembers e1 at version 1: version 3 is newer than its copy, older than the store's.
    const result = await a.apply(metric, [change('e1', 3, order('3.00', 'apac'))]);
    expect(result).toMatchObject({ applied: 0, skipped: 1 });
    expect(await storedBuckets()).toEqual(bruteForce([order('5.00', 'us')]));
    // And a newer one than the store's lands, leaving the bucket b put it in.
    await a.apply(metric, [change('e1', 6, order('6.00', 'apac'))]);
    expect(await storedBuckets()).toEqual(bruteForce([order('6.00', 'apac')]));
  });

  it('the metric dropped and rebuilt by another writer up to the same rev: the stale copy does not pass the guard, no bucket keeps the entity twice', async () => {
    const a = createRollupStore(db());
    await a.apply(metric, [change('x1', 1, order('1.00', 'eu'))]);
    const revOf = async () =>
      (
        await db()
          .collection<StoredContribution>(CONTRIBUTIONS_COLLECTION)
          .findOne({ _id: `${metric.key}|x1` })
      )?.rev;
    expect(await revOf()).toBe(1);
    // Another process rebuilds the metric from the entity's newer state: a new document, at rev 1 again, in another region.
    const b = createRollupStore(db());
    await b.drop(metric.key);
    await b.apply(metric, [change('x1', 2, order('2.00', 'us'))]);
    expect(await revOf()).toBe(1);

    // a's copy (rev 1, region eu) would leave x1's member in the us buckets if it passed for the stored document.
    await a.apply(metric, [change('x1', 3, order('3.00', 'apac'))]);
    expect(await storedBuckets()).toEqual(bruteForce([order('3.00', 'apac')]));
  });

  it("this store's own drop forgets its copies: the rebuilt contributions are read", async () => {
    const { db: counted, readIds, clear } = observed(db());
    const store = createRollupStore(counted);
    await store.apply(metric, [change('d1', 2, order('1.00'))]);
    await store.drop(metric.key);
    clear();
    await store.apply(metric, [change('d1', 2, order('1.00'))]);
    expect(readIds()).toEqual([`${metric.key}|d1`]);
    expect(await storedBuckets()).toEqual(bruteForce([order('1.00')]));
  });

  it("an entity's first state is inserted without a read; where a contribution exists after all, the insert loses its round and the next reads it", async () => {
    const { db: counted, readIds, writes, clear } = observed(db());
    const other = createRollupStore(db());
    // Another writer (a backfill, another process) has stored f2 at version 4 and f4 at version 1.
    await other.apply(metric, [change('f2', 4, order('4.00', 'us')), change('f4', 1, order('1.00', 'apac'))]);

    const store = createRollupStore(counted);
    const first = await store.apply(metric, [change('f1', 1, order('1.00'))]);
    expect(first).toMatchObject({ applied: 1, skipped: 0 });
    expect(readIds()).toEqual([]);
    // The batch's intent went first in the inserts' command: one write for the batch.
    expect(writes).toHaveLength(1);
    expect(writes[0]![0]).toMatchObject({ insertOne: { document: { _id: expect.stringMatching(/#/) } } });

    clear();
    // f2's insert is refused (version 1, older than the stored 4: skipped once read). On MongoDB
    // the ordered command stops there and f3's insert is lost with it; either way the read-back
    // and the next round's read decide f3. f4 is a newer state (version 2 beside its 1) of a
    // contribution the other writer stored: read, then replaced.
    const second = await store.apply(metric, [
      change('f2', 1, order('9.00')),
      change('f3', 1, order('3.00')),
      change('f4', 1, order('0.50')),
      change('f4', 2, order('2.00', 'us')),
    ]);
    expect(second).toMatchObject({ applied: 2, skipped: 2 });
    expect(new Set(readIds())).toEqual(new Set(['f2', 'f3', 'f4'].map((k) => `${metric.key}|${k}`)));
    expect(await storedBuckets()).toEqual(bruteForce([order('1.00'), order('4.00', 'us'), order('3.00'), order('2.00', 'us')]));
  });

  it('once a batch finds a first state stored (a replay), first states are read, until a batch finds none stored', async () => {
    const { db: counted, readIds, clear } = observed(db());
    const other = createRollupStore(db());
    await other.apply(metric, [change('r1', 1, order('1.00')), change('r2', 1, order('2.00'))]);

    const store = createRollupStore(counted);
    // The replay of r1's first state: inserted unread, refused, then read.
    expect(await store.apply(metric, [change('r1', 1, order('1.00'))])).toMatchObject({ applied: 0, skipped: 1 });
    expect(readIds()).toContain(`${metric.key}|r1`);

    clear();
    // r2's replayed first state is now read first: no insert is tried for it.
    expect(await store.apply(metric, [change('r2', 1, order('2.00'))])).toMatchObject({ applied: 0, skipped: 1 });
    expect(readIds()).toEqual([`${metric.key}|r2`]);

    clear();
    // n1 is new: still read (the last batch found its first state stored), and found absent.
    await store.apply(metric, [change('n1', 1, order('3.00'))]);
    expect(readIds()).toEqual([`${metric.key}|n1`]);

    clear();
    // That read found none stored: n2's first state is inserted unread again.
    await store.apply(metric, [change('n2', 1, order('4.00'))]);
    expect(readIds()).toEqual([]);
    expect(await storedBuckets()).toEqual(bruteForce([order('1.00'), order('2.00'), order('3.00'), order('4.00')]));
  });
});
