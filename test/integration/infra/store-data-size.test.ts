import { calculateObjectSize } from 'bson';
import type { Db } from 'mongodb';
import { checkoutStoreOnFile } from '../../support/checkout-store';
import { seededRandom } from '../../support/seeded-random';
import { createLeftovers } from '../../support/test-env';

/**
 * The local store's data size (collStats' size and avgObjSize, dbStats' dataSize) is what the
 * stored documents measure. mongo-java-server kept it as a running total, BSON-encoding the old
 * and the new document of every write only to measure them; the launcher
 * (infra/java/MongoServerMain.java, IdFirstCollection.getDataSize) sums it from the stored
 * documents when a command asks instead. The truth is the plain answer: every document read back
 * and measured here, after inserts, updates that grow and shrink documents, deletes and a
 * restart. Run on a store of its own built from this checkout's launcher.
 */
jest.setTimeout(300_000);

interface Doc {
  _id: string;
  n: number;
  text: string;
  tags: string[];
  nested?: { at: Date; note: string };
}

const leftovers = createLeftovers();
afterAll(() => leftovers.dispose());

async function plainSizes(db: Db, names: readonly string[]) {
  const sizes: Record<string, { count: number; size: number }> = {};
  for (const name of names) {
    const docs = await db.collection(name).find().toArray();
    sizes[name] = { count: docs.length, size: docs.reduce((sum, d) => sum + calculateObjectSize(d), 0) };
  }
  return sizes;
}

async function storeSizes(db: Db, names: readonly string[]) {
  const sizes: Record<string, { count: number; size: number }> = {};
  for (const name of names) {
    const stats = await db.command({ collStats: name });
    sizes[name] = { count: Number(stats.count), size: Number(stats.size) };
  }
  return sizes;
}

describe('the local store reports the data size its documents measure', () => {
  it('through inserts, growing and shrinking updates, deletes and a restart', async () => {
    const onFile = checkoutStoreOnFile('store-data-size', leftovers);
    const names = ['docs', 'empty', 'other'];

    const withStore = <T>(work: (db: Db) => Promise<T>): Promise<T> => onFile((client) => work(client.db('sizes')));

    const random = seededRandom(31);
    const doc = (n: number): Doc => ({
      _id: `d-${n}`,
      n,
      text: `${'x'.repeat(Math.floor(random() * 200))}é${n}`,
      tags: Array.from({ length: Math.floor(random() * 5) }, (_, i) => `t${i}`),
      ...(random() < 0.5 ? { nested: { at: new Date(Date.UTC(2026, 0, 1) + n), note: 'ü'.repeat(n % 7) } } : {}),
    });

    await withStore(async (db) => {
      await db.createCollection('empty');
      const docs = db.collection<Doc>('docs');
      await docs.insertMany(Array.from({ length: 300 }, (_, n) => doc(n)));
      await db.collection<Doc>('other').insertMany(Array.from({ length: 40 }, (_, n) => doc(1000 + n)));
      expect(await storeSizes(db, names)).toEqual(await plainSizes(db, names));

      for (let n = 0; n < 300; n += 3) {
        const { _id, ...body } = doc(n + 5000);
        await docs.replaceOne({ _id: `d-${n}` }, { ...body, n });
      }
      await docs.updateMany({ n: { $lt: 100 } }, { $set: { text: 'short' }, $unset: { nested: '' } });
      await docs.updateMany({ n: { $gte: 200 } }, { $push: { tags: 'grown'.repeat(20) } });
      await docs.deleteMany({ n: { $mod: [7, 0] } });
      await docs.bulkWrite([
        { insertOne: { document: doc(9000) } },
        { replaceOne: { filter: { _id: 'd-1' }, replacement: { n: 1, text: 'r', tags: [] } } },
        { deleteOne: { filter: { _id: 'd-2' } } },
      ]);
      const before = await plainSizes(db, names);
      expect(before.docs!.count).toBeGreaterThan(200);
      expect(await storeSizes(db, names)).toEqual(before);
      const dbStats = await db.command({ dbStats: 1 });
      expect(Number(dbStats.dataSize)).toBe(Object.values(before).reduce((sum, s) => sum + s.size, 0));
    });

    // A new process reads every document from the file.
    await withStore(async (db) => {
      expect(await storeSizes(db, names)).toEqual(await plainSizes(db, names));
      await db.collection<Doc>('docs').deleteMany({});
      expect((await storeSizes(db, ['docs'])).docs).toEqual({ count: 0, size: 0 });
    });
  });
});
