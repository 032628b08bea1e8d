import { BSON, type Collection, type Db } from 'mongodb';
import { deleteUnordered, insertUnordered, updateUnordered, type DeleteStatement, type UpdateStatement, type WriteCommandResult } from '../infra/write-command';
import { orderKeysOf, type OrderKeys } from './order-keys';

/**
 * Canonical entity state: one MongoDB document per entity, `_id` = entity key, canonical fields
 * under `data`, bookkeeping under `_meta`. Writes are compare-and-set on `_meta.version`, so no
 * multi-document transaction is needed and two writers can never interleave on one entity
 * (a lost race re-reads and recomputes). Which change may be applied is decided by the caller from
 * the source positions kept here (see `ingestion/apply-change.ts`).
 */
export interface EntityMeta {
  readonly version: number;
  /** Source position of the last applied change, per source (`sourceId` → sortable position). */
  readonly positions: Readonly<Record<string, string>>;
  /** Position of the last applied change, whatever its source (for display and as-of reads). */
  readonly position: string;
  readonly specId: string;
  readonly specVersion: number;
  readonly sourceTsMs: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deleted: boolean;
  /** Hard-deleted (spec `deleteMode: "hard"`): the data is gone, the marker keeps version and positions. */
  readonly purged?: boolean;
  readonly lastEventId: string;
  /**
   * Which spec last wrote each canonical field root, with its precedence (several specs, one
   * subject): the precedence alone when that spec is `specId`, else both (mapping/merge-by-precedence.ts).
   */
  readonly claims?: Readonly<Record<string, number | { readonly spec: string; readonly precedence: number }>>;
}

export interface StoredEntity {
  readonly _id: string;
  readonly data: Record<string, unknown>;
  readonly _meta: EntityMeta;
  /**
   * Order keys of `data` (state/order-keys.ts), written by the store on every write: filters and
   * sorts on Decimal, Int, Float and DateTime fields run on them, so the store compares by value.
   */
  readonly _k?: OrderKeys;
}

export type CasResult = 'written' | 'conflict';

export interface EntityStore {
  collection(subject: string): Collection<StoredEntity>;
  /** `projection`: only these paths of each document (a partial entity), else whole documents. */
  getMany(subject: string, keys: readonly string[], projection?: Record<string, 1>): Promise<Map<string, StoredEntity>>;
  get(subject: string, key: string): Promise<StoredEntity | null>;
  /** Writes `next` if the stored version is still `expectedVersion` (null: entity must not exist). */
  compareAndSet(subject: string, next: StoredEntity, expectedVersion: number | null): Promise<CasResult>;
  /**
   * Many compare-and-set writes in one round trip (`next` null: hard delete). Returns the keys
   * whose write did not happen because the stored version was no longer the expected one.
   */
  writeMany(subject: string, writes: readonly EntityWrite[]): Promise<string[]>;
  ensureIndexes(subject: string): Promise<void>;
  /**
   * An index `{'_k.<field>': 1, _id: 1}` per field a list query filters by range or sorts by
   * value (orderKeyIndexFields), so a Decimal/DateTime range or sort reads the range, not the
   * collection. Idempotent; an index of a field the schema no longer has is left in place.
   */
  ensureOrderKeyIndexes(subject: string, fields: readonly string[]): Promise<void>;
  /**
   * An index `{'data.<field>': 1, _id: 1}` per canonical field another subject's relation looks
   * this subject's entities up by (`x-canonql-ref` with `by`), so a page's relation reads its keys
   * instead of the collection. Idempotent; as for order keys, an unused one is left in place.
   */
  ensureRelationIndexes(subject: string, fields: readonly string[]): Promise<void>;
}

export interface EntityWrite {
  readonly key: string;
  readonly expectedVersion: number | null;
  readonly next: StoredEntity | null;
}

/** Collection name of a subject's state. */
export const stateCollectionName = (subject: string) => `state_${subject}`;

export function createEntityStore(db: Db): EntityStore {
  const collection = (subject: string) => db.collection<StoredEntity>(stateCollectionName(subject));
  // The stored document: order keys beside the entity. A literal of the known fields, not a spread:
  // this runs for every state written.
  const encoded = (entity: StoredEntity): StoredEntity => ({ _id: entity._id, data: entity.data, _meta: entity._meta, _k: orderKeysOf(entity.data ?? {}) });
  const replacement = (entity: StoredEntity): Omit<StoredEntity, '_id'> => ({ data: entity.data, _meta: entity._meta, _k: orderKeysOf(entity.data ?? {}) });
  const store: EntityStore = {
    collection,
    async getMany(subject, keys, projection) {
      const found = new Map<string, StoredEntity>();
      if (keys.length === 0) return found;
      for (const doc of await collection(subject)
        .find({ _id: { $in: [...keys] } }, projection ? { projection } : {})
        .toArray())
        found.set(doc._id, doc);
      return found;
    },
    get: (subject, key) => collection(subject).findOne({ _id: key }),
    async compareAndSet(subject, next, expectedVersion) {
      if (expectedVersion === null) {
        try {
          await collection(subject).insertOne(encoded(next));
          return 'written';
        } catch (error) {
          if (isDuplicateKey(error)) return 'conflict';
          throw error;
        }
      }
      const result = await collection(subject).replaceOne({ _id: next._id, '_meta.version': expectedVersion }, replacement(next));
      return result.matchedCount === 1 ? 'written' : 'conflict';
    },
    async writeMany(subject, writes) {
      // One command per kind of write (the driver's bulk API would send the same three), each
      // unordered: a guarded replace per entity written before, an insert per new one, a guarded
      // delete per one gone (write-command.ts says why not through bulkWrite).
      const inserts: StoredEntity[] = [];
      const replaces: UpdateStatement[] = [];
      const deletes: DeleteStatement[] = [];
      for (const w of writes) {
        if (w.next === null) {
          if (w.expectedVersion !== null) deletes.push({ q: { _id: w.key, '_meta.version': w.expectedVersion }, limit: 1 });
        } else if (w.expectedVersion === null) inserts.push(encoded(w.next));
        else replaces.push({ q: { _id: w.next._id, '_meta.version': w.expectedVersion }, u: replacement(w.next) });
      }
      const ops = inserts.length + replaces.length + deletes.length;
      if (ops === 0) return [];
      const states = collection(subject);
      const results: WriteCommandResult[] = [];
      try {
        if (inserts.length > 0) results.push(await insertUnordered(db, states, inserts, (doc) => BSON.calculateObjectSize(doc)));
        if (replaces.length > 0)
          results.push(await updateUnordered(db, states, replaces, (u) => BSON.calculateObjectSize(u.u) + 3 * (u.q._id as string).length + 64));
        if (deletes.length > 0) results.push(await deleteUnordered(db, states, deletes, (d) => 3 * (d.q._id as string).length + 64));
      } catch (error) {
        // A store that stops at a duplicate may refuse a whole command: the read below sorts it out.
        if (!isDuplicateKey(error)) throw error;
        results.push({ n: 0, writeErrors: [{ index: 0, code: 11000, errmsg: String(error) }] });
      }
      const done = results.reduce((n, r) => n + r.n, 0);
      const refused = results.some((r) => r.writeErrors.length > 0);
      if (done === ops && !refused) return [];
      // Some write lost a race (or the store stopped at the first error): find out which ones by
      // reading back; a write happened exactly when the stored document is the one we wrote.
      const stored = await store.getMany(
        subject,
        writes.map((w) => w.key),
      );
      return writes
        .filter((w) => {
          const now = stored.get(w.key);
          if (w.next === null) return now !== undefined && w.expectedVersion !== null;
          return !now || now._meta.version !== w.next._meta.version || now._meta.lastEventId !== w.next._meta.lastEventId;
        })
        .map((w) => w.key);
    },
    async ensureIndexes(subject) {
      await collection(subject).createIndex({ '_meta.updatedAt': 1, _id: 1 });
      await collection(subject).createIndex({ '_meta.deleted': 1, _id: 1 });
    },
    async ensureOrderKeyIndexes(subject, fields) {
      for (const field of fields) await collection(subject).createIndex({ [`_k.${field}`]: 1, _id: 1 });
    },
    async ensureRelationIndexes(subject, fields) {
      for (const field of fields) await collection(subject).createIndex({ [`data.${field}`]: 1, _id: 1 });
    },
  };
  return store;
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 11000;
}
