import type { Filter } from 'mongodb';
import { ownStoreFixture } from '../../support/own-store-fixture';

/**
 * The local store counts from its indexes what they answer exactly, and every count equals a full
 * scan's. countDocuments is an aggregate ($match + $group) that mongo-java-server answered by
 * reading and matching every document; the launcher (infra/java/MongoServerMain.java,
 * countFromIndexes) now counts an index range, as MongoDB does, when the filter is a conjunction
 * of equalities or one-class ranges on indexed fields, and refuses anything else.
 *
 * Run on a store of its own built from this checkout's launcher, on a data file of its own so it
 * can be restarted (the indexes are rebuilt in memory when the store opens). The truth is the same
 * filter under $or, which no index takes: the store reads and matches every document. A find of
 * the filter (narrowed by an index when its range is small) must find as many. The
 * launcher's canonqlStoreStats command says whether a count was answered from the indexes, so the
 * case also fails when a filter the fast path must refuse is taken, or one it must answer is not.
 */
jest.setTimeout(600_000);

interface Doc {
  _id: string;
  [field: string]: unknown;
}

const DAY = Date.UTC(2026, 0, 1);
const DELETED = '_meta.deleted';

/** A deterministic sequence (a linear congruential generator), so every run writes the same documents. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function plainDoc(n: number, random: () => number): Doc {
  return {
    _id: `d-${String(n).padStart(5, '0')}`,
    data: { n },
    _k: { amount: `k${String(Math.floor(random() * 1000)).padStart(4, '0')}` },
    _meta: { deleted: random() < 0.2, updatedAt: new Date(DAY + Math.floor(random() * 100) * 60_000), version: 1 },
  };
}

/** Documents whose values an index keeps apart or orders as another type: the fast path must still count them as the matcher does. */
function oddDocs(): Doc[] {
  const at = new Date(DAY + 50 * 60_000);
  return [
    { _id: 'odd-array-false', _meta: { deleted: [false], updatedAt: [at] }, _k: { amount: ['k0100', 'k0900'] } },
    { _id: 'odd-array-both', _meta: { deleted: [true, false], updatedAt: at }, _k: { amount: 'k0500' } },
    { _id: 'odd-array-empty', _meta: { deleted: [], updatedAt: [] }, _k: { amount: [] } },
    { _id: 'odd-embedded', _meta: { deleted: { value: false }, updatedAt: { at } }, _k: { amount: { v: 'k0500' } } },
    { _id: 'odd-through-array', _meta: [{ deleted: false, updatedAt: at }, { deleted: true }], _k: [{ amount: 'k0500' }] },
    { _id: 'odd-through-array-2', _meta: [{ deleted: true }], _k: [{ amount: 'k0001' }, { amount: 'k0999' }] },
    { _id: 'odd-missing', _meta: {}, _k: {} },
    { _id: 'odd-no-meta' },
    { _id: 'odd-null', _meta: { deleted: null, updatedAt: null }, _k: { amount: null } },
    { _id: 'odd-scalar-parent', _meta: 'deleted', _k: 7 },
    { _id: 'odd-number', _meta: { deleted: 0, updatedAt: 1767225600000 }, _k: { amount: 500 } },
    { _id: 'odd-string', _meta: { deleted: 'false', updatedAt: '2026-01-01T00:50:00.000Z' }, _k: { amount: 'k0500' } },
    { _id: 'odd-date-amount', _meta: { deleted: false, updatedAt: at }, _k: { amount: at } },
    { _id: 'odd-bool-amount', _meta: { deleted: false, updatedAt: at }, _k: { amount: true } },
  ];
}

/** Filters the indexes answer exactly: each must be counted from them. */
function answered(): Filter<Doc>[] {
  const at = new Date(DAY + 50 * 60_000);
  return [
    {},
    { [DELETED]: false },
    { [DELETED]: true },
    { [DELETED]: { $eq: false } },
    { $and: [{ '_k.amount': { $gte: 'k0200', $lt: 'k0400' } }, { [DELETED]: false }] },
    { '_k.amount': { $gte: 'k0200', $lt: 'k0400' }, [DELETED]: true },
    { '_k.amount': { $lt: 'k0300' } },
    { '_k.amount': { $gt: 'k0700' } },
    { '_k.amount': { $gte: 'k0900', $lte: 'k0100' } },
    // Empty ranges whose two bounds are one value.
    { '_k.amount': { $gt: 'k0500', $lt: 'k0500' } },
    { '_k.amount': { $gte: 'k0500', $lt: 'k0500' } },
    { '_k.amount': { $gt: 'k0500', $lte: 'k0500' } },
    { '_k.amount': { $gte: 'k0500', $lte: 'k0500' } },
    { '_k.amount': 'k0500' },
    { '_meta.updatedAt': { $gt: at } },
    { '_meta.updatedAt': { $lte: at }, [DELETED]: false },
    { '_meta.updatedAt': at },
    { $and: [{ [DELETED]: false }, { [DELETED]: true }] },
    { $and: [{ '_k.amount': { $gte: 'k0100' } }, { '_k.amount': { $lt: 'k0600' } }, { [DELETED]: false }] },
  ];
}

/** Filters the indexes cannot answer exactly (or at all): each must take the general path. */
function refused(): Filter<Doc>[] {
  return [
    { [DELETED]: false, 'data.n': 3 },
    { $or: [{ [DELETED]: false }, { [DELETED]: true }] },
    { [DELETED]: null },
    { [DELETED]: { $exists: true } },
    { [DELETED]: { $ne: true } },
    { [DELETED]: { $in: [false] } },
    { [DELETED]: [false] },
    { [DELETED]: { value: false } },
    { '_k.amount': 500 },
    { '_k.amount': { $gte: 'k0100', $lt: 600 } },
    { '_k.amount': { $regex: '^k0' } },
    { _meta: { deleted: false } },
    { $nor: [{ [DELETED]: true }] },
    { _id: 'd-00001' },
  ];
}

describe('the local store counts from its indexes exactly what a full scan counts', () => {
  const store = ownStoreFixture('index-count');
  const db = () => store.client().db('index_count');
  const docs = () => db().collection<Doc>('docs');

  const indexCounts = async () => (await db().command({ canonqlStoreStats: 1 })).indexCounts as number;

  /** Every filter's count through countDocuments and the count command, against the full scan; and which path answered. */
  async function check(stage: string): Promise<void> {
    const mismatches: string[] = [];
    const paths: string[] = [];
    for (const [filters, fast] of [
      [answered(), true],
      [refused(), false],
    ] as const) {
      for (const filter of filters) {
        const truth = (
          await docs()
            .find({ $or: [filter] }, { projection: { _id: 1 } })
            .toArray()
        ).length;
        const before = await indexCounts();
        const counted = await docs().countDocuments(filter);
        const afterAggregate = await indexCounts();
        const command = (await db().command({ count: 'docs', query: filter })).n as number;
        const afterCommand = await indexCounts();
        // The same filter as a find, which an index narrows when its range is small (every candidate then matched).
        const found = (
          await docs()
            .find(filter, { projection: { _id: 1 } })
            .toArray()
        ).length;
        const name = JSON.stringify(filter);
        if (counted !== truth || command !== truth || found !== truth)
          mismatches.push(`${stage} ${name}: scan ${truth}, countDocuments ${counted}, count ${command}, find ${found}`);
        const taken = [afterAggregate - before, afterCommand - afterAggregate];
        if (taken.some((n) => n !== (fast ? 1 : 0))) paths.push(`${stage} ${name}: from the indexes ${taken.join('/')} times, expected ${fast ? 1 : 0}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(paths).toEqual([]);
  }

  it('through inserts, updates that flip _meta.deleted, deletes and a restart, for plain and odd documents', async () => {
    await docs().createIndex({ [DELETED]: 1, _id: 1 });
    await docs().createIndex({ '_meta.updatedAt': 1, _id: 1 });
    await docs().createIndex({ '_k.amount': 1, _id: 1 });
    // An empty collection, then one filled with plain documents.
    await check('empty');
    const random = sequence(18);
    await docs().insertMany(Array.from({ length: 800 }, (_, n) => plainDoc(n, random)));
    await check('plain');
    await docs().insertMany(oddDocs());
    await check('odd');

    // Updates that flip _meta.deleted both ways, by $set and by replacing the document.
    const flipped = await docs()
      .find({ 'data.n': { $mod: [3, 0] } })
      .toArray();
    await docs().bulkWrite(
      flipped.map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $set: { [DELETED]: !(doc._meta as { deleted: boolean }).deleted } } } })),
    );
    await docs().updateMany({ 'data.n': { $mod: [4, 1] } }, { $set: { [DELETED]: true } });
    for (let n = 1; n < 800; n += 7) {
      const replacement = plainDoc(n, random);
      delete (replacement as Partial<Doc>)._id;
      await docs().replaceOne({ _id: `d-${String(n).padStart(5, '0')}` }, replacement);
    }
    await docs().updateOne({ _id: 'odd-array-false' }, { $set: { [DELETED]: false } });
    await docs().updateOne({ _id: 'd-00010' }, { $set: { [DELETED]: [false] } });
    await docs().updateOne({ _id: 'd-00011' }, { $set: { _meta: [{ deleted: false }] } });
    await docs().updateOne({ _id: 'd-00012' }, { $unset: { _meta: '' } });
    await check('updated');

    // Deletes, of plain and odd documents.
    await docs().deleteMany({ 'data.n': { $mod: [5, 0] } });
    await docs().deleteMany({ _id: { $in: ['odd-through-array', 'odd-number', 'odd-missing'] } });
    await check('deleted');

    // The indexes are rebuilt from the data file when the store opens it again.
    await store.restart();
    await check('restarted');
    await docs().insertMany(Array.from({ length: 50 }, (_, n) => plainDoc(1000 + n, random)));
    await check('restarted and written');
  });
});
