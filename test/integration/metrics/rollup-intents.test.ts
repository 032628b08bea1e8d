import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import {
  BUCKETS_COLLECTION,
  CONTRIBUTIONS_COLLECTION,
  createRollupStore,
  type BucketDoc,
  type EntityChange,
  type StoredContribution,
} from '../../../src/metrics/rollup-store';
import { interceptMethod } from '../../support/intercepted-db';
import { compiledMetric, storedBucketSummaries } from '../../support/metrics-world';
import { databasePerTest } from '../../support/test-env';
import { BASE_MS, bruteForce, PROPERTY_DEFINITION } from '../../unit/metrics/metric-model';

/**
 * A batch's intent record (real store): the process dies at each step of a batch's write sequence
 * (the intent and the contributions in one ordered write, the bucket read, the bucket write, the
 * intent's removal), and another process repairs the rollups to exactly the brute force's values,
 * either by its start-up sweep or by the replay of the uncommitted batch. Afterwards the replay
 * changes nothing (exactly-once effect on the buckets), an older state is still refused, and a
 * newer change of an entity the crashed batch wrote lands exactly.
 */
const metric = compiledMetric(PROPERTY_DEFINITION);

const order = (region: string, sku: string, price: string, status = 'paid'): Record<string, unknown> => ({
  region,
  created_at: new Date(BASE_MS + 3_600_000 + 60_000).toISOString(),
  line_items: [{ sku, price, qty: 1 }],
  status,
});
const change = (key: string, version: number, data: Record<string, unknown> | null): EntityChange => ({ key, version, data, changeTsMs: BASE_MS + version });

const first = [change('o1', 1, order('eu', 'mug', '10.00')), change('o2', 1, order('us', 'tee', '20.00')), change('o3', 1, order('ap', 'cap', '30.00'))];
// o1 moves to another region, o2 is deleted, o3 changes a field the metric does not read, o4 is new.
const second = [
  change('o1', 2, order('us', 'mug', '12.50')),
  change('o2', 2, null),
  change('o3', 2, order('ap', 'cap', '30.00', 'shipped')),
  change('o4', 2, order('eu', 'pen', '4.25')),
];
const afterSecond = () => bruteForce(second.map((c) => c.data));

const STEPS = [
  'the intent only',
  'the intent and part of the contributions',
  'the contributions, before the bucket read',
  'part of the bucket writes',
  'the buckets, before the intent removal',
] as const;
type Step = (typeof STEPS)[number];

/**
 * What the stored contributions say once a process died at `step`: the ordered write puts the
 * intent first, then the replaces (o1, o2, o3) and then the insert (o4); "part" is the intent, o1 and o2.
 */
const storedAfter = (step: Step) =>
  step === 'the intent only'
    ? bruteForce(first.map((c) => c.data))
    : step === 'the intent and part of the contributions'
      ? bruteForce([second[0]!.data, first[2]!.data])
      : afterSecond();

class Crash extends Error {}

const isIntentWrite = (ops: AnyBulkWriteOperation[]) => {
  const head = ops[0];
  return head !== undefined && 'replaceOne' in head && head.replaceOne.upsert === true;
};

/** The database as a process that dies at `step` of its next batch sees it (of the first batch after `armed` says so). */
function dyingAt(db: Db, step: Step, armed: () => boolean = () => true): Db {
  const wrapContributions = (target: Collection) =>
    new Proxy(target, {
      get(real, property, receiver) {
        if (!armed()) return Reflect.get(real, property, receiver);
        if (property === 'bulkWrite')
          return async (ops: AnyBulkWriteOperation[], options: object) => {
            if (!isIntentWrite(ops)) return real.bulkWrite(ops, options);
            if (step === 'the intent only') await real.bulkWrite(ops.slice(0, 1), options);
            else if (step === 'the intent and part of the contributions') await real.bulkWrite(ops.slice(0, 3), options);
            else return real.bulkWrite(ops, options);
            throw new Crash(step);
          };
        if (property === 'deleteOne' && step === 'the buckets, before the intent removal')
          return async () => {
            throw new Crash(step);
          };
        return Reflect.get(real, property, receiver);
      },
    });
  const wrapBuckets = (target: Collection) =>
    new Proxy(target, {
      get(real, property, receiver) {
        if (!armed()) return Reflect.get(real, property, receiver);
        if (property === 'find' && step === 'the contributions, before the bucket read')
          return (filter: object, options?: { projection?: object }) => {
            if (options?.projection) return real.find(filter, options);
            throw new Crash(step);
          };
        if (property === 'bulkWrite' && step === 'part of the bucket writes')
          return async (ops: AnyBulkWriteOperation[], options: object) => {
            await real.bulkWrite(ops.slice(0, 1), options);
            throw new Crash(step);
          };
        return Reflect.get(real, property, receiver);
      },
    });
  return new Proxy(db, {
    get(real, property, receiver) {
      if (property !== 'collection') return Reflect.get(real, property, receiver);
      return (name: string) =>
        name === CONTRIBUTIONS_COLLECTION
          ? wrapContributions(real.collection(name))
          : name === BUCKETS_COLLECTION
            ? wrapBuckets(real.collection(name))
            : real.collection(name);
    },
  });
}

describe('rollup store: a batch intent, with a crash at every step of the write sequence (real store)', () => {
  const db = databasePerTest('rollup_intents');

  const storedBuckets = () => storedBucketSummaries(db(), metric);
  const revs = async () => (await db().collection<BucketDoc>(BUCKETS_COLLECTION).find({}).sort({ _id: 1 }).toArray()).map((d) => [d._id, d.rev]);
  const contributions = () => db().collection<StoredContribution>(CONTRIBUTIONS_COLLECTION);
  const intents = () => contributions().countDocuments({ metric: metric.key, i: { $exists: true } });

  /**
   * Applies the first batch cleanly, then the second in a process that dies at `step`: another
   * process, or (`warm`) the one that wrote the first batch, which holds its buckets in its cache
   * and so writes them without reading them.
   */
  async function crashAt(step: Step, warm = false): Promise<void> {
    let armed = false;
    const dying = createRollupStore(dyingAt(db(), step, () => armed));
    const clean = warm ? dying : createRollupStore(db());
    await clean.apply(metric, first);
    await clean.intentsClosed();
    expect(await intents()).toBe(0);
    armed = true;
    if (step === 'the buckets, before the intent removal') {
      await dying.apply(metric, second);
      await dying.intentsClosed();
    } else {
      await expect(dying.apply(metric, second)).rejects.toBeInstanceOf(Crash);
    }
    expect(await intents()).toBe(1);
  }

  /** After the repair: the replay brings the rest, a second replay and an older state change nothing, a newer change lands exactly. */
  async function expectExactFromNowOn(): Promise<void> {
    const store = createRollupStore(db());
    await store.apply(metric, second);
    expect(await storedBuckets()).toEqual(afterSecond());
    const before = await revs();
    expect(await store.apply(metric, second)).toMatchObject({ applied: 0, skipped: second.length });
    expect(await store.apply(metric, first)).toMatchObject({ applied: 0, skipped: first.length });
    expect(await revs()).toEqual(before);
    expect(await storedBuckets()).toEqual(afterSecond());
    const third = [change('o1', 3, order('eu', 'mug', '13.00')), change('o4', 3, order('eu', 'pen', '4.75'))];
    await store.apply(metric, third);
    expect(await storedBuckets()).toEqual(bruteForce([third[0]!.data, second[2]!.data, third[1]!.data]));
  }

  it.each(STEPS)('died after %s: the start-up sweep settles the rollups to exactly the right values', async (step) => {
    await crashAt(step);
    const restarted = createRollupStore(db());
    await restarted.settleDirty(metric);
    expect(await storedBuckets()).toEqual(storedAfter(step));
    // The intent stays while its writer could still be alive; once older than that, the sweep removes it.
    expect(await intents()).toBe(1);
    await contributions().updateMany({ metric: metric.key, i: { $exists: true } }, { $set: { at: 0 } });
    await restarted.settleDirty(metric);
    expect(await intents()).toBe(0);
    expect(await storedBuckets()).toEqual(storedAfter(step));
    await expectExactFromNowOn();
  });

  it.each(STEPS)('died after %s: the replay of the uncommitted batch settles the rollups to exactly the right values', async (step) => {
    await crashAt(step);
    await expectExactFromNowOn();
  });

  it.each(STEPS)('a process writing its buckets from its cache died after %s: the sweep, then the replay, settle exactly', async (step) => {
    await crashAt(step, true);
    const restarted = createRollupStore(db());
    await restarted.settleDirty(metric);
    expect(await storedBuckets()).toEqual(storedAfter(step));
    await expectExactFromNowOn();
  });

  it('a contribution flagged dirty by a version before intents is settled by the start-up sweep', async () => {
    await crashAt('the contributions, before the bucket read');
    // The stored form of a crash before intents: the contributions flagged, no batch, no intent.
    await contributions().updateMany({ metric: metric.key, p: { $exists: true } }, { $set: { dirty: true }, $unset: { p: '' } });
    await contributions().deleteMany({ metric: metric.key, i: { $exists: true } });
    expect(await storedBuckets()).not.toEqual(afterSecond());
    const restarted = createRollupStore(db());
    await restarted.settleDirty(metric);
    expect(await storedBuckets()).toEqual(afterSecond());
    expect(await contributions().countDocuments({ metric: metric.key, dirty: true })).toBe(0);
    await expectExactFromNowOn();
  });

  it('a batch of a live process: its intent is written ahead of its contributions and removed once its buckets are written', async () => {
    const store = createRollupStore(db());
    let seen: { intent: boolean; ops: number } | undefined;
    const watched = interceptMethod(db(), CONTRIBUTIONS_COLLECTION, 'bulkWrite', (own) => (ops: AnyBulkWriteOperation[], options: { ordered?: boolean }) => {
      seen = { intent: isIntentWrite(ops) && options.ordered === true, ops: ops.length };
      return own(ops, options);
    });
    const live = createRollupStore(watched);
    await store.apply(metric, first);
    await live.apply(metric, second);
    // The intent and the three changed contributions (o3's is unchanged: no bucket, no intent key) in one ordered write.
    expect(seen).toEqual({ intent: true, ops: 5 });
    await live.intentsClosed();
    expect(await intents()).toBe(0);
    expect(await contributions().countDocuments({ metric: metric.key, dirty: true })).toBe(0);
    expect(await storedBuckets()).toEqual(afterSecond());
  });
});
