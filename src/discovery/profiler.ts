import crypto from 'node:crypto';
import os from 'node:os';
import type { Db } from 'mongodb';
import type { DecodedRecord, RawRecord } from '../ingestion/debezium/decoded-record';
import type { Logger } from '../logger';
import {
  ensureDiscoveryIndexes,
  isDuplicateKey,
  latestVersion,
  nextSequence,
  profiles,
  sampleDoc,
  samples,
  versionId,
  versions,
  type SampleDoc,
} from './discovery-store';
import { mergeProfiles } from './profile-merge';
import { currentShape, diffShapes, hasChanges, inferJsonSchema } from './schema-drift';
import { TopicProfile } from './topic-profile';

/**
 * Raw-schema discovery on the ingestion side. Ingestion calls `observe` with every record it
 * decodes; the profiler keeps, per raw topic, an in-memory profile (topic-profile.ts) of a
 * random sample of the changes (`sampleRate`) and the last `samples` raw records (all of them,
 * not only the profiled ones: keeping a reference costs nothing). Nothing on that path waits
 * for I/O.
 *
 * Every `flushMs` (and on stop) each topic touched since the last flush is written: the
 * process's own profile document (replaced whole: it is cumulative since this process started),
 * its newest raw samples, and then the drift check: merge every process's profile of the topic,
 * compare the current shape with the latest recorded version, record the next version if they
 * differ. A failing flush is logged and retried at the next tick; it never reaches ingestion.
 */
export interface ProfilerOptions {
  readonly db: Db;
  /** Share of change records profiled, 0..1; 0 turns discovery off. */
  readonly sampleRate: number;
  readonly flushMs: number;
  /** Raw records kept per topic for previews. */
  readonly samples: number;
  /** Drift's removal rule: a field missing from this many consecutive sampled images is removed. */
  readonly removalWindow: number;
  readonly logger: Logger;
  /** Defaults to host, pid and a random suffix: a restarted process writes new documents. */
  readonly processId?: string;
  readonly random?: () => number;
}

export interface Profiler {
  readonly enabled: boolean;
  /** `writerSchemaId`: the value's writer schema id, for a registry-encoded topic (recorded with the next version). */
  observe(raw: RawRecord, decoded: DecodedRecord, writerSchemaId?: number): void;
  start(): Promise<void>;
  /** Writes what was observed since the last flush, and records drift. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

interface TopicState {
  readonly profile: TopicProfile;
  /** Raw records observed since the last flush, newest last (at most 2 × samples kept). */
  pending: { raw: RawRecord; stamp: number }[];
  dirty: boolean;
  /** Writer schema ids seen since the last flush that recorded them on a version (registry-encoded topics). */
  writerSchemaIds: Set<number>;
}

export function createProfiler(options: ProfilerOptions): Profiler {
  const log = options.logger.child({ component: 'discovery' });
  const processId = options.processId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  const random = options.random ?? Math.random;
  const enabled = options.sampleRate > 0;
  const topics = new Map<string, TopicState>();
  let lastStamp = 0;
  let observeErrors = 0;
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;

  const stampNow = () => (lastStamp = Math.max(Date.now() * 1000, lastStamp + 1));

  function stateOf(topic: string): TopicState {
    let state = topics.get(topic);
    if (!state) {
      state = { profile: new TopicProfile(topic, options.removalWindow), pending: [], dirty: false, writerSchemaIds: new Set() };
      topics.set(topic, state);
    }
    return state;
  }

  async function flushTopic(topic: string, state: TopicState): Promise<void> {
    // Snapshot synchronously: the profile keeps changing while the writes are in flight.
    const doc = state.profile.toDoc(processId);
    const pending = options.samples > 0 ? state.pending.slice(-options.samples) : [];
    state.pending = [];
    state.dirty = false;
    try {
      await profiles(options.db).replaceOne({ _id: doc._id }, doc, { upsert: true });
      await writeSamples(
        topic,
        pending.map(({ raw, stamp }) => sampleDoc(raw, stamp)),
      );
      await recordDrift(topic, state);
    } catch (error) {
      state.dirty = true;
      state.pending = [...pending, ...state.pending];
      throw error;
    }
  }

  async function writeSamples(topic: string, docs: SampleDoc[]): Promise<void> {
    if (docs.length === 0) return;
    await samples(options.db).bulkWrite(
      docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
      { ordered: false },
    );
    const surplus = await samples(options.db)
      .find({ topic }, { projection: { _id: 1 } })
      .sort({ stamp: -1 })
      .skip(options.samples)
      .toArray();
    if (surplus.length > 0) await samples(options.db).deleteMany({ _id: { $in: surplus.map((d) => d._id) } });
  }

  async function recordDrift(topic: string, state: TopicState): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const docs = await profiles(options.db).find({ topic }).toArray();
      const merged = mergeProfiles(topic, docs, options.removalWindow);
      const shape = currentShape(merged, options.removalWindow);
      const latest = await latestVersion(options.db, topic);
      const changes = diffShapes(latest?.fields ?? [], shape);
      if (!hasChanges(changes)) {
        // Records of a new writer schema that leave the shape as it is belong to the latest version.
        if (latest && state.writerSchemaIds.size > 0) {
          await versions(options.db).updateOne({ _id: latest._id }, { $addToSet: { writerSchemaIds: { $each: [...state.writerSchemaIds] } } });
          state.writerSchemaIds.clear();
        }
        return;
      }
      const version = (latest?.version ?? 0) + 1;
      try {
        await versions(options.db).insertOne({
          _id: versionId(topic, version),
          topic,
          version,
          sequence: await nextSequence(options.db),
          recordedAt: new Date(),
          schemaJson: JSON.stringify(inferJsonSchema(topic, shape, merged)),
          fields: shape,
          changes,
          ...(state.writerSchemaIds.size > 0 ? { writerSchemaIds: [...state.writerSchemaIds].sort((a, b) => a - b) } : {}),
        });
        state.writerSchemaIds.clear();
        log.info({ topic, version, added: changes.added, removed: changes.removed, typeChanged: changes.typeChanged.map((c) => c.path) }, 'raw schema drifted');
        return;
      } catch (error) {
        // Another process recorded this version first: compare with it instead.
        if (!isDuplicateKey(error)) throw error;
      }
    }
  }

  async function flushAll(): Promise<void> {
    for (const [topic, state] of topics) {
      if (!state.dirty) continue;
      try {
        await flushTopic(topic, state);
      } catch (error) {
        log.warn({ err: error, topic }, 'discovery flush failed; retrying at the next flush');
      }
    }
    if (observeErrors > 0) {
      log.warn({ errors: observeErrors }, 'discovery could not profile some records');
      observeErrors = 0;
    }
  }

  const flush = async () => {
    // One flush at a time; a tick arriving during a flush waits for it and then runs again.
    while (flushing) await flushing;
    flushing = flushAll().finally(() => {
      flushing = null;
    });
    await flushing;
  };

  return {
    enabled,
    observe(raw, decoded, writerSchemaId) {
      if (!enabled || decoded.kind !== 'change') return;
      try {
        const state = stateOf(raw.topic);
        if (writerSchemaId !== undefined) state.writerSchemaIds.add(writerSchemaId);
        const stamp = stampNow();
        state.dirty = true;
        if (options.samples > 0) {
          state.pending.push({ raw, stamp });
          if (state.pending.length >= 2 * options.samples) state.pending.splice(0, state.pending.length - options.samples);
        }
        if (options.sampleRate < 1 && random() >= options.sampleRate) return;
        state.profile.observe(decoded, stamp);
      } catch {
        // A profiling bug must never cost an ingested record; counted and logged at the next flush.
        observeErrors += 1;
      }
    },
    async start() {
      if (!enabled) return;
      await ensureDiscoveryIndexes(options.db);
      timer = setInterval(() => {
        void flush();
      }, options.flushMs);
      timer.unref();
      log.info({ sampleRate: options.sampleRate, flushMs: options.flushMs, samples: options.samples, processId }, 'raw-schema discovery on');
    },
    flush,
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      if (enabled) await flush();
    },
  };
}
