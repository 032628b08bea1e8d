import type { Collection, Db, Filter, MongoClient } from 'mongodb';
import { seededRandom } from '../support/seeded-random';
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

  it('answers range filters, sorts and counts on a field the same with an index on it {f: 1, _id: 1} as without', async () => {
    // The local store keeps such an index and reads ranges and sorted pages from it
    // (infra/java/OrderedIndex.java); MongoDB does too. Whatever the plan, the answer is the
    // one a scan gives: the same documents, written and rewritten alike, queried both ways.
    const random = seededRandom(20261203);
    type Doc = { _id: string; k: { v?: unknown }; deleted: boolean };
    const indexed = db.collection<Doc>(uniqueName('indexed'));
    const plain = db.collection<Doc>(uniqueName('plain'));
    await indexed.createIndex({ 'k.v': 1, _id: 1 });
    const keys = ['1', '15', '2', '30000~', '3001', '30015', '3002', '', 'a', 'b'];
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    // Mostly order-key-like strings; some numbers, nulls, absent values, arrays and documents.
    const randomValue = (): unknown => {
      const roll = random();
      if (roll < 0.6) return pick(keys) + String(Math.floor(random() * 50));
      if (roll < 0.7) return Math.floor(random() * 100) - 50;
      if (roll < 0.78) return null;
      if (roll < 0.86) return undefined;
      if (roll < 0.93) return [pick(keys), pick(keys)];
      return { x: pick(keys) };
    };
    const docOf = (id: string): Doc => {
      const v = randomValue();
      return { _id: id, k: v === undefined ? {} : { v }, deleted: random() < 0.2 };
    };
    const ids = Array.from({ length: 240 }, (_, i) => `e${String(i).padStart(3, '0')}`);
    for (const collection of [indexed, plain]) await collection.deleteMany({});
    const docs = ids.map(docOf);
    for (const collection of [indexed, plain]) await collection.insertMany(docs.map((d) => ({ ...d })));
    for (const id of ids.filter(() => random() < 0.3)) {
      const next = docOf(id);
      for (const collection of [indexed, plain]) await collection.replaceOne({ _id: id }, next);
    }
    for (const id of ids.filter(() => random() < 0.1)) for (const collection of [indexed, plain]) await collection.deleteOne({ _id: id });
    for (const id of ids.filter(() => random() < 0.1)) {
      const v = randomValue();
      for (const collection of [indexed, plain]) await collection.updateOne({ _id: id }, v === undefined ? { $unset: { 'k.v': '' } } : { $set: { 'k.v': v } });
    }
    const bound = () => (random() < 0.85 ? pick(keys) + String(Math.floor(random() * 50)) : Math.floor(random() * 100) - 50);
    for (let i = 0; i < 150; i += 1) {
      const ops: Record<string, unknown> = {};
      for (const op of ['$gt', '$gte', '$lt', '$lte', '$eq']) if (random() < 0.35) ops[op] = bound();
      const condition = Object.keys(ops).length === 0 ? bound() : ops;
      const filter = random() < 0.5 ? { 'k.v': condition } : { $and: [{ 'k.v': condition }, { deleted: false }] };
      const direction = random() < 0.5 ? 1 : -1;
      const sort = pick([{ 'k.v': direction, _id: direction }, { 'k.v': direction }, { _id: direction }, null]);
      const limit = pick([0, 1, 5, 21]);
      const skip = pick([0, 0, 3]);
      const read = async (collection: typeof plain) => {
        let cursor = collection.find(filter as Filter<Doc>);
        if (sort) cursor = cursor.sort(sort as never);
        const found = await cursor.skip(skip).limit(limit).toArray();
        // Unsorted, the order is the plan's: compare as sets.
        const ids = found.map((d) => d._id);
        return { ids: sort ? ids : ids.sort(), count: await collection.countDocuments(filter as Filter<Doc>) };
      };
      const [got, expected] = [await read(indexed), await read(plain)];
      expect({ filter, sort, skip, limit, ...got }).toEqual({ filter, sort, skip, limit, ...expected });
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
