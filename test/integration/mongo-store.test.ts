import type { Collection, Db, MongoClient } from 'mongodb';
import { testMongo, uniqueName } from '../support/test-env';

/**
 * The MongoDB operations canonql's design relies on, run against the real store of the stack.
 * Anything the store does not support is deliberately absent here and avoided by the design
 * (see docs/local-stack.md, "What the store supports").
 */
describe('the MongoDB-wire store', () => {
  let client: MongoClient;
  let db: Db;
  beforeAll(async () => {
    client = await testMongo();
    db = client.db(uniqueName('store'));
  });
  afterAll(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  interface Entity {
    _id: string;
    position: string;
    value?: number;
    hits?: number;
    lo?: number;
    hi?: number;
    note?: string;
  }

  /** The guarded upsert of canonql's state store: apply only when the stored position is older. */
  async function guardedUpsert(entities: Collection<Entity>, id: string, position: string, value: number) {
    try {
      return await entities.findOneAndUpdate(
        { _id: id, position: { $lt: position } },
        { $set: { position, value }, $inc: { hits: 1 }, $min: { lo: value }, $max: { hi: value } },
        { upsert: true, returnDocument: 'after' },
      );
    } catch (error) {
      // The filter missed (stored position is newer or equal), so the upsert tried to insert a
      // second document with the same _id: that duplicate-key error means "stale", not failure.
      if ((error as { code?: number }).code === 11000) return null;
      throw error;
    }
  }

  it('applies a conditional upsert only for a newer position', async () => {
    const entities = db.collection<Entity>(uniqueName('entities'));
    expect(await guardedUpsert(entities, 'e1', 'pg:0000000010', 5)).toMatchObject({ value: 5, hits: 1, lo: 5, hi: 5 });
    expect(await guardedUpsert(entities, 'e1', 'pg:0000000020', 9)).toMatchObject({ value: 9, hits: 2, lo: 5, hi: 9 });
    expect(await guardedUpsert(entities, 'e1', 'pg:0000000020', 1)).toBeNull(); // duplicate
    expect(await guardedUpsert(entities, 'e1', 'pg:0000000015', 1)).toBeNull(); // stale
    expect(await entities.findOne({ _id: 'e1' })).toEqual({ _id: 'e1', position: 'pg:0000000020', value: 9, hits: 2, lo: 5, hi: 9 });
  });

  it('supports $set, $unset, $inc, $min and $max together', async () => {
    const entities = db.collection<Entity>(uniqueName('ops'));
    await entities.insertOne({ _id: 'x', position: 'a', value: 10, hits: 1, lo: 3, hi: 3, note: 'drop me' });
    await entities.updateOne({ _id: 'x' }, { $set: { value: 11 }, $unset: { note: '' }, $inc: { hits: 2 }, $min: { lo: 1 }, $max: { hi: 7 } });
    expect(await entities.findOne({ _id: 'x' })).toEqual({ _id: 'x', position: 'a', value: 11, hits: 3, lo: 1, hi: 7 });
  });

  it('enforces unique and compound indexes', async () => {
    const events = db.collection(uniqueName('events'));
    await events.createIndex({ eventId: 1 }, { unique: true });
    await events.createIndex({ subject: 1, key: 1, version: 1 }, { unique: true });
    await events.insertOne({ eventId: 'ev-1', subject: 'order', key: 'o1', version: 1 });
    await expect(events.insertOne({ eventId: 'ev-1', subject: 'order', key: 'o2', version: 1 })).rejects.toMatchObject({ code: 11000 });
    await expect(events.insertOne({ eventId: 'ev-2', subject: 'order', key: 'o1', version: 1 })).rejects.toMatchObject({ code: 11000 });
    await events.insertOne({ eventId: 'ev-3', subject: 'order', key: 'o1', version: 2 });
    const names = (await events.indexes()).map((index) => index.name).sort();
    expect(names).toEqual(['_id_', 'eventId_1', 'subject_1_key_1_version_1']);
  });

  it('finds every string key through a unique index and refuses its duplicate, whatever its characters and length', async () => {
    // The local store compares such keys without serializing them (infra/java/MongoServerMain.java,
    // KeyValueKeys): a comparison that disagreed with the stored order would lose keys here.
    const items = db.collection<{ _id: string | number; eventId: string; n: number }>(uniqueName('keys'));
    await items.createIndex({ eventId: 1 }, { unique: true });
    const pieces = ['a', 'Z', '0', '~', '\u0000', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '\uffff', '\u{1F600}'];
    const keys = Array.from(
      { length: 300 },
      (_, n) => `${pieces[n % pieces.length]}${(n * 7919) % 1000}${pieces[(n * 5) % pieces.length]!.repeat(n % 4)}-${n}`,
    );
    // Over 65,535 bytes of modified UTF-8 the serialized form changes its tag and length size.
    keys.push('x'.repeat(65535), 'x'.repeat(65536), 'é'.repeat(32768), '\u0800'.repeat(21846), '\u0800'.repeat(21845));
    await items.insertMany(keys.map((key, n) => ({ _id: key, eventId: `e${key}`, n })));
    await items.insertOne({ _id: 7, eventId: '7', n: -1 });
    for (const [n, key] of keys.entries()) {
      expect({ n, byId: (await items.findOne({ _id: key }))?.n, byEventId: (await items.findOne({ eventId: `e${key}` }))?.n }).toEqual({
        n,
        byId: n,
        byEventId: n,
      });
    }
    expect((await items.find({ _id: { $in: keys } }).toArray()).length).toBe(keys.length);
    for (const key of keys.filter((_, n) => n % 10 === 0)) {
      await expect(items.insertOne({ _id: key, eventId: `new-${key}`, n: 0 })).rejects.toMatchObject({ code: 11000 });
      await expect(items.insertOne({ _id: `new-${key}`, eventId: `e${key}`, n: 0 })).rejects.toMatchObject({ code: 11000 });
    }
    expect(await items.countDocuments()).toBe(keys.length + 1);
  });

  it('pages through a collection by sort key with a cursor, with no gaps or repeats', async () => {
    const items = db.collection<{ _id: string; rank: number }>(uniqueName('pages'));
    await items.insertMany(Array.from({ length: 57 }, (_, i) => ({ _id: `i${String(i).padStart(3, '0')}`, rank: (i * 37) % 57 })));
    await items.createIndex({ rank: 1, _id: 1 });
    const seen: number[] = [];
    let after: { rank: number; _id: string } | null = null;
    for (;;) {
      const filter: object = after ? { $or: [{ rank: { $gt: after.rank } }, { rank: after.rank, _id: { $gt: after._id } }] } : {};
      const page = await items.find(filter).sort({ rank: 1, _id: 1 }).limit(10).toArray();
      if (page.length === 0) break;
      seen.push(...page.map((doc) => doc.rank));
      after = page[page.length - 1]!;
    }
    expect(seen).toEqual(Array.from({ length: 57 }, (_, i) => i));
  });

  it('answers a page sorted by _id with a limit as the full sort would, for string keys (filters, skip, both directions)', async () => {
    // The local store walks its _id-keyed map in order for such a page (infra/java/MongoServerMain.java):
    // this is the list query's first page, which must equal the page cut from a full sort.
    const items = db.collection<{ _id: string; n: number; deleted: boolean }>(uniqueName('by-id'));
    const ids = Array.from({ length: 120 }, (_, n) => `k-${(n * 7919) % 1000}${n % 7 === 0 ? 'é' : ''}${n % 11 === 0 ? '\u{1F600}' : ''}-${n}`);
    await items.insertMany(ids.map((_id, n) => ({ _id, n, deleted: n % 3 === 0 })));
    // UTF-16 code unit order: what `<` on strings gives, and how the local store sorts strings.
    const byUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const cases: { filter: Record<string, unknown>; matches: (n: number, id: string) => boolean }[] = [
      { filter: {}, matches: () => true },
      { filter: { deleted: false }, matches: (n) => n % 3 !== 0 },
      { filter: { deleted: false, _id: { $gt: ids[40]! } }, matches: (n, id) => n % 3 !== 0 && id > ids[40]! },
      { filter: { n: { $gte: 110 } }, matches: (n) => n >= 110 },
    ];
    for (const direction of [1, -1] as const) {
      for (const { filter, matches } of cases) {
        for (const [skip, limit] of [
          [0, 1],
          [0, 21],
          [3, 21],
          [0, 500],
        ] as const) {
          const page = await items.find(filter).sort({ _id: direction }).skip(skip).limit(limit).toArray();
          const expected = ids
            .filter((id, n) => matches(n, id))
            .sort((a, b) => direction * byUnit(a, b))
            .slice(skip, skip + limit);
          expect({ direction, filter, skip, limit, ids: page.map((doc) => doc._id) }).toEqual({ direction, filter, skip, limit, ids: expected });
        }
      }
    }
  });

  it('counts and sums with $group and $sum, the only accumulators the design relies on', async () => {
    const rows = db.collection(uniqueName('groups'));
    await rows.insertMany([
      { r: 'eu', a: 2 },
      { r: 'eu', a: 3 },
      { r: 'us', a: 4 },
    ]);
    const grouped = await rows
      .aggregate([{ $match: { a: { $gte: 2 } } }, { $group: { _id: '$r', n: { $sum: 1 }, total: { $sum: '$a' } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(grouped).toEqual([
      { _id: 'eu', n: 2, total: 5 },
      { _id: 'us', n: 1, total: 4 },
    ]);
  });
});
