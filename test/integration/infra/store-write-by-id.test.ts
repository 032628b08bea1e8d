import { EJSON } from 'bson';
import type { AnyBulkWriteOperation, Collection, Db, Document, Filter } from 'mongodb';
import { checkoutStoreOnFile } from '../../support/checkout-store';
import { seededRandom } from '../../support/seeded-random';
import { createLeftovers } from '../../support/test-env';

/**
 * The local store writes a document named by its _id with one search of the _id index
 * (infra/java/MongoServerMain.java): an update whose filter names an _id (canonql's guarded
 * replace `{_id: k, "_meta.version": v}`, a `$set` by _id) keeps the position it found instead of
 * copying the document twice and searching the index again, and an insert into a collection whose
 * only unique index is the _id index puts the _id with one putIfAbsent instead of check, check and
 * put. OrderedIndex keeps an entry whose field an update did not change.
 *
 * What a client sees must not change, so the case is differential: the same writes go to two
 * collections of the same store, one addressed by `{_id: k, ...}` (the fast paths) and one by
 * `{_id: {$eq: k}, ...}`, which no fast path takes (mongo-java-server's general path); every
 * reply (matched, modified, upserted, error code) and every document read back (its fields in
 * stored order) must be the same, also through an indexed field and after a restart. The
 * launcher's canonqlStoreStats command counts the writes the fast paths took, so the case fails
 * on a launcher without them. Run on a store of its own built from this checkout's launcher.
 */
jest.setTimeout(300_000);

const leftovers = createLeftovers();
afterAll(() => leftovers.dispose());

interface State {
  _id: string;
  data?: Record<string, unknown>;
  status?: unknown;
  tags?: { t: string; n: number }[];
  _meta?: { version: number; lastEventId?: string };
}

const random = seededRandom(18);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const KEYS = Array.from({ length: 40 }, (_, i) => `order-${String(i).padStart(3, '0')}`);
const STATUSES = ['new', 'paid', 'shipped', 'cancelled', 7, null];

function stateOf(key: string, version: number): State {
  const doc: State = {
    _id: key,
    data: { total: Math.floor(random() * 1000), note: random() < 0.2 ? 'ü✓' : 'x' },
    _meta: { version, lastEventId: `e${version}` },
  };
  if (random() < 0.8) doc.status = pick(STATUSES);
  if (random() < 0.3)
    doc.tags = [
      { t: 'a', n: 1 },
      { t: 'b', n: 2 },
    ];
  return doc;
}

type Reply = { ok: true; matched?: number; modified?: number; upserted?: unknown; inserted?: number } | { ok: false; code: unknown };

async function reply(write: () => Promise<Reply>): Promise<Reply> {
  try {
    return await write();
  } catch (error) {
    const e = error as { code?: unknown; writeErrors?: { code?: unknown }[] };
    return { ok: false, code: e.code ?? e.writeErrors?.[0]?.code };
  }
}

/** The same write against both collections: `byId` addresses documents as `{_id: k}`, the other as `{_id: {$eq: k}}`. */
function addressed(filter: Filter<State>, general: boolean): Filter<State> {
  if (!general || filter._id === undefined) return filter;
  return { ...filter, _id: { $eq: filter._id } } as Filter<State>;
}

async function readAll(collection: Collection<State>): Promise<string[]> {
  const docs = await collection.find().sort({ _id: 1 }).toArray();
  // EJSON of each document in its stored field order: the order is part of what a client sees.
  return docs.map((d) => EJSON.stringify(d, { relaxed: false }));
}

async function byStatus(collection: Collection<State>): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const status of STATUSES) {
    out.push(await collection.countDocuments({ status } as Filter<State>));
    out.push(
      (
        await collection
          .find({ status } as Filter<State>)
          .sort({ status: 1, _id: 1 })
          .limit(5)
          .project({ _id: 1 })
          .toArray()
      ).map((d) => d._id),
    );
  }
  return out;
}

describe('the local store writes a document named by its _id with one index search', () => {
  it('answers every write as the general path does, and keeps the same documents across a restart', async () => {
    const onFile = checkoutStoreOnFile('store-write-by-id', leftovers);
    const withStore = <T>(work: (db: Db) => Promise<T>): Promise<T> => onFile((client) => work(client.db('writes')));

    const written = await withStore(async (db) => {
      const fast = db.collection<State>('fast');
      const general = db.collection<State>('general');
      for (const c of [fast, general]) await c.createIndex({ status: 1 });
      const versions = new Map<string, number>();
      const replies: [Reply, Reply][] = [];
      const both = async (write: (c: Collection<State>, general: boolean) => Promise<Reply>) => {
        replies.push([await reply(() => write(fast, false)), await reply(() => write(general, true))]);
      };

      // Inserts, one by one and in unordered batches holding duplicates.
      for (const key of KEYS.slice(0, 30)) {
        const doc = stateOf(key, 1);
        versions.set(key, 1);
        await both(async (c) => ((await c.insertOne({ ...doc })).acknowledged ? { ok: true, inserted: 1 } : { ok: false, code: 'x' }));
      }
      await both(async (c) => ({ ok: true, inserted: (await c.insertOne(stateOf(KEYS[3]!, 9))).acknowledged ? 1 : 0 }));
      const batch = [stateOf(KEYS[30]!, 1), stateOf(KEYS[4]!, 5), stateOf(KEYS[31]!, 1), stateOf(KEYS[30]!, 2)];
      versions.set(KEYS[30]!, 1);
      versions.set(KEYS[31]!, 1);
      await both(async (c) => {
        try {
          return {
            ok: true,
            inserted: (
              await c.insertMany(
                batch.map((d) => ({ ...d })),
                { ordered: false },
              )
            ).insertedCount,
          };
        } catch (error) {
          const e = error as { code?: unknown; result?: { insertedCount?: number } };
          return { ok: false, code: `${String(e.code)}:${e.result?.insertedCount}` };
        }
      });

      // Guarded replaces (the ingestion's), won and lost, in bulk and alone; $set, $unset, $inc, $push by _id;
      // a positional update and an _id change (refused); updates of absent keys with and without upsert.
      for (let round = 0; round < 300; round += 1) {
        const key = pick(KEYS.slice(0, 32));
        const version = versions.get(key) ?? 0;
        const kind = Math.floor(random() * 9);
        const expected = random() < 0.85 ? version : version + 1;
        if (kind <= 2) {
          const next = stateOf(key, expected + 1);
          const { _id, ...rest } = next;
          await both(async (c, g) => {
            const r = await c.replaceOne(addressed({ _id, '_meta.version': expected } as Filter<State>, g), rest);
            return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
          });
          if (expected === version) versions.set(key, expected + 1);
        } else if (kind === 3) {
          const ops = (g: boolean): AnyBulkWriteOperation<State>[] =>
            KEYS.slice(0, 6).map((k) => {
              const v = versions.get(k) ?? 0;
              const { _id, ...rest } = stateOf(k, v + 1);
              return { replaceOne: { filter: addressed({ _id, '_meta.version': v } as Filter<State>, g), replacement: rest } };
            });
          const fastOps = ops(false);
          const generalOps = fastOps.map((op) => {
            const r = (op as { replaceOne: { filter: Filter<State>; replacement: State } }).replaceOne;
            return { replaceOne: { filter: addressed(r.filter, true), replacement: r.replacement } };
          });
          await both(async (c, g) => {
            const r = await c.bulkWrite(g ? generalOps : fastOps, { ordered: false });
            return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
          });
          for (const k of KEYS.slice(0, 6)) versions.set(k, (versions.get(k) ?? 0) + 1);
        } else if (kind === 4) {
          const status = pick(STATUSES);
          await both(async (c, g) => {
            const r = await c.updateOne(addressed({ _id: key }, g), { $set: { status, 'data.seen': round }, $inc: { 'data.total': 1 } });
            return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
          });
        } else if (kind === 5) {
          const update: Document = random() < 0.5 ? { $unset: { status: '' as const } } : { $set: { status: 'paid' } };
          await both(async (c, g) => {
            const r = await c.updateOne(addressed({ _id: key }, g), update);
            return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
          });
        } else if (kind === 6) {
          await both(async (c, g) => {
            const r = await c.updateOne(addressed({ _id: key, 'tags.t': 'b' } as Filter<State>, g), { $set: { 'tags.$.n': round } } as Document);
            return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
          });
        } else if (kind === 7) {
          await both(async (c, g) => {
            const r = await c.replaceOne(addressed({ _id: key }, g), { _id: `${key}-moved`, data: {} } as State);
            return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
          });
        } else {
          const absent = `absent-${round}`;
          await both(async (c, g) => {
            const r = await c.updateOne(addressed({ _id: absent, '_meta.version': 0 } as Filter<State>, g), { $set: { status: 'new' } });
            return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
          });
        }
      }
      // An unchanged replace (n 1, nModified 0) and a no-op $set.
      const same = await fast.findOne({ _id: KEYS[0]! });
      const { _id: sameId, ...sameRest } = same!;
      await both(async (c, g) => {
        const r = await c.replaceOne(addressed({ _id: sameId }, g), sameRest);
        return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
      });
      const current = await fast.findOne({ _id: KEYS[1]! });
      await both(async (c, g) => {
        const r = await c.updateOne(addressed({ _id: KEYS[1]! }, g), { $set: { data: current!.data } });
        return { ok: true, matched: r.matchedCount, modified: r.modifiedCount };
      });

      for (const [a, b] of replies) expect(a).toEqual(b);
      expect(replies.some(([a]) => a.ok && a.modified === 1)).toBe(true);
      expect(replies.some(([a]) => a.ok && a.matched === 0)).toBe(true);
      expect(replies.some(([a]) => a.ok && a.matched === 1 && a.modified === 0)).toBe(true);
      expect(replies.some(([a]) => !a.ok && a.code === 11000)).toBe(true);
      expect(replies.some(([a]) => !a.ok && a.code === 66)).toBe(true);

      // An upsert by _id of an absent document, then a duplicate insert of it.
      const up = await fast.replaceOne({ _id: 'upserted', '_meta.version': 0 } as Filter<State>, { status: 'new', _meta: { version: 1 } }, { upsert: true });
      expect(up.upsertedId).toBe('upserted');
      expect((await reply(async () => ({ ok: (await fast.insertOne({ _id: 'upserted' })).acknowledged }) as Reply)).ok).toBe(false);
      await fast.deleteOne({ _id: 'upserted' });

      const stats = await db.command({ canonqlStoreStats: 1 });
      expect(stats.updatesById).toBeGreaterThan(100);
      expect(stats.insertsByOneSearch).toBeGreaterThan(30);

      const fastDocs = await readAll(fast);
      expect(fastDocs).toEqual(await readAll(general));
      expect(await byStatus(fast)).toEqual(await byStatus(general));
      return { docs: fastDocs, statuses: await byStatus(fast) };
    });

    // A second process reads the same documents from the file, by _id and through the status index.
    await withStore(async (db) => {
      const fast = db.collection<State>('fast');
      expect(await readAll(fast)).toEqual(written.docs);
      expect(await readAll(db.collection<State>('general'))).toEqual(written.docs);
      expect(await byStatus(fast)).toEqual(written.statuses);
      for (const doc of written.docs) {
        const id = (EJSON.parse(doc) as State)._id;
        expect(EJSON.stringify(await fast.findOne({ _id: id }), { relaxed: false })).toBe(doc);
      }
      // A refused duplicate after the restart, and a guarded replace that wins.
      expect((await reply(async () => ({ ok: (await fast.insertOne({ _id: KEYS[0]! })).acknowledged }) as Reply)).ok).toBe(false);
      const first = await fast.findOne({ _id: KEYS[0]! });
      const r = await fast.replaceOne({ _id: KEYS[0]!, '_meta.version': first!._meta!.version } as Filter<State>, { status: 'paid', _meta: { version: 999 } });
      expect([r.matchedCount, r.modifiedCount]).toEqual([1, 1]);
      expect(await fast.countDocuments({ status: 'paid', '_meta.version': 999 } as Filter<State>)).toBe(1);
    });
  });
});
