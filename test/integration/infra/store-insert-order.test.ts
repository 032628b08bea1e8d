import { MongoServerError, type Db } from 'mongodb';
import { checkoutStoreOnFile } from '../../support/checkout-store';
import { EVENT_LOG_COLLECTION } from '../../../src/events/event-log';
import { seededRandom } from '../../support/seeded-random';
import { createLeftovers } from '../../support/test-env';

/**
 * The local store keeps the event log in insertion order (infra/java/MongoServerMain.java,
 * IdFirstCollection.insertOrdered): its documents are keyed by a sequence number, and the _id
 * index maps each hashed id to one, so inserts fill the last page instead of dirtying pages across
 * the whole log. What a client sees: every document by _id, by `$in`, by a filter and in a sorted
 * page as before, duplicates refused, and a plain `find()` in insertion order (MongoDB's natural
 * order) rather than by _id; the same after a restart, with inserts after it appended after the
 * earlier ones (none overwritten). A collection written keyed by _id before the flag named it
 * stays so. Run on a store of its own built from this checkout's launcher.
 */
jest.setTimeout(300_000);

interface Logged {
  _id: string;
  n: number;
  subject: string;
  published: boolean;
  body: { text: string; at: Date };
}

const leftovers = createLeftovers();
afterAll(() => leftovers.dispose());

const random = seededRandom(47);
const hexId = () => Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
const logged = (n: number): Logged => ({
  _id: hexId(),
  n,
  subject: n % 3 === 0 ? 'order' : 'customer',
  published: false,
  body: { text: `${'e'.repeat(n % 50)}ü${n}`, at: new Date(Date.UTC(2026, 11, 3) + n) },
});

describe('the local store keeps the event log in insertion order', () => {
  it('reads back what was written, in insertion order, across a restart', async () => {
    const onFile = checkoutStoreOnFile('store-insert-order', leftovers);
    const withStore = <T>(work: (log: Db, legacy: Db) => Promise<T>, extraFlags: readonly string[] = []): Promise<T> =>
      onFile((client) => work(client.db('log'), client.db('legacy')), { extraFlags });
    const ids = (docs: readonly { _id: string }[]) => docs.map((d) => d._id);
    const sorted = (values: readonly string[]) => [...values].sort();

    // Written by a store whose flag names no collection: keyed by _id, and it stays so.
    const legacyDocs = Array.from({ length: 60 }, (_, n) => logged(n));
    await withStore(
      async (_log, legacy) => {
        await legacy.collection<Logged>(EVENT_LOG_COLLECTION).insertMany(legacyDocs);
      },
      ['-Dcanonql.store.insertOrderedCollections='],
    );

    const kept: Logged[] = [];
    let written: Logged[] = [];
    await withStore(async (log, legacy) => {
      const events = log.collection<Logged>(EVENT_LOG_COLLECTION);
      await events.createIndex({ subject: 1, n: 1 });
      await events.createIndex({ n: 1, _id: 1 });
      written = Array.from({ length: 400 }, (_, n) => logged(n));
      await events.insertMany(written.slice(0, 250), { ordered: false });
      for (const doc of written.slice(250, 260)) await events.insertOne(doc);
      await events.insertMany(written.slice(260));
      // A duplicate id is refused and changes nothing.
      await expect(events.insertOne({ ...logged(999), _id: written[7]!._id })).rejects.toMatchObject({ code: 11000 });
      const batch = await events
        .insertMany([logged(1000), { ...logged(1001), _id: written[8]!._id }, logged(1002)], { ordered: false })
        .catch((e: unknown) => e);
      expect(batch).toBeInstanceOf(MongoServerError);
      // The unordered insert stored the new ids before the duplicate, after every earlier one.
      const late = await events.find({ n: { $gte: 1000 } }).toArray();
      expect(late.map((d) => d.n)).toContain(1000);
      expect(late.map((d) => d.n)).not.toContain(1001);
      written.push(...late);
      // Marked published, and the unpublished of some ids discarded.
      await events.bulkWrite(written.slice(0, 100).map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { published: true } } } })));
      for (const doc of written.slice(50, 150)) await events.deleteOne({ _id: doc._id, published: false });
      for (const doc of written) {
        if (doc.n >= 100 && doc.n < 150) continue;
        kept.push({ ...doc, published: doc.n < 100 });
      }

      expect(await events.find().toArray()).toEqual(kept);
      expect(await events.countDocuments()).toBe(kept.length);
      expect(ids(await events.find().sort({ _id: 1 }).limit(7).toArray())).toEqual(sorted(ids(kept)).slice(0, 7));
      expect(
        await events
          .find({ n: { $gte: 390 } })
          .sort({ n: -1, _id: -1 })
          .limit(3)
          .toArray(),
      ).toEqual(
        [...kept]
          .filter((d) => d.n >= 390)
          .sort((a, b) => b.n - a.n)
          .slice(0, 3),
      );
      const some = [written[3]!, written[120]!, written[399]!, written[2]!];
      const found = await events.find({ _id: { $in: some.map((d) => d._id) } }).toArray();
      expect(sorted(ids(found))).toEqual(sorted([written[3]!._id, written[399]!._id, written[2]!._id]));
      expect(await events.findOne({ _id: written[160]!._id, published: false })).toEqual(kept.find((d) => d.n === 160));

      // The collection keyed by _id before keeps its layout: natural order is by _id.
      const legacyEvents = legacy.collection<Logged>(EVENT_LOG_COLLECTION);
      await legacyEvents.insertOne(logged(500));
      expect(ids(await legacyEvents.find().toArray())).toEqual(sorted(ids(await legacyEvents.find().toArray())));
      expect(await legacyEvents.countDocuments()).toBe(61);
    });

    // A new process reads every document from the file, in the same order; inserts append.
    await withStore(async (log, legacy) => {
      const events = log.collection<Logged>(EVENT_LOG_COLLECTION);
      expect(await events.find().toArray()).toEqual(kept);
      for (const doc of kept) expect(await events.findOne({ _id: doc._id })).toEqual(doc);
      await expect(events.insertOne({ ...logged(2000), _id: kept[0]!._id })).rejects.toMatchObject({ code: 11000 });
      const more = Array.from({ length: 30 }, (_, n) => logged(3000 + n));
      await events.insertMany(more);
      expect(await events.find().toArray()).toEqual([...kept, ...more]);
      expect(await events.find({ subject: 'order', n: { $gte: 3000 } }).toArray()).toEqual(more.filter((d) => d.subject === 'order'));

      const legacyEvents = legacy.collection<Logged>(EVENT_LOG_COLLECTION);
      await legacyEvents.insertOne(logged(501));
      const legacyIds = ids(await legacyEvents.find().toArray());
      expect(legacyIds).toHaveLength(62);
      expect(legacyIds).toEqual(sorted(legacyIds));
      for (const doc of legacyDocs) expect(await legacyEvents.findOne({ _id: doc._id })).toEqual(doc);
    });
  });
});
