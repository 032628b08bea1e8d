import { EventEmitter } from 'node:events';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import { canonicalTopic, type CanonicalEvent } from '../events/canonical-event';
import { ensureTopics } from '../infra/kafka-topics';
import type { Logger } from '../logger';
import { createConsumerHealth, type ConsumerHealth } from '../observability/consumer-health';
import { createEventLog } from '../events/event-log';
import { resolveReferences } from '../events/event-reference';
import { parseCanonicalMessage } from '../subscriptions/parse-canonical-message';
import { compileMetric, type CompiledMetric } from './aggregation';
import { AppError, ErrorCode } from '../errors';
import { computeFromState, createBackfills, type BackfillProgress, type Backfills } from './backfill';
import { deepEqualDefinitions } from './definition-equality';
import type { MetricDefinition } from './metric-definition';
import { BUCKET_SUMMARY_PROJECTION, createRollupStore, type BucketView, type EntityChange, type RollupStore } from './rollup-store';
import { withHeartbeats } from '../infra/batch-heartbeat';

/**
 * The metrics role: keeps the rollups of the active metric definitions up to date.
 *
 * It consumes the canonical topics of the subjects that have metrics as its own consumer group
 * (`<ingest group>-metrics` by default), committing a batch's offset only after its rollups are written, so a
 * crash replays the batch, which the version guards of the rollup store make harmless. Being a
 * separate consumer (not a step inside ingestion) keeps ingestion's latency and failure modes
 * independent of metrics, lets it scale on its own, and lets a metric added later catch up
 * without touching ingestion.
 *
 * The active set can change at run time (`setDefinitions`): a definition version never seen
 * before is backfilled from canonical state (same aggregation code, progress kept in
 * `metric_backfills`) while streaming already maintains it; both write through the guarded
 * rollup store, so they can overlap in any order.
 */
export interface MetricsService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Replaces the active definitions (at most one version per name). */
  setDefinitions(definitions: readonly MetricDefinition[]): Promise<void>;
  definitions(): MetricDefinition[];
  /** Resolves when every backfill started so far has finished (tests, benchmarks). */
  backfillsSettled(): Promise<void>;
  /**
   * Recomputes a metric from canonical state in memory (the batch path) and compares it with the
   * stored rollups, bucket by bucket. Exact only while no change is in flight.
   */
  verify(name: string): Promise<MetricVerification>;
  progress(name: string): Promise<BackfillProgress | null>;
  /** Applies canonical events directly (the consumer's path, without Kafka). */
  applyEvents(events: readonly CanonicalEvent[]): Promise<BucketView[]>;
  /** Bucket rewrites made by this process, as they happen. */
  onBuckets(listener: (buckets: BucketView[]) => void): () => void;
  readonly stats: MetricsStats;
  readonly rollups: RollupStore;
  /** The consumer's state (starting until it has joined its group; idle without a metric): for readiness. */
  health(): ConsumerHealth;
}

export interface MetricVerification {
  readonly metric: string;
  readonly buckets: number;
  /** Bucket ids whose stored aggregate differs from the recomputation (either side may be absent). */
  readonly mismatches: string[];
}

export interface MetricsStats {
  events: number;
  applied: number;
  skipped: number;
  buckets: number;
  batches: number;
}

export interface MetricsServiceOptions {
  readonly kafka: Kafka | null;
  readonly db: Db;
  readonly logger: Logger;
  readonly groupId: string;
  readonly topicPrefix: string;
  readonly canonicalPartitions: number;
  readonly sessionTimeoutMs?: number;
}

export function createMetricsService(options: MetricsServiceOptions): MetricsService {
  const log = options.logger.child({ component: 'metrics' });
  const rollups = createRollupStore(options.db);
  const eventLog = createEventLog(options.db);
  const backfills: Backfills = createBackfills(options.db, rollups);
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const stats: MetricsStats = { events: 0, applied: 0, skipped: 0, buckets: 0, batches: 0 };
  let active: CompiledMetric[] = [];
  let consumer: Consumer | null = null;
  let consumedSubjects: string[] = [];
  let running = false;
  const health = createConsumerHealth();
  const inFlightBackfills = new Set<Promise<unknown>>();
  // Start, stop and definition changes each restart the consumer: one at a time.
  let chain: Promise<void> = Promise.resolve();
  const serially = (work: () => Promise<void>): Promise<void> => {
    const run = chain.then(work);
    chain = run.catch(() => undefined);
    return run;
  };

  const subjectsOf = (metrics: readonly CompiledMetric[]) => [...new Set(metrics.map((m) => m.definition.subject))].sort();

  async function applyEvents(events: readonly CanonicalEvent[]): Promise<BucketView[]> {
    const bySubject = new Map<string, EntityChange[]>();
    for (const event of events) {
      const list = bySubject.get(event.subject) ?? [];
      list.push({
        key: event.key,
        version: event.version,
        data: event.op === 'DELETE' ? null : event.after,
        changeTsMs: event.sourceTsMs ?? Date.parse(event.ingestedAt),
      });
      bySubject.set(event.subject, list);
    }
    const written: BucketView[] = [];
    for (const metric of active) {
      const changes = bySubject.get(metric.definition.subject);
      if (!changes) continue;
      const result = await rollups.apply(metric, changes);
      stats.applied += result.applied;
      stats.skipped += result.skipped;
      stats.buckets += result.buckets.length;
      written.push(...result.buckets);
    }
    stats.events += events.length;
    if (written.length > 0) emitter.emit('buckets', written);
    return written;
  }

  async function handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const parsed: CanonicalEvent[] = [];
    for (const message of batch.messages) {
      const event = parseCanonicalMessage(message.value);
      if (event) parsed.push(event);
    }
    // An event over the topic's limit stands there as a reference: its whole event is in the log.
    const events: CanonicalEvent[] = [];
    for (const [i, event] of (await resolveReferences(eventLog, parsed)).entries()) {
      if (event) events.push(event);
      else
        log.error({ eventId: parsed[i]!.id, key: parsed[i]!.key, version: parsed[i]!.version }, 'a reference event whose event the log does not have: skipped');
    }
    await applyEvents(events);
    const last = batch.messages[batch.messages.length - 1]!;
    payload.resolveOffset(last.offset);
    // Through the batch's own commit, not consumer.commitOffsets: kafkajs skips the latter silently
    // once disconnect() has begun, which would lose the commit of the batch a shutdown waits for.
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
    });
    // No heartbeat of ours after the commit (kafkajs sends one after every batch): one refused by a
    // rebalance under way would fail a batch already committed (src/ingestion/ingestion-consumer.ts).
    stats.batches += 1;
  }

  async function restartConsumer(): Promise<void> {
    if (!options.kafka) {
      health.set(running ? 'idle' : 'stopped');
      return;
    }
    const subjects = subjectsOf(active);
    if (running && consumer && subjects.join() === consumedSubjects.join()) return;
    if (consumer) {
      await consumer.disconnect();
      consumer = null;
      consumedSubjects = [];
    }
    if (!running || subjects.length === 0) {
      health.set(running ? 'idle' : 'stopped');
      return;
    }
    health.set('starting');
    const topics = subjects.map((s) => canonicalTopic(s, options.topicPrefix));
    // Ingestion creates these too; a metric may be defined before its subject has any event.
    await ensureTopics(
      options.kafka,
      topics.map((topic) => ({ topic, numPartitions: options.canonicalPartitions })),
    );
    const next = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 200,
      sessionTimeout: options.sessionTimeoutMs ?? 10000,
      heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 10000) / 3)),
    });
    // kafkajs restarts the consumer after a retriable crash itself; after any other crash nothing
    // consumes any more, which readiness must say (the process cannot keep its metrics current).
    next.on(next.events.CRASH, ({ payload }) => {
      if (consumer !== next && consumer !== null) return;
      log.error(
        { err: payload.error, restart: payload.restart },
        payload.restart ? 'metrics consumer crashed; kafkajs restarts it' : 'metrics consumer crashed for good',
      );
      health.set(payload.restart ? 'starting' : 'failed', payload.error);
    });
    next.on(next.events.GROUP_JOIN, () => {
      if (running) health.set('consuming');
    });
    await next.connect();
    // A new group (or a newly followed topic) reads from the beginning: everything is guarded
    // by version, and starting at the end could miss an event published before a backfill read.
    await next.subscribe({ topics, fromBeginning: true });
    consumer = next;
    consumedSubjects = subjects;
    // Not awaited, like ingestion's: the join may wait out a crashed predecessor's session, and
    // nothing else (the API, ingestion) should wait for the metrics group.
    void next
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // Every partition of the followed topics its own worker: kafkajs fetches again only once
        // every batch of a fetch is done, so a batch waiting for a free worker delays the whole
        // next fetch. Concurrent batches of a metric share its bucket writes (rollup-store).
        partitionsConsumedConcurrently: topics.length * options.canonicalPartitions,
        eachBatch: (payload) => withHeartbeats(payload.heartbeat, () => handleBatch(payload)),
      })
      .then(
        () => log.info({ groupId: options.groupId, topics }, 'metrics consuming'),
        (error: unknown) => {
          if (consumer !== next) return;
          log.error({ err: error }, 'metrics consumer could not start');
          health.set('failed', error instanceof Error ? error : new Error(String(error)));
        },
      );
  }

  function startBackfill(metric: CompiledMetric): Promise<BackfillProgress | null> {
    const run = (async () => {
      const swept = await rollups.settleDirty(metric);
      if (swept > 0) log.info({ metric: metric.key, settled: swept }, 'settled contributions left dirty by a crash');
      const started = Date.now();
      let logged = 0;
      const result = await backfills.run(metric, {
        restart: true,
        onProgress: (p) => {
          if (p.state === 'done' || Date.now() - logged > 2000) {
            logged = Date.now();
            log.info({ metric: metric.key, state: p.state, scanned: p.scanned, total: p.total }, 'metric backfill progress');
          }
        },
      });
      if (result?.state === 'done' && result.scanned > 0) log.info({ metric: metric.key, ms: Date.now() - started }, 'metric backfill done');
      return result;
    })();
    const tracked = run.catch((error: unknown) => {
      log.error({ err: error, metric: metric.key }, 'metric backfill failed');
      return null;
    });
    inFlightBackfills.add(tracked);
    void tracked.finally(() => inFlightBackfills.delete(tracked));
    return run;
  }

  return {
    stats,
    rollups,
    applyEvents,
    health: () => health.health(),
    async start() {
      await rollups.ensureIndexes();
      await serially(async () => {
        running = true;
        await restartConsumer();
      });
    },
    async stop() {
      await serially(async () => {
        running = false;
        await restartConsumer();
      });
      await Promise.all([...inFlightBackfills]);
      await rollups.intentsClosed();
    },
    async setDefinitions(definitions) {
      const compiled = definitions.map((definition) => {
        const existing = active.find((m) => m.key === compileMetric(definition).key);
        // Same name and version with another body would mix two definitions in one rollup.
        if (existing && !deepEqualDefinitions(existing.definition, definition)) {
          log.warn({ metric: existing.key }, 'a changed metric definition must get a new version; keeping the running one');
          return existing;
        }
        return existing ?? compileMetric(definition);
      });
      const added = compiled.filter((m) => !active.some((a) => a.key === m.key));
      active = compiled;
      await serially(restartConsumer);
      // A version (re)activated here is brought current from state: one never computed is built,
      // one computed before (rolled back to, deactivated then activated, or active when this
      // process was down) missed every change consumed while it was not active here, so it is
      // re-run over current state — the rollups' version guards apply only what changed.
      for (const metric of added) void startBackfill(metric).catch(() => undefined);
      log.info({ metrics: active.map((m) => m.key) }, 'metric definitions active');
    },
    definitions: () => active.map((m) => m.definition),
    async backfillsSettled() {
      while (inFlightBackfills.size > 0) await Promise.all([...inFlightBackfills]);
    },
    async verify(name) {
      const metric = active.find((m) => m.definition.name === name);
      if (!metric) throw new AppError(ErrorCode.NOT_FOUND, `no active metric "${name}"`);
      const expected = await computeFromState(options.db, metric);
      const stored = await rollups.buckets.find({ metric: metric.key, count: { $gt: 0 } }, { projection: BUCKET_SUMMARY_PROJECTION }).toArray();
      const mismatches = new Set<string>();
      for (const doc of stored) {
        const want = expected.get(doc._id);
        if (!want || want.count !== doc.count || want.sum !== doc.sum || want.min !== doc.min || want.max !== doc.max) mismatches.add(doc._id);
      }
      const storedIds = new Set(stored.map((d) => d._id));
      for (const [id, want] of expected) if (want.count > 0 && !storedIds.has(id)) mismatches.add(id);
      return { metric: metric.key, buckets: expected.size, mismatches: [...mismatches].sort() };
    },
    async progress(name) {
      const metric = active.find((m) => m.definition.name === name);
      return metric ? backfills.progress(metric.key) : null;
    },
    onBuckets(listener) {
      emitter.on('buckets', listener);
      return () => emitter.off('buckets', listener);
    },
  };
}
