import { BSONRegExp, Code, Decimal128, Double, Long, type Filter } from 'mongodb';
import { seededRandom } from '../../support/seeded-random';
import { ownStoreFixture } from '../../support/own-store-fixture';

/**
 * The local store's ordered index (infra/java/OrderedIndex.java) holds only values its comparator
 * orders as MongoDB does, and keeps every other one apart: numbers of magnitude 2^31 or more
 * (the comparator calls 5000000000 equal to both 5000000000.25 and 5000000000.75, which it tells
 * apart, and a tree of such values lost entries: finds and counts missed documents or returned one
 * twice), Decimal128, -0.0, NaN, regular expressions and code (which it cannot compare: a second
 * such value failed its insert, left the document half indexed, and the store could no longer
 * start on its data file). Documents whose _ids the comparator calls equal (5000000000 and
 * 5000000000.5) are two entries, not one. Every find and count must equal the same filter under
 * $or (no index takes it: the store reads and matches every document). Run on a store of its own
 * built from this checkout's launcher.
 */
jest.setTimeout(600_000);

interface Doc {
  _id: string | number;
  f?: unknown;
  n?: number;
}

const BIG = [5_000_000_000, 5_000_000_000.25, 5_000_000_000.5, 5_000_000_000.75, 5_000_000_001, -5_000_000_000.25, 2_147_483_648, 2_147_483_647.5];

describe('the local store orders only what its comparator orders exactly', () => {
  const store = ownStoreFixture('ordered-values');
  const docs = () => store.client().db('ordered_values').collection<Doc>('docs');

  async function ids(query: Filter<Doc>): Promise<string[]> {
    return (
      await docs()
        .find(query, { projection: { _id: 1 } })
        .toArray()
    )
      .map((doc) => JSON.stringify(doc._id))
      .sort();
  }

  /** Each filter's find and count against the scan's. */
  async function check(stage: string, filters: Filter<Doc>[]): Promise<void> {
    const mismatches: string[] = [];
    for (const filter of filters) {
      const truth = await ids({ $or: [filter] });
      const found = await ids(filter);
      const counted = await docs().countDocuments(filter);
      const name = JSON.stringify(filter);
      if (JSON.stringify(found) !== JSON.stringify(truth)) mismatches.push(`${stage} find ${name}: scan ${truth.join(' ')}, find ${found.join(' ')}`);
      if (counted !== truth.length) mismatches.push(`${stage} count ${name}: scan ${truth.length}, count ${counted}`);
    }
    expect(mismatches).toEqual([]);
  }

  const numberFilters = (): Filter<Doc>[] =>
    [...BIG, 1, 1.5, 0, 42].flatMap((v) => [{ f: v }, { f: { $gte: v } }, { f: { $lt: v } }, { f: { $gt: v, $lte: v + 1 } }]);

  it('large numbers mixed with fractions, through random updates, deletes and a restart', async () => {
    await docs().createIndex({ f: 1, _id: 1 });
    const random = seededRandom(20261205);
    const pick = () => {
      const r = random();
      if (r < 0.1) return new Long(5_000_000_000);
      if (r < 0.2) return new Double(BIG[Math.floor(random() * 3)]!);
      if (r < 0.3) return Math.floor(random() * 50);
      return BIG[Math.floor(random() * BIG.length)]!;
    };
    await docs().insertMany(Array.from({ length: 400 }, (_, n) => ({ _id: `d${n}`, n, f: pick() })));
    await check('filled', numberFilters());
    for (let i = 0; i < 400; i += 1) await docs().updateOne({ _id: `d${Math.floor(random() * 400)}` }, { $set: { f: pick() } });
    for (let i = 0; i < 60; i += 1) await docs().deleteOne({ _id: `d${Math.floor(random() * 400)}` });
    await check('changed', numberFilters());
    await store.restart();
    await check('restarted', numberFilters());
  });

  it('values it cannot compare (regular expressions, code, Decimal128, -0.0, NaN) and _ids it calls equal', async () => {
    const odd = () => store.client().db('ordered_values').collection<Doc>('odd');
    await odd().createIndex({ f: 1, _id: 1 });
    await odd().insertOne({ _id: 'r1', f: new BSONRegExp('a') });
    await odd().insertOne({ _id: 'r2', f: new BSONRegExp('b') });
    await odd().insertMany([
      { _id: 'c1', f: new Code('1') },
      { _id: 'c2', f: new Code('2') },
      { _id: 'm1', f: Decimal128.fromString('1.5') },
      { _id: 'm2', f: 1.5 },
      { _id: 'z1', f: new Double(-0) },
      { _id: 'z2', f: 0 },
      { _id: 'nan', f: Number.NaN },
      { _id: 's1', f: 'x' },
      { _id: 5_000_000_000, f: 'x' },
      { _id: 5_000_000_000.5, f: 'x' },
    ]);
    const filters: Filter<Doc>[] = [{ f: 'x' }, { f: 1.5 }, { f: 0 }, { f: { $gte: 0 } }, { f: { $lt: 2 } }, { f: { $gt: 'a' } }];
    const checkOdd = async (stage: string) => {
      const mismatches: string[] = [];
      for (const filter of filters) {
        const list = async (query: Filter<Doc>) =>
          (
            await odd()
              .find(query, { projection: { _id: 1 } })
              .toArray()
          )
            .map((doc) => JSON.stringify(doc._id))
            .sort();
        const truth = await list({ $or: [filter] });
        const found = await list(filter);
        const counted = await odd().countDocuments(filter);
        if (JSON.stringify(found) !== JSON.stringify(truth) || counted !== truth.length)
          mismatches.push(`${stage} ${JSON.stringify(filter)}: scan ${truth.join(' ')}, find ${found.join(' ')}, count ${counted}`);
      }
      expect(mismatches).toEqual([]);
    };
    await checkOdd('filled');
    expect((await odd().find({ f: 'x' }).toArray()).length).toBe(3);
    // The store starts again on its data file (it rebuilds the index from the documents), and the documents go.
    await store.restart();
    await checkOdd('restarted');
    expect((await odd().deleteOne({ _id: 'r2' })).deletedCount).toBe(1);
    expect((await odd().deleteOne({ _id: 'c1' })).deletedCount).toBe(1);
    expect(await odd().countDocuments({})).toBe(10);
  });
});
