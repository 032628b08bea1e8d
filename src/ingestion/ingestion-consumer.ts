import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { EventPublisher } from '../events/event-publisher';
import type { CanonicalEvent } from '../events/canonical-event';
import { isTransient, withRetry, type RetryPolicy } from '../infra/retry';
import type { Logger } from '../logger';
import { createConsumerHealth, type ConsumerHealth } from '../observability/consumer-health';
import type { ServiceMetrics } from '../observability/service-metrics';
import { oversizedLetter, type DeadLetter, type DeadLetterSink } from './dead-letter';
import type { RawRecord } from './debezium/decode-record';
import type { IngestionStats } from './ingestion-stats';
import { rawRecordOf } from './kafka-raw-record';
import type { Pipeline } from './pipeline';
import { withHeartbeats } from '../infra/batch-heartbeat';

/**
 * The ingestion consumer: a kafkajs consumer group over the raw topics of active specs.
 *
 * Per batch (one partition, offset order): the pipeline applies every message in a few store
 * round trips (per-key order kept). Then dead letters are written, canonical events
 * published and acknowledged, and only then is the batch's offset committed, so a crash at any
 * point replays the batch, which the guarded upsert turns into no-ops. The committed offset is
 * also the outbox's "published" mark: an event whose record lies below it was acknowledged, and a
 * replayed record whose event is found in the log re-publishes it (same id). No per-event write
 * marks events published.
 *
 * Failures (see src/infra/retry.ts): each step of a batch (apply, dead letters, publish) is
 * retried on its own on transient store/Kafka errors, with backoff and a heartbeat
 * between tries. If a step still fails the batch throws: kafkajs retries the whole batch (safe: a
 * replay is a no-op), then crashes the consumer and restarts it; a crash kafkajs will not restart
 * but whose cause is transient (broker gone longer than its retries) is restarted here. Nothing
 * is committed for a batch that did not finish. A programming error is never retried: the
 * consumer stops, logged at fatal level, and `failure()` reports it.
 */
export interface IngestionConsumer {
  start(): Promise<void>;
  /** Stops fetching, lets the batch in flight finish, commits it, leaves the group. */
  stop(): Promise<void>;
  /** The programming error that stopped consuming for good, or null. */
  failure(): Error | null;
  /** Starting (joining, restarting), consuming, failed for good or stopped: for readiness. */
  health(): ConsumerHealth;
}

export interface IngestionConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly pipeline: Pipeline;
  readonly publisher: EventPublisher;
  readonly deadLetters: DeadLetterSink;
  readonly stats: IngestionStats;
  readonly logger: Logger;
  readonly sessionTimeoutMs?: number;
  /** Raw bytes a batch takes from one partition; default DEFAULT_FETCH_MAX_BYTES. */
  readonly fetchMaxBytes?: number;
  /** Retries of each step of a batch; default DEFAULT_RETRY_POLICY. */
  readonly retryPolicy?: RetryPolicy;
  /** Prometheus counters, moved after each commit (src/observability/). */
  readonly metrics?: ServiceMetrics;
  /** Called whenever the consumer (re)joins its group: its partitions may have changed. */
  readonly onGroupJoin?: () => void;
}

/**
 * 4 MiB of raw records per partition and batch. The store's cost of a batch is a fixed number of
 * bulk commands (a state read, the event log insert, the state writes), so its cost per change
 * falls as batches grow; past 4 MiB the benchmark gained little (docs/performance.md), while
 * memory in flight and the work a crash replays keep growing.
 */
export const DEFAULT_FETCH_MAX_BYTES = 4 * 1024 * 1024;

/** Batches (partitions) of one fetch processed at once. */
const PARTITIONS_CONSUMED_CONCURRENTLY = 4;

/**
 * What one fetch takes in all: a full batch for every partition processed at once. kafkajs'
 * default (10 MiB) is less than four batches of 4 MiB, so the broker cut a partition's batch
 * short; kafkajs fetches again only once every batch of a fetch is done, so that partition's
 * remainder came in a fetch of its own, applied while the other three workers waited.
 */
export function fetchMaxBytesInAll(perPartition: number): number {
  return Math.max(10 * 1024 * 1024, perPartition * PARTITIONS_CONSUMED_CONCURRENTLY);
}

export function createIngestionConsumer(options: IngestionConsumerOptions): IngestionConsumer {
  const log = options.logger.child({ component: 'ingestion' });
  let consumer: Consumer | null = null;
  let failure: Error | null = null;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | null = null;
  let restarts = 0;
  const health = createConsumerHealth();

  async function handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const records: RawRecord[] = batch.messages.map((message) => rawRecordOf(batch.topic, batch.partition, message));
    const started = process.hrtime.bigint();
    const step = <T>(what: string, work: () => Promise<T>) =>
      withRetry(what, work, {
        logger: log,
        ...(options.retryPolicy ? { policy: options.retryPolicy } : {}),
        // A held-up batch must not cost the partition: keep the group membership alive meanwhile.
        onRetry: () => payload.heartbeat().catch(() => undefined),
      });
    // A replay of the same records is a no-op (version guard + outbox), so the apply step retries whole.
    // Records below this batch's first offset are committed, so their events were published.
    const publishedBelow = { topic: batch.topic, partition: batch.partition, offset: BigInt(batch.messages[0]!.offset) };
    const results = await step('applying a batch', () => options.pipeline.processBatch(records, { publishedBelow }));
    const applied = process.hrtime.bigint();

    const letters: DeadLetter[] = [];
    const events: CanonicalEvent[] = [];
    for (const result of results) {
      if (result.deadLetter) letters.push(result.deadLetter);
      if (result.publish) events.push(result.publish);
    }
    await step('writing dead letters', () => options.deadLetters.send(letters));
    const { oversized } = await step('publishing canonical events', () => options.publisher.publish(events));
    if (oversized.length > 0) {
      // Too large for Kafka even alone: dead-lettered with its own code, never a stalled partition.
      // The entity's state is applied (and its event logged); only the canonical event is missing.
      const tooLarge = oversized.map((o) => oversizedLetter(o, recordOf(o.event, records)));
      await step('writing dead letters', () => options.deadLetters.send(tooLarge));
      letters.push(...tooLarge);
    }

    const last = batch.messages[batch.messages.length - 1]!;
    payload.resolveOffset(last.offset);
    // Through the batch's own commit, not consumer.commitOffsets: kafkajs skips the latter silently
    // once disconnect() has begun, which would lose the commit of the batch a shutdown waits for.
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
    });
    // Outcomes count once the batch is durable and committed: a counter never runs ahead of
    // what a restart would find, and every committed record is counted by the member that
    // committed it. No heartbeat of ours follows the commit: kafkajs sends one after every batch,
    // and one refused by a rebalance under way (another member joining) would fail a batch
    // already committed, whose records no member would then count.
    for (const result of results) options.stats.count(result.outcome);
    options.stats.batchDone();
    options.metrics?.batchCommitted(batch.topic, results, Date.now());
    for (const letter of letters) {
      log.warn(
        { topic: letter.topic, partition: letter.partition, offset: letter.offset, code: letter.code, spec: letter.spec },
        `dead-lettered: ${letter.message}`,
      );
    }
    log.debug(
      {
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: batch.messages[0]!.offset,
        lastOffset: last.offset,
        messages: batch.messages.length,
        events: events.length,
        applyMs: Number(applied - started) / 1e6,
        totalMs: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'batch committed',
    );
  }

  /**
   * kafkajs restarts a consumer after a retriable crash itself. It does not after a crash it calls
   * non-retriable, which includes a broker unreachable for longer than its retries: such a crash
   * with a transient cause is restarted here, with backoff; a programming error stops consuming.
   */
  function onCrash(crashed: Consumer, error: Error, restarting: boolean): void {
    options.metrics?.recordFailure('ingestion', error);
    if (restarting || stopping || consumer !== crashed) {
      if (restarting && !stopping && consumer === crashed) health.set('starting', error);
      log.warn({ err: error, restart: restarting }, 'ingestion consumer crashed');
      return;
    }
    if (!isTransient(error)) {
      failure = error;
      health.set('failed', error);
      log.fatal({ err: error }, 'ingestion stopped: a non-retriable error (a bug or a broken invariant); not retrying');
      return;
    }
    restarts += 1;
    health.set('starting', error);
    const delayMs = Math.min(30000, 1000 * 2 ** Math.min(5, restarts - 1));
    log.error({ err: error, delayMs }, 'ingestion consumer crashed on a transient error; restarting it');
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (stopping || consumer !== crashed) return;
      consumer = null;
      void crashed
        .disconnect()
        .catch(() => undefined)
        .then(() => (stopping ? undefined : run()))
        .then(() => {
          restarts = 0;
        })
        .catch((restartError: unknown) => onCrash(consumer ?? crashed, restartError as Error, false));
    }, delayMs);
  }

  async function run(): Promise<void> {
    const next = options.kafka.consumer({
      groupId: options.groupId,
      // Bounded batches bound the work a crash replays and the memory in flight (see DEFAULT_FETCH_MAX_BYTES).
      maxBytesPerPartition: options.fetchMaxBytes ?? DEFAULT_FETCH_MAX_BYTES,
      maxBytes: fetchMaxBytesInAll(options.fetchMaxBytes ?? DEFAULT_FETCH_MAX_BYTES),
      maxWaitTimeInMs: 200,
      sessionTimeout: options.sessionTimeoutMs ?? 10000,
      heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 10000) / 3)),
    });
    consumer = next;
    health.set('starting');
    next.on(next.events.CRASH, ({ payload }) => onCrash(next, payload.error, payload.restart));
    next.on(next.events.GROUP_JOIN, () => {
      options.onGroupJoin?.();
      if (consumer === next && !stopping) health.set('consuming');
    });
    await next.connect();
    for (const topic of options.topics) await next.subscribe({ topic, fromBeginning: options.fromBeginning });
    // Not awaited: kafkajs' run() resolves once the group is joined, and after a crash the join
    // waits until the dead member's session expires (static membership, which would let a
    // restarted member take its place at once, is not in kafkajs 2.x). Nothing else of the
    // process waits for it: the API serves meanwhile and readiness reports this consumer as
    // starting. A failure to join reaches onCrash like any crash.
    void next
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
        eachBatch: (payload) =>
          withHeartbeats(payload.heartbeat, () => handleBatch(payload)).catch((error: unknown) => {
            // Nothing of the batch was committed; say which one failed, and count where from.
            options.metrics?.recordFailure('ingestion', error);
            const { topic, partition, messages } = payload.batch;
            log.warn(
              { err: error, topic, partition, firstOffset: messages[0]?.offset, lastOffset: messages[messages.length - 1]?.offset },
              'ingestion batch failed',
            );
            throw error;
          }),
      })
      .then(
        () => log.info({ groupId: options.groupId, topics: options.topics }, 'ingestion consuming'),
        (error: unknown) => onCrash(next, error instanceof Error ? error : new Error(String(error)), false),
      );
  }

  return {
    start: run,
    async stop() {
      stopping = true;
      health.set('stopped');
      if (restartTimer) clearTimeout(restartTimer);
      if (!consumer) return;
      // kafkajs lets the running eachBatch finish (including its commit) before leaving the group.
      await consumer.disconnect();
      consumer = null;
      log.info(options.stats.snapshot(), 'ingestion stopped');
    },
    failure: () => failure,
    health: () => health.health(),
  };
}

function recordOf(event: CanonicalEvent, records: readonly RawRecord[]): RawRecord | undefined {
  return records.find((r) => r.offset === event.source.offset && r.partition === event.source.partition && r.topic === event.source.topic);
}
