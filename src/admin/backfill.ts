import crypto from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { Db } from 'mongodb';
import { AppError, ErrorCode, isAppError } from '../errors';
import { canonicalEventId, changedFields, type CanonicalEvent } from '../events/canonical-event';
import { deepEqual } from '../values/deep-equal';
import type { EventLog } from '../events/event-log';
import type { EventPublisher } from '../events/event-publisher';
import { claimsOwnedBy } from '../mapping/merge-by-precedence';
import { readRange, type PartitionRange } from '../infra/read-range';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../ingestion/debezium/decode-limits';
import { decodeRecord, type DecodedRecord, type RawRecord } from '../ingestion/debezium/decode-record';
import type { BatchDecoder } from '../ingestion/registry/registry-decoder';
import { compileForPipeline, type RoutedSpec } from '../ingestion/pipeline-spec';
import { sourceIdOf, toIntent } from '../ingestion/pipeline';
import { isInvalidChange, planChange, type Validate } from '../ingestion/plan-change';
import type { Logger } from '../logger';
import type { MappingSpec } from '../mapping/mapping-spec';
import type { EntityStore, EntityWrite, StoredEntity } from '../state/entity-store';
import { rawRecordOf } from '../ingestion/kafka-raw-record';
import { oversizedLetter, type DeadLetterSink } from '../ingestion/dead-letter';

/**
 * Backfill: re-canonicalize a subject from a spec's raw topics, e.g. after a transform fix.
 *
 * The raw topics are read from the beginning (or a timestamp) up to their end at start, with a
 * consumer group of the job's own, and folded per entity in memory with the same decoder, mapping
 * and change planning as ingestion. Then each folded entity is written with a compare-and-set:
 *   - the stored entity has not moved past the folded source position: the folded fields replace
 *     the spec's fields (other specs' fields stay), as a new version with an UPDATE event;
 *   - the stored entity is newer (live ingestion applied later records meanwhile): the job reads
 *     on to the topic's new end for those entities and tries again (catch-up rounds);
 *   - unchanged entities are not written, so a backfill that fixes nothing emits nothing.
 * Live ingestion is never blocked and never loses: every backfill write is conditional on the
 * version it read, and it never writes a source position older than the stored one.
 * Backfill events get ids of their own (position + job id), so they never collide with the
 * events of the original records.
 */
export type BackfillFrom = { readonly beginning: true } | { readonly timestamp: Date };

export interface BackfillProgress {
  readonly total: number;
  readonly read: number;
  readonly entities: number;
  readonly rewritten: number;
  readonly unchanged: number;
  readonly failed: number;
  /** Rewritten entities whose canonical event is over the topic's message limit (dead-lettered EVENT_TOO_LARGE). */
  readonly unpublished: number;
  readonly rounds: number;
}

export interface BackfillJob {
  readonly id: string;
  readonly specId: string;
  readonly specVersion: number;
  readonly subject: string;
  readonly topics: readonly string[];
  readonly from: { readonly beginning: boolean; readonly timestamp: Date | null };
  readonly status: 'running' | 'completed' | 'failed';
  readonly progress: BackfillProgress;
  readonly error: string | null;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

export interface Backfills {
  /** Starts a job in the background; its progress is in the store (`get`/`list`). */
  start(spec: MappingSpec, from: BackfillFrom): Promise<BackfillJob>;
  get(id: string): Promise<BackfillJob | null>;
  list(specId?: string): Promise<BackfillJob[]>;
  /** Resolves when the job has finished (tests, CLI). */
  wait(id: string): Promise<BackfillJob>;
  /** Aborts running jobs (they end `failed: interrupted`) and waits for them. */
  stop(): Promise<void>;
}

export interface BackfillDeps {
  readonly db: Db;
  readonly kafka: Kafka;
  readonly store: EntityStore;
  readonly eventLog: EventLog;
  readonly publisher: () => Promise<EventPublisher>;
  /** Where an event too large to publish is dead-lettered. */
  readonly deadLetters: () => Promise<DeadLetterSink>;
  readonly validate: Validate;
  readonly logger: Logger;
  /** Nesting and size bounds of what is decoded and stored (default: what MongoDB accepts). */
  readonly decodeLimits?: DecodeLimits;
  /** Ingestion's record decoder (per-topic record format, source registry); default: every topic is JSON. */
  readonly decoder?: BatchDecoder;
}

export const BACKFILL_JOBS_COLLECTION = 'backfill_jobs';
const MAX_ROUNDS = 10;
const WRITE_CHUNK = 250;

type JobDoc = Omit<BackfillJob, 'id'> & { _id: string };

export function createBackfills(deps: BackfillDeps): Backfills {
  const jobs = deps.db.collection<JobDoc>(BACKFILL_JOBS_COLLECTION);
  const running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  const log = deps.logger.child({ component: 'backfill' });
  const fromDoc = ({ _id, ...rest }: JobDoc): BackfillJob => ({ id: _id, ...rest });

  return {
    async start(spec, from) {
      const routed = compileForPipeline(spec);
      const now = new Date();
      const doc: JobDoc = {
        _id: `backfill-${routed.id}-${now.getTime().toString(36)}-${crypto.randomBytes(3).toString('hex')}`,
        specId: routed.id,
        specVersion: routed.version,
        subject: routed.subject,
        topics: routed.topics,
        from: 'beginning' in from ? { beginning: true, timestamp: null } : { beginning: false, timestamp: from.timestamp },
        status: 'running',
        progress: { total: 0, read: 0, entities: 0, rewritten: 0, unchanged: 0, failed: 0, unpublished: 0, rounds: 0 },
        error: null,
        startedAt: now,
        updatedAt: now,
        finishedAt: null,
      };
      await jobs.insertOne(doc);
      const abort = new AbortController();
      const done = runJob(deps, routed, doc, from, abort.signal, (progress) =>
        jobs.updateOne({ _id: doc._id }, { $set: { progress, updatedAt: new Date() } }).then(() => undefined),
      )
        .then(async (progress) => {
          await jobs.updateOne({ _id: doc._id }, { $set: { status: 'completed', progress, updatedAt: new Date(), finishedAt: new Date() } });
          log.info({ job: doc._id, ...progress }, 'backfill completed');
        })
        .catch(async (error: unknown) => {
          const message = abort.signal.aborted ? 'interrupted: the process stopped' : error instanceof Error ? error.message : String(error);
          log.error({ job: doc._id, err: error }, 'backfill failed');
          await jobs
            .updateOne({ _id: doc._id }, { $set: { status: 'failed', error: message, updatedAt: new Date(), finishedAt: new Date() } })
            .catch(() => undefined);
        })
        .finally(() => running.delete(doc._id));
      running.set(doc._id, { abort, done });
      log.info({ job: doc._id, spec: `${routed.id}@${routed.version}`, topics: routed.topics, from: doc.from }, 'backfill started');
      return fromDoc(doc);
    },
    async get(id) {
      const doc = await jobs.findOne({ _id: id });
      return doc ? fromDoc(doc) : null;
    },
    async list(specId) {
      const docs = await jobs.find(specId === undefined ? {} : { specId }).toArray();
      return docs.map(fromDoc).sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
    },
    async wait(id) {
      await running.get(id)?.done;
      const doc = await jobs.findOne({ _id: id });
      if (!doc) throw new AppError(ErrorCode.NOT_FOUND, `no backfill job "${id}"`);
      return fromDoc(doc);
    },
    async stop() {
      for (const job of running.values()) job.abort.abort();
      await Promise.all([...running.values()].map((job) => job.done));
    },
  };
}

interface Folded {
  state: StoredEntity | null;
}

async function runJob(
  deps: BackfillDeps,
  spec: RoutedSpec,
  job: JobDoc,
  from: BackfillFrom,
  signal: AbortSignal,
  report: (progress: BackfillProgress) => Promise<void>,
): Promise<BackfillProgress> {
  const admin = deps.kafka.admin();
  await admin.connect();
  const progress = { ...job.progress };
  const folded = new Map<string, Folded>();
  const now = new Date();
  let lastReport = Date.now();
  try {
    // Round 0 reads [start, end-at-start); each catch-up round reads on to the then current end.
    let ranges = await startRanges(admin, spec.topics, from);
    progress.total = countOf(ranges);
    let only: Set<string> | null = null;
    for (let round = 0; round <= MAX_ROUNDS; round += 1) {
      progress.rounds = round + 1;
      for (const [topic, topicRanges] of ranges) {
        await readRange({
          kafka: deps.kafka,
          topic,
          ranges: topicRanges,
          groupId: `${job._id}-r${round}`,
          logger: deps.logger,
          signal,
          onMessage: async (partition: number, message: KafkaMessage) => {
            progress.read += 1;
            await foldRecord(deps, spec, rawRecordOf(topic, partition, message), folded, only, from, now, progress);
            if (Date.now() - lastReport > 1000) {
              lastReport = Date.now();
              await report({ ...progress, entities: folded.size });
            }
          },
        });
      }
      if (signal.aborted) throw new AppError(ErrorCode.INTERNAL, 'interrupted');
      progress.entities = folded.size;
      const newer = await writeFolded(deps, spec, job._id, folded, only, now, progress);
      await report({ ...progress });
      if (newer.size === 0) return progress;
      // Live ingestion moved these entities past what was folded: fold their later records too.
      only = newer;
      const ends = await endRanges(admin, ranges);
      progress.total += countOf(ends);
      ranges = ends;
    }
    throw new AppError(ErrorCode.CONFLICT, `${only?.size ?? 0} entities kept changing faster than the backfill could catch up after ${MAX_ROUNDS} rounds`);
  } finally {
    await admin.disconnect();
  }
}

async function startRanges(admin: Admin, topics: readonly string[], from: BackfillFrom): Promise<Map<string, PartitionRange[]>> {
  const out = new Map<string, PartitionRange[]>();
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    const starts = 'timestamp' in from ? await admin.fetchTopicOffsetsByTimestamp(topic, from.timestamp.getTime()) : null;
    out.set(
      topic,
      offsets.map((o) => {
        const at = starts?.find((s) => s.partition === o.partition)?.offset;
        const start = at === undefined ? Number(o.low) : Number(at) < 0 ? Number(o.high) : Number(at);
        return { partition: o.partition, from: start, to: Number(o.high) };
      }),
    );
  }
  return out;
}

async function endRanges(admin: Admin, previous: Map<string, PartitionRange[]>): Promise<Map<string, PartitionRange[]>> {
  const out = new Map<string, PartitionRange[]>();
  for (const [topic, ranges] of previous) {
    const offsets = await admin.fetchTopicOffsets(topic);
    out.set(
      topic,
      ranges.map((r) => ({ partition: r.partition, from: r.to, to: Number(offsets.find((o) => o.partition === r.partition)?.high ?? r.to) })),
    );
  }
  return out;
}

const countOf = (ranges: Map<string, PartitionRange[]>) => [...ranges.values()].flat().reduce((n, r) => n + Math.max(0, r.to - r.from), 0);

async function foldRecord(
  deps: BackfillDeps,
  spec: RoutedSpec,
  raw: RawRecord,
  folded: Map<string, Folded>,
  only: ReadonlySet<string> | null,
  from: BackfillFrom,
  now: Date,
  progress: { failed: number },
): Promise<void> {
  let intent: ReturnType<typeof toIntent>;
  try {
    const limits = deps.decodeLimits ?? DEFAULT_DECODE_LIMITS;
    const decoded = await decodeOne(deps.decoder, raw, limits);
    if (decoded.kind !== 'change') return;
    intent = toIntent(decoded, spec, raw, limits);
  } catch (error) {
    // A registry that does not answer (after the client's retries) or with which no TLS session
    // is had fails the job: folding on without the record would write an entity that misses a
    // change; a later run reads it again.
    if (!isAppError(error) || error.code === ErrorCode.SCHEMA_REGISTRY_UNAVAILABLE || error.code === ErrorCode.SCHEMA_REGISTRY_TLS_FAILED) throw error;
    progress.failed += 1;
    return;
  }
  if (only && !only.has(intent.key)) return;
  let entry = folded.get(intent.key);
  if (!entry) {
    // From a timestamp, earlier records are not read: fold onto the stored state instead of
    // nothing, with this source's position cleared so the replayed records apply.
    entry = { state: 'timestamp' in from ? withoutPosition(await deps.store.get(spec.subject, intent.key), intent.sourceId) : null };
    folded.set(intent.key, entry);
  }
  try {
    const plan = planChange(intent, entry.state, now, deps.validate);
    if (plan.kind === 'write') entry.state = plan.next;
  } catch (error) {
    if (!isInvalidChange(error)) throw error;
    progress.failed += 1;
  }
}

/** A raw record decoded as ingestion decodes it: by its topic's record format when a record decoder is given, else as JSON. */
async function decodeOne(decoder: BatchDecoder | undefined, raw: RawRecord, limits: DecodeLimits): Promise<DecodedRecord> {
  if (!decoder) return decodeRecord(raw, { limits });
  const [entry] = await decoder.decodeBatch([raw]);
  if (entry?.decoded) return entry.decoded;
  throw entry?.error ?? new AppError(ErrorCode.INTERNAL, `the record decoder gave no result for ${raw.topic}:${raw.partition}:${raw.offset}`);
}

function withoutPosition(entity: StoredEntity | null, sourceId: string): StoredEntity | null {
  if (!entity) return null;
  const positions = { ...entity._meta.positions };
  delete positions[sourceId];
  return { ...entity, _meta: { ...entity._meta, positions } };
}

/** Writes what was folded; returns the keys whose stored state is newer than the fold. */
async function writeFolded(
  deps: BackfillDeps,
  spec: RoutedSpec,
  jobId: string,
  folded: Map<string, Folded>,
  only: ReadonlySet<string> | null,
  now: Date,
  progress: { rewritten: number; unchanged: number; failed: number; unpublished: number },
): Promise<Set<string>> {
  const newer = new Set<string>();
  const keys = [...folded.keys()].filter((key) => (only ? only.has(key) : true));
  for (let i = 0; i < keys.length; i += WRITE_CHUNK) {
    const chunk = keys.slice(i, i + WRITE_CHUNK);
    const stored = await deps.store.getMany(spec.subject, chunk);
    const writes: EntityWrite[] = [];
    const events: CanonicalEvent[] = [];
    for (const key of chunk) {
      const fold = folded.get(key)!.state;
      if (!fold) continue;
      const current = stored.get(key) ?? null;
      if (current && isNewer(current, fold)) {
        newer.add(key);
        continue;
      }
      const next = rewrite(spec, current, fold, jobId, now);
      if (!next) {
        progress.unchanged += 1;
        continue;
      }
      if (!next.entity._meta.deleted) {
        const problems = deps.validate(spec.subject, next.entity.data);
        if (problems.length > 0) {
          progress.failed += 1;
          continue;
        }
      }
      writes.push({ key, expectedVersion: current?._meta.version ?? null, next: next.entity });
      if (next.event) events.push(next.event);
    }
    await deps.eventLog.insertMany(events);
    const lost = new Set(await deps.store.writeMany(spec.subject, writes));
    for (const event of events.filter((e) => lost.has(e.key))) await deps.eventLog.discardUnpublished(event.id);
    for (const key of lost) newer.add(key);
    const written = events.filter((e) => !lost.has(e.key));
    const { oversized } = await (await deps.publisher()).publish(written);
    if (oversized.length > 0) {
      // Rewritten, but the event is too large for its topic even alone: dead-lettered with
      // EVENT_TOO_LARGE and left unpublished in the log, as ingestion does; never marked published.
      await (await deps.deadLetters()).send(oversized.map((o) => oversizedLetter(o)));
      progress.unpublished += oversized.length;
    }
    const tooLarge = new Set(oversized.map((o) => o.event.id));
    await deps.eventLog.markPublished(written.filter((e) => !tooLarge.has(e.id)).map((e) => e.id));
    progress.rewritten += writes.length - lost.size;
  }
  return newer;
}

function isNewer(current: StoredEntity, fold: StoredEntity): boolean {
  return Object.entries(fold._meta.positions).some(([source, position]) => {
    const stored = current._meta.positions[source];
    return stored !== undefined && stored > position;
  });
}

/** The stored entity with this spec's fields replaced by the folded ones, or null when nothing changes. */
function rewrite(
  spec: RoutedSpec,
  current: StoredEntity | null,
  fold: StoredEntity,
  jobId: string,
  now: Date,
): { entity: StoredEntity; event: CanonicalEvent | null } | null {
  const before = current && !current._meta.deleted ? current.data : null;
  let after: Record<string, unknown> | null;
  if (fold._meta.deleted) after = null;
  else {
    const kept: Record<string, unknown> = { ...(current?.data ?? {}) };
    for (const field of spec.ownedFields) delete kept[field];
    after = { ...kept, ...fold.data };
  }
  const positions = { ...(current?._meta.positions ?? {}), ...fold._meta.positions };
  if (current && deepEqual(before, after) && deepEqual(current._meta.positions, positions)) return null;
  const version = (current?._meta.version ?? 0) + 1;
  const sourceId = sourceIdOf(spec.topics[0]!);
  const event: CanonicalEvent | null =
    before === null && after === null
      ? null
      : {
          id: canonicalEventId(spec.subject, fold._id, sourceId, `${fold._meta.position}#${jobId}`),
          subject: spec.subject,
          key: fold._id,
          op: after === null ? 'DELETE' : before === null ? 'CREATE' : 'UPDATE',
          version,
          before,
          after,
          changedFields: changedFields(before, after),
          spec: { id: spec.id, version: spec.version },
          source: {
            topic: spec.topics[0]!,
            partition: -1,
            offset: '-1',
            position: fold._meta.position,
            connector: 'backfill',
            op: 'backfill',
            snapshot: false,
          },
          sourceTsMs: fold._meta.sourceTsMs,
          ingestedAt: now.toISOString(),
        };
  return {
    event,
    entity: {
      _id: fold._id,
      data: after ?? current?.data ?? fold.data,
      _meta: {
        version,
        positions,
        position: fold._meta.position,
        specId: spec.id,
        specVersion: spec.version,
        sourceTsMs: fold._meta.sourceTsMs,
        createdAt: current?._meta.createdAt ?? now,
        updatedAt: now,
        deleted: after === null,
        lastEventId: event?.id ?? current?._meta.lastEventId ?? fold._meta.lastEventId,
        ...(current?._meta.claims ? { claims: claimsOwnedBy({ claims: current._meta.claims, owner: current._meta.specId }, spec.id) } : {}),
      },
    },
  };
}
