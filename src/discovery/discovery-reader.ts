import type { Db } from 'mongodb';
import type { RawRecord } from '../ingestion/debezium/decoded-record';
import { profiles, rawRecordOf, samples, versions, type VersionDoc } from './discovery-store';
import { mergeProfiles, type MergedProfile } from './profile-merge';
import { currentShape, inferJsonSchema, isRemoved } from './schema-drift';
import type { FieldShape, SchemaChanges } from './schema-drift';

/**
 * Read side of discovery, for the API role (any process: everything comes from the store).
 * Profiles are merged on read from the per-process documents; drift is followed by polling the
 * versions collection (the store has no change streams), per subscription, every `pollMs`.
 */
export interface RawTopicSummary {
  readonly topic: string;
  readonly currentVersion: number | null;
  readonly sampled: number;
  /** Stamps (microseconds), see profile-doc.ts. */
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export interface SchemaVersion {
  readonly topic: string;
  readonly version: number;
  readonly sequence: number;
  readonly recordedAt: Date;
  readonly schema: Record<string, unknown>;
  readonly fields: readonly FieldShape[];
  readonly changes: SchemaChanges;
  /** Registry-encoded topics: the writer schema ids of the records profiled into this version, ascending; empty for JSON topics. */
  readonly writerSchemaIds: readonly number[];
}

export interface DiscoveryReader {
  topics(): Promise<RawTopicSummary[]>;
  /** The merged profile of a topic, or null when nothing of it was profiled. */
  profile(topic: string): Promise<MergedProfile | null>;
  /** True for fields of `profile` that the drift rule counts as removed. */
  isRemoved(profile: MergedProfile, path: string): boolean;
  /** The current inferred JSON Schema (live, not the one of the latest version). */
  schema(profile: MergedProfile): Record<string, unknown>;
  /**
   * Versions oldest first; `since` keeps those recorded at or after it, `afterVersion` those
   * numbered above it, `upToVersion` those numbered at or below it.
   */
  versions(topic: string, options?: { since?: Date; afterVersion?: number; upToVersion?: number }): Promise<SchemaVersion[]>;
  /** The last `n` raw records of the topic, oldest first (for spec previews). */
  samples(topic: string, n: number): Promise<RawRecord[]>;
  /** Versions recorded after `afterVersion` (default: the latest now), as they are recorded. */
  watchDrift(topic: string, afterVersion?: number | null): AsyncIterableIterator<SchemaVersion>;
}

export interface DiscoveryReaderOptions {
  readonly db: Db;
  readonly removalWindow: number;
  readonly pollMs?: number;
}

export function createDiscoveryReader(options: DiscoveryReaderOptions): DiscoveryReader {
  const { db, removalWindow } = options;
  const pollMs = options.pollMs ?? 1000;

  const reader: DiscoveryReader = {
    async topics() {
      const docs = await profiles(db)
        .find({}, { projection: { topic: 1, sampled: 1, firstSeen: 1, lastSeen: 1 } })
        .toArray();
      const latest = new Map<string, number>();
      for (const v of await versions(db)
        .find({}, { projection: { topic: 1, version: 1 } })
        .toArray()) {
        latest.set(v.topic, Math.max(latest.get(v.topic) ?? 0, v.version));
      }
      const byTopic = new Map<string, { sampled: number; firstSeen: number; lastSeen: number }>();
      for (const doc of docs) {
        const entry = byTopic.get(doc.topic) ?? { sampled: 0, firstSeen: Infinity, lastSeen: 0 };
        entry.sampled += doc.sampled;
        if (doc.sampled > 0) {
          entry.firstSeen = Math.min(entry.firstSeen, doc.firstSeen);
          entry.lastSeen = Math.max(entry.lastSeen, doc.lastSeen);
        }
        byTopic.set(doc.topic, entry);
      }
      return [...byTopic.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([topic, e]) => ({
          topic,
          currentVersion: latest.get(topic) ?? null,
          sampled: e.sampled,
          firstSeen: e.firstSeen === Infinity ? 0 : e.firstSeen,
          lastSeen: e.lastSeen,
        }));
    },
    async profile(topic) {
      const docs = await profiles(db).find({ topic }).toArray();
      return docs.length === 0 ? null : mergeProfiles(topic, docs, removalWindow);
    },
    isRemoved(profile, path) {
      const field = profile.fields.find((f) => f.path === path);
      return field ? isRemoved(field, profile, removalWindow) : true;
    },
    schema(profile) {
      return inferJsonSchema(profile.topic, currentShape(profile, removalWindow), profile);
    },
    async versions(topic, query = {}) {
      const filter: Record<string, unknown> = { topic };
      if (query.since) filter.recordedAt = { $gte: query.since };
      const version: Record<string, number> = {};
      if (query.afterVersion !== undefined) version.$gt = query.afterVersion;
      if (query.upToVersion !== undefined) version.$lte = query.upToVersion;
      if (Object.keys(version).length > 0) filter.version = version;
      return (await versions(db).find(filter).sort({ version: 1 }).toArray()).map(toVersion);
    },
    async samples(topic, n) {
      if (n <= 0) return [];
      const docs = await samples(db).find({ topic }).sort({ stamp: -1 }).limit(n).toArray();
      return docs.reverse().map(rawRecordOf);
    },
    watchDrift(topic, afterVersion) {
      return pollingIterator(async (last) => {
        if (last === undefined) {
          if (afterVersion !== undefined && afterVersion !== null) return { items: [], cursor: afterVersion };
          const latest = await versions(db).find({ topic }).sort({ version: -1 }).limit(1).next();
          return { items: [], cursor: latest?.version ?? 0 };
        }
        const items = await reader.versions(topic, { afterVersion: last });
        return { items, cursor: items.length > 0 ? items[items.length - 1]!.version : last };
      }, pollMs);
    },
  };
  return reader;
}

function toVersion(doc: VersionDoc): SchemaVersion {
  return {
    topic: doc.topic,
    version: doc.version,
    sequence: doc.sequence,
    recordedAt: doc.recordedAt,
    schema: JSON.parse(doc.schemaJson) as Record<string, unknown>,
    fields: doc.fields,
    changes: doc.changes,
    // Ids added to a version after it was recorded come in any order.
    writerSchemaIds: [...(doc.writerSchemaIds ?? [])].sort((a, b) => a - b),
  };
}

/**
 * An async iterator fed by a poll function: `poll(cursor)` returns new items and the next
 * cursor (the first call gets `undefined` and only sets the starting cursor). `return()` ends it
 * at once, even while it waits for the next poll, so an unsubscribe never lingers.
 */
function pollingIterator<T>(poll: (cursor: number | undefined) => Promise<{ items: T[]; cursor: number }>, pollMs: number): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let cursor: number | undefined;
  let done = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failure: unknown = null;
  const started = poll(undefined).then(
    (first) => {
      cursor = first.cursor;
    },
    (error: unknown) => {
      failure = error;
      done = true;
    },
  );

  const sleep = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, pollMs);
    });

  const iterator: AsyncIterableIterator<T> = {
    async next() {
      try {
        await started;
        while (!done && queue.length === 0) {
          await sleep();
          if (done) break;
          const result = await poll(cursor);
          cursor = result.cursor;
          queue.push(...result.items);
        }
      } catch (error) {
        failure = error;
        done = true;
      }
      if (failure) throw failure;
      return queue.length > 0 ? { done: false, value: queue.shift()! } : { done: true, value: undefined };
    },
    async return() {
      done = true;
      if (timer) clearTimeout(timer);
      wake?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      done = true;
      if (timer) clearTimeout(timer);
      wake?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}
