import type { Collection, Db } from 'mongodb';
import { insertUnordered, updateUnordered } from '../infra/write-command';
import { isDuplicateKey } from '../state/entity-store';
import type { CanonicalEvent, CanonicalOp } from './canonical-event';
import { eventJson } from './event-json';

/**
 * The canonical event log: every applied change, in the store, keyed by its deterministic id.
 * It is the outbox of the pipeline: an event is written here *before* the state write and marked
 * published after Kafka acknowledged it, so a crash anywhere in between is repaired by the replay
 * of the raw message (same id, found here, published again). It also serves history and
 * subscription resume.
 */

/**
 * A logged event as stored: the fields the log is queried and sorted by, and the whole event as
 * `json`, the text the publisher sends (event-json.ts). One string instead of the event's tree of
 * fields costs the store about 30% less per insert and this process no BSON encoding of
 * `before` and `after` (docs/design-notes.md); history reads parse it back.
 */
export interface LoggedEvent {
  readonly _id: string;
  readonly subject: string;
  readonly key: string;
  readonly op: CanonicalOp;
  readonly version: number;
  readonly sourceTsMs: number | null;
  readonly ingestedAt: string;
  readonly published: boolean;
  readonly json: string;
}

/** An event logged before `json` existed: the event's own fields, `_id` for its id. */
type EarlierLoggedEvent = Omit<CanonicalEvent, 'id'> & { readonly _id: string; readonly published: boolean };

/**
 * Bytes a log document takes in BSON, at most: the event's JSON in UTF-8 (exact, the bulk of it)
 * and up to 3 bytes per UTF-16 unit of its other strings, with room for names and numbers.
 */
function loggedBytes(doc: LoggedEvent): number {
  return Buffer.byteLength(doc.json) + 3 * (doc._id.length + doc.subject.length + doc.key.length + doc.op.length + doc.ingestedAt.length) + 160;
}

/** The stored form of an event not yet published. */
export function loggedEventOf(event: CanonicalEvent): LoggedEvent {
  const { id, subject, key, op, version, sourceTsMs, ingestedAt } = event;
  return { _id: id, subject, key, op, version, sourceTsMs, ingestedAt, published: false, json: eventJson(event) };
}

/** The event a log document holds, in either stored form. */
export function eventOfLogged(doc: LoggedEvent): CanonicalEvent {
  if (typeof doc.json === 'string') return JSON.parse(doc.json) as CanonicalEvent;
  const { _id, published: _published, ...rest } = doc as unknown as EarlierLoggedEvent;
  return { id: _id, ...rest };
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
  const fromStored = (doc: LoggedEvent) => ({ event: eventOfLogged(doc), published: doc.published });
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
      try {
        await collection.insertOne(loggedEventOf(event));
        return { event, published: false, inserted: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const stored = await find(event.id);
        if (!stored) throw error;
        return { ...stored, inserted: false };
      }
    },
    findMany,
    async insertMany(events) {
      const existing = new Map<string, { event: CanonicalEvent; published: boolean }>();
      if (events.length === 0) return existing;
      const docs = events.map(loggedEventOf);
      let refused: ReadonlySet<string> | null = null;
      try {
        const { n, writeErrors } = await insertUnordered(db, collection, docs, loggedBytes);
        if (n === docs.length && writeErrors.length === 0) return existing;
        if (writeErrors.length > 0 && writeErrors.every(isDuplicateKey)) refused = new Set(writeErrors.map((e) => docs[e.index]!._id));
      } catch (error) {
        // A store that stops an unordered insert at its first duplicate may say so for the command.
        if (!isDuplicateKey(error)) throw error;
      }
      // Some ids were there already. Some stores also stop an unordered insert at its first
      // error, so find out what is stored and insert the rest one by one. Where the store named
      // the refused documents, the others found stored are this call's own inserts.
      const stored = await findMany(docs.map((d) => d._id));
      for (const doc of docs) {
        const found = stored.get(doc._id);
        if (found) {
          if (!refused || refused.has(doc._id)) existing.set(doc._id, found);
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
        const { writeErrors } = await updateUnordered(
          db,
          collection,
          ids.map((id) => ({ q: { _id: id }, u: { $set: { published: true } } })),
          (update) => 3 * (update.q._id as string).length + 64,
        );
        if (writeErrors.length > 0) throw new Error(`marking events published: ${writeErrors[0]!.errmsg} (code ${writeErrors[0]!.code})`);
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
