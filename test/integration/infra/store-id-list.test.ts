import { EJSON } from 'bson';
import { type Collection, type Db, type Document as StoredDocument, type Filter, ObjectId } from 'mongodb';
import { checkoutStoreOnFile } from '../../support/checkout-store';
import { seededRandom } from '../../support/seeded-random';
import { createLeftovers } from '../../support/test-env';

/** Documents with _ids of any type. */
type Document = { _id: unknown; [field: string]: unknown };

/**
 * The local store answers a list of string _ids ({_id: {$in: [...]}}, a batch's state read and the
 * event log's lookup of replayed events) with one _id index lookup per distinct key
 * (infra/java/MongoServerMain.java), instead of matching every document it finds against the whole
 * list again (n² comparisons: 1,000 keys took about 115 ms).
 *
 * What a client sees must not change, so the case is differential: each query is also asked as
 * `{$and: [{_id: {$in: [...]}}]}`, which the lookup does not take (mongo-java-server's general
 * path), and both answers must hold the same documents, also with duplicates, absent keys, a
 * projection, a sort with skip and limit, and on a restarted store. A list holding anything but
 * strings takes the general path. The launcher's canonqlStoreStats command counts the lists the
 * lookup answered, so the case fails on a launcher without it. Run on a store of its own built
 * from this checkout's launcher.
 */
jest.setTimeout(300_000);

const leftovers = createLeftovers();
afterAll(() => leftovers.dispose());

const random = seededRandom(41);
const KEYS = Array.from({ length: 300 }, (_, i) => `{"$oid":"${String(i).padStart(24, '0')}"}`);

async function lookups(db: Db): Promise<number> {
  return (await db.command({ canonqlStoreStats: 1 })).idListsByLookup as number;
}

function stored(docs: readonly object[]): string[] {
  return docs.map((d) => EJSON.stringify(d, { relaxed: false }));
}

/** The same find through the lookup and through the general path; returns both answers. */
async function both(
  collection: Collection<Document>,
  ids: readonly unknown[],
  shape: (find: ReturnType<Collection<Document>['find']>) => ReturnType<Collection<Document>['find']> = (f) => f,
): Promise<[string[], string[]]> {
  const fast = await shape(collection.find({ _id: { $in: [...ids] } } as unknown as Filter<Document>)).toArray();
  const general = await shape(collection.find({ $and: [{ _id: { $in: [...ids] } }] } as unknown as Filter<Document>)).toArray();
  return [stored(fast), stored(general)];
}

const sorted = (docs: string[]) => [...docs].sort();

describe('the local store looks up a list of string _ids one key at a time', () => {
  it('answers as the general path does, with duplicates, absent keys, projections, sorts and pages, also after a restart', async () => {
    const onFile = checkoutStoreOnFile('store-id-list', leftovers);
    const withDb = <T>(work: (db: Db) => Promise<T>): Promise<T> => onFile((client) => work(client.db('lists')));

    await withDb(async (db) => {
      const states = db.collection<Document>('state_order');
      await states.insertMany(
        KEYS.map((key, i) => ({
          _id: key,
          data: { total: Math.floor(random() * 1000), note: random() < 0.2 ? 'ü✓' : 'x', tags: i % 7 === 0 ? ['a', 'b'] : [] },
          _meta: { version: 1 + (i % 5), deleted: i % 11 === 0 },
        })),
      );
      // _ids of other types, which a list of strings must not find (nor a list holding them lose).
      await states.insertMany([
        { _id: 7, n: 1 },
        { _id: new ObjectId('000000000000000000000007'), n: 2 },
        { _id: '7', n: 3 },
      ]);

      const before = await lookups(db);
      const picks = Array.from({ length: 120 }, () => KEYS[Math.floor(random() * KEYS.length)]!);
      const cases: { ids: unknown[]; shape?: Parameters<typeof both>[2] }[] = [
        { ids: picks },
        { ids: [...picks, ...picks.slice(0, 30), 'absent-1', '{"$oid":"ffffffffffffffffffffffff"}'] },
        { ids: ['7'] },
        { ids: [] },
        { ids: KEYS },
        { ids: picks, shape: (f) => f.project({ '_meta.version': 1 }) },
        { ids: picks, shape: (f) => f.sort({ '_meta.version': -1, _id: 1 }).skip(5).limit(17) },
        { ids: picks, shape: (f) => f.sort({ _id: -1 }).limit(3) },
      ];
      // In order too: the general path returns this collection (keyed by _id) in _id order, and
      // mongo-java-server's own lookup of a list sorted it the same way.
      for (const { ids, shape } of cases) {
        const [fast, general] = await both(states, ids, shape);
        expect(fast).toEqual(general);
      }
      expect(await lookups(db)).toBe(before + cases.length);
      const [found] = await both(states, ['7', 'absent-2']);
      expect(found.map((d) => EJSON.parse(d) as Document)).toEqual([{ _id: '7', n: 3 }]);

      // Any value that is not a string: the general path, with its type rules (7 finds only the number).
      const mixed = await lookups(db);
      const [fast, general] = await both(states, [7, '7', KEYS[0]]);
      expect(sorted(fast)).toEqual(sorted(general));
      expect(fast).toHaveLength(3);
      expect(await lookups(db)).toBe(mixed);

      // Writes that select by a list go through the same query: two copies of the collection, one
      // written by the list, one by `{$and: [list]}`, must end the same, with the same replies.
      const copies = [db.collection('by_list'), db.collection('by_and')];
      for (const copy of copies) await copy.insertMany((await states.find().toArray()) as StoredDocument[]);
      const select = (general: boolean, ids: unknown[]) => (general ? { $and: [{ _id: { $in: ids } }] } : { _id: { $in: ids } }) as Filter<StoredDocument>;
      const writes: ((c: Collection<StoredDocument>, general: boolean) => Promise<unknown>)[] = [
        async (c, g) => {
          const r = await c.updateMany(select(g, picks.slice(0, 60)), { $inc: { '_meta.version': 1 }, $set: { touched: true } });
          return [r.matchedCount, r.modifiedCount];
        },
        async (c, g) => {
          const r = await c.updateOne(select(g, [KEYS[5], KEYS[6]]), { $set: { first: true } });
          return [r.matchedCount, r.modifiedCount];
        },
        async (c, g) => (await c.findOneAndUpdate(select(g, picks.slice(70, 90)), { $set: { one: 1 } }, { sort: { _id: -1 }, returnDocument: 'after' }))?._id,
        async (c, g) => (await c.deleteMany(select(g, [...picks.slice(30, 90), 'absent-3']))).deletedCount,
        async (c, g) => (await c.deleteOne(select(g, picks.slice(100)))).deletedCount,
      ];
      const [byList, byAnd] = copies as [Collection<StoredDocument>, Collection<StoredDocument>];
      for (const write of writes) expect(await write(byList, false)).toEqual(await write(byAnd, true));
      expect(stored(await byList.find().sort({ _id: 1 }).toArray())).toEqual(stored(await byAnd.find().sort({ _id: 1 }).toArray()));
    });

    // A restart: every page read back from the file.
    await withDb(async (db) => {
      const states = db.collection<Document>('state_order');
      const [fast, general] = await both(states, [...KEYS].reverse().slice(0, 150));
      expect(sorted(fast)).toEqual(sorted(general));
      expect(fast).toHaveLength(150);
      // The event log's lookup of replayed events: ids that are hex strings.
      const events = db.collection<Document>('canonical_events');
      await events.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `e${i.toString(16).padStart(31, '0')}`, subject: 'order', version: i })));
      const ids = Array.from({ length: 60 }, (_, i) => `e${(i * 3).toString(16).padStart(31, '0')}`);
      const [fastEvents, generalEvents] = await both(events, ids);
      expect(sorted(fastEvents)).toEqual(sorted(generalEvents));
      expect(fastEvents).toHaveLength(17);
    });
  });
});
