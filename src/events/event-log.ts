import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from '../state/entity-store';
import type { CanonicalEvent } from './canonical-event';

/**
 * The canonical event log: every applied change, in the store, keyed by its deterministic id.
 * It is the outbox of the pipeline: an event is written here *before* the state write and marked
 * published after Kafka acknowledged it, so a crash anywhere in between is repaired by the replay
 * of the raw message (same id, found here, published again). It also serves history and
 * subscription resume.
 */
export interface LoggedEvent extends Omit<CanonicalEvent, 'id'> {
  readonly _id: string;
  readonly published: boolean;
}

export interface EventLog {
  readonly collection: Collection<LoggedEvent>;
  /** Inserts the event unless one with its id exists; returns the stored one either way. */
  record(event: CanonicalEvent): Promise<{ event: CanonicalEvent; published: boolean; inserted: boolean }>;
  find(id: string): Promise<{ event: CanonicalEvent; published: boolean } | null>;
  findMany(ids: readonly string[]): Promise<Map<string, { event: CanonicalEvent; published: boolean }>>;
  /**
   * Inserts events in one round trip. Ids that exist already (a replay after a crash) are left
   * as they are, and returned with their stored copy, which is the one to publish.
   */
  insertMany(events: readonly CanonicalEvent[]): Promise<Map<string, { event: CanonicalEvent; published: boolean }>>;
  markPublished(ids: readonly string[]): Promise<void>;
  /** Drops an event whose state write lost a race (it never happened). */
  discardUnpublished(id: string): Promise<void>;
  ensureIndexes(): Promise<void>;
}

export const EVENT_LOG_COLLECTION = 'canonical_events';

export function createEventLog(db: Db): EventLog {
  const collection = db.collection<LoggedEvent>(EVENT_LOG_COLLECTION);
  const fromStored = (doc: LoggedEvent) => {
    const { _id, published, ...rest } = doc;
    return { event: { id: _id, ...rest } as CanonicalEvent, published };
  };
  const find = async (id: string) => {
    const doc = await collection.findOne({ _id: id });
    return doc ? fromStored(doc) : null;
  };
  const findMany = async (ids: readonly string[]) => {
    const found = new Map<string, { event: CanonicalEvent; published: boolean }>();
    if (ids.length === 0) return found;
    for (const doc of await collection.find({ _id: { $in: [...ids] } }).toArray()) found.set(doc._id, fromStored(doc));
    return found;
  };
  return {
    collection,
    find,
    async record(event) {
      const { id, ...rest } = event;
      try {
        await collection.insertOne({ _id: id, ...rest, published: false });
        return { event, published: false, inserted: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const stored = await find(id);
        if (!stored) throw error;
        return { ...stored, inserted: false };
      }
    },
    findMany,
    async insertMany(events) {
      const existing = new Map<string, { event: CanonicalEvent; published: boolean }>();
      if (events.length === 0) return existing;
      const docs = events.map(({ id, ...rest }) => ({ _id: id, ...rest, published: false }));
      try {
        await collection.insertMany(docs, { ordered: false });
        return existing;
      } catch (error) {
        if (!isDuplicateKey(error) && !(error as { writeErrors?: unknown }).writeErrors) throw error;
      }
      // Some ids were there already. Some stores also stop an unordered insert at its first
      // error, so find out what is stored and insert the rest one by one.
      const stored = await findMany(docs.map((d) => d._id));
      for (const doc of docs) {
        const found = stored.get(doc._id);
        if (found) {
          existing.set(doc._id, found);
          continue;
        }
        await collection.insertOne(doc).catch(async (e: unknown) => {
          if (!isDuplicateKey(e)) throw e;
          const raced = await find(doc._id);
          if (raced) existing.set(doc._id, raced);
        });
      }
      return existing;
    },
    async markPublished(ids) {
      // Point updates by _id: every store serves them from the primary index (some stores scan
      // the collection for an `$in` list).
      if (ids.length > 0) {
        await collection.bulkWrite(
          ids.map((id) => ({ updateOne: { filter: { _id: id }, update: { $set: { published: true } } } })),
          { ordered: false },
        );
      }
    },
    async discardUnpublished(id) {
      await collection.deleteOne({ _id: id, published: false });
    },
    async ensureIndexes() {
      await collection.createIndex({ subject: 1, key: 1, version: 1 });
      await collection.createIndex({ subject: 1, ingestedAt: 1 });
    },
  };
}
