import { ObjectId, type Filter } from 'mongodb';
import { ownStoreFixture } from '../../support/own-store-fixture';

/**
 * The local store answers `{f: {$in: [...]}}` from an index on f, one lookup per value, as MongoDB
 * does: a relation field's batch (`{'data.email': {$in: [the page's emails]}}`) read every document
 * of the related subject before (infra/java/OrderedIndex.java, inValues). Every find must return
 * what the same filter under $or returns (no index takes it: the store reads and matches every
 * document), for plain and odd documents, through updates, deletes and a restart; the launcher's
 * canonqlStoreStats command says whether the index answered, so the case also fails when a list
 * the index must refuse (a number, null, a pattern, too many candidates) is taken, or one it must
 * answer is not. Run on a store of its own built from this checkout's launcher.
 */
jest.setTimeout(600_000);

interface Doc {
  _id: string;
  [field: string]: unknown;
}

const EMAIL = 'data.email';
const AT = new Date(Date.UTC(2026, 0, 1));
const OID = new ObjectId('65a1b2c3d4e5f6a7b8c9d0e1');

const plainDoc = (n: number): Doc => ({
  _id: `c-${String(n).padStart(5, '0')}`,
  data: { email: `user${n % 1500}@example.com`, n },
  _meta: { deleted: n % 7 === 0 },
});

/** Values an index keeps apart or orders as another type: the lookup must still find what the matcher finds. */
function oddDocs(): Doc[] {
  return [
    { _id: 'odd-array', data: { email: ['user1@example.com', 'user2@example.com'] }, _meta: { deleted: false } },
    { _id: 'odd-array-empty', data: { email: [] }, _meta: { deleted: false } },
    { _id: 'odd-embedded', data: { email: { address: 'user1@example.com' } }, _meta: { deleted: false } },
    { _id: 'odd-through-array', data: [{ email: 'user1@example.com' }, { email: 'user3@example.com' }], _meta: { deleted: false } },
    { _id: 'odd-missing', data: {}, _meta: { deleted: false } },
    { _id: 'odd-null', data: { email: null }, _meta: { deleted: false } },
    { _id: 'odd-number', data: { email: 1 }, _meta: { deleted: false } },
    { _id: 'odd-date', data: { email: AT }, _meta: { deleted: false } },
    { _id: 'odd-oid', data: { email: OID }, _meta: { deleted: false } },
    { _id: 'odd-bool', data: { email: true }, _meta: { deleted: false } },
    { _id: 'odd-case', data: { email: 'User1@Example.com' }, _meta: { deleted: false } },
  ];
}

/** Lists the index answers: strings, dates, ObjectIds, booleans (one class or several), repeated values, values no document has. */
function answered(): Filter<Doc>[] {
  const page = Array.from({ length: 20 }, (_, i) => `user${i * 37}@example.com`);
  return [
    { [EMAIL]: { $in: page } },
    { [EMAIL]: { $in: page }, '_meta.deleted': false },
    { $and: [{ [EMAIL]: { $in: ['user1@example.com', 'user2@example.com'] } }, { '_meta.deleted': false }] },
    { [EMAIL]: { $in: ['user1@example.com', 'user1@example.com', 'user3@example.com'] } },
    { [EMAIL]: { $in: ['nobody@example.com'] } },
    { [EMAIL]: { $in: [AT, 'user5@example.com'] } },
    { [EMAIL]: { $in: [OID] } },
    { [EMAIL]: { $in: [true, false] } },
    { [EMAIL]: { $in: ['User1@Example.com'] } },
  ];
}

/** Lists the index must leave to the scan: values it cannot order like the matcher, or too many candidates. */
function refused(): Filter<Doc>[] {
  return [
    { [EMAIL]: { $in: [1, 'user1@example.com'] } },
    { [EMAIL]: { $in: [null] } },
    { [EMAIL]: { $in: [/^user1@/] } },
    { [EMAIL]: { $in: [['user1@example.com', 'user2@example.com']] } },
    { [EMAIL]: { $in: [{ address: 'user1@example.com' }] } },
    { [EMAIL]: { $in: [] } },
    { [EMAIL]: { $nin: ['user1@example.com'] } },
    { [EMAIL]: { $in: ['user1@example.com'], $ne: 'user2@example.com' } },
    // More candidates than a quarter of the collection: the scan is cheaper.
    { [EMAIL]: { $in: Array.from({ length: 1000 }, (_, i) => `user${i}@example.com`) } },
  ];
}

describe('the local store answers an $in list from an index, finding what a full scan finds', () => {
  const store = ownStoreFixture('in-list');
  const docs = () => store.client().db('in_list').collection<Doc>('docs');
  const byIndex = async () => (await store.client().db('in_list').command({ canonqlStoreStats: 1 })).inListsByIndex as number;

  async function check(stage: string): Promise<void> {
    const mismatches: string[] = [];
    const paths: string[] = [];
    for (const [filters, fast] of [
      [answered(), true],
      [refused(), false],
    ] as const) {
      for (const filter of filters) {
        const ids = async (query: Filter<Doc>) =>
          (
            await docs()
              .find(query, { projection: { _id: 1 } })
              .toArray()
          )
            .map((doc) => doc._id)
            .sort();
        const truth = await ids({ $or: [filter] });
        const before = await byIndex();
        const found = await ids(filter);
        const taken = (await byIndex()) - before;
        const name = JSON.stringify(filter).slice(0, 160);
        if (JSON.stringify(found) !== JSON.stringify(truth)) mismatches.push(`${stage} ${name}: scan ${truth.length} ids, find ${found.length}`);
        if (taken !== (fast ? 1 : 0)) paths.push(`${stage} ${name}: from the index ${taken} times, expected ${fast ? 1 : 0}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(paths).toEqual([]);
  }

  it('through inserts, updates of the field, deletes and a restart, for plain and odd documents', async () => {
    await docs().createIndex({ [EMAIL]: 1, _id: 1 });
    await docs().insertMany(Array.from({ length: 3000 }, (_, n) => plainDoc(n)));
    await docs().insertMany(oddDocs());
    await check('filled');

    // Values move: some to another address, some to an array, some away; some documents go.
    await docs().updateMany({ 'data.n': { $lt: 100 } }, { $set: { [EMAIL]: 'moved@example.com' } });
    await docs().updateMany({ 'data.n': { $gte: 100, $lt: 110 } }, { $set: { [EMAIL]: ['user1@example.com', 'moved@example.com'] } });
    await docs().updateMany({ 'data.n': { $gte: 110, $lt: 120 } }, { $unset: { [EMAIL]: '' } });
    await docs().deleteMany({ 'data.n': { $gte: 1000, $lt: 1100 } });
    await docs().updateOne({ _id: 'odd-array' }, { $set: { [EMAIL]: 'user2@example.com' } });
    await check('changed');

    // The index is rebuilt from the documents when the store opens the collection.
    await store.restart();
    await check('restarted');
  });
});
