import type { Db } from 'mongodb';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { canonicalTopic } from '../events/canonical-event';
import { ensureTopics } from '../infra/kafka-topics';
import { createEventLog } from '../events/event-log';
import { createEventPublisher, type EventSchemaIds } from '../events/event-publisher';
import { createMessageSizeLimit } from '../events/message-size-limit';
import type { Logger } from '../logger';
import type { ConsumerHealth } from '../observability/consumer-health';
import type { ServiceMetrics } from '../observability/service-metrics';
import { createEntityStore } from '../state/entity-store';
import type { DecodeLimits } from './debezium/decode-limits';
import { createDeadLetterSink } from './dead-letter';
import { createIngestionConsumer, type IngestionConsumer } from './ingestion-consumer';
import { createIngestionStats, type IngestionStats } from './ingestion-stats';
import { createPipeline, type PipelineSpec, type RecordObserver } from './pipeline';
import { createStateCache } from './state-cache';
import type { BatchDecoder } from './registry/registry-decoder';

/**
 * The ingestion role assembled: store, event log, publisher, dead-letter sink, pipeline and
 * consumer, for a fixed set of active specs.
 */
export interface IngestionOptions {
  readonly kafka: Kafka;
  readonly db: Db;
  readonly specs: readonly RoutedSpec[];
  readonly validate: (subject: string, document: Record<string, unknown>) => string[];
  readonly groupId: string;
  readonly deadLetterTopic: string;
  readonly canonicalPartitions: number;
  readonly canonicalTopicPrefix: string;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs?: number;
  /** Raw bytes a batch takes from one partition (CANONQL_INGEST_FETCH_MAX_BYTES); default DEFAULT_FETCH_MAX_BYTES. */
  readonly fetchMaxBytes?: number;
  /** Entity states kept after writing them, read instead of the store by the next batch (0: none). */
  readonly stateCacheEntries?: number;
  /** Nesting and size bounds of what is decoded and stored (default: what MongoDB accepts). */
  readonly decodeLimits?: DecodeLimits;
  /** Caps the canonical topics' message size limit read from the cluster (CANONQL_PUBLISH_MAX_BYTES). */
  readonly publishMaxBytes?: number | null;
  readonly logger: Logger;
  /** Sees every decoded record (raw-schema discovery's profiler). */
  readonly observe?: RecordObserver;
  /** Decodes raw topics of every record format (registry/registry-decoder.ts); default: every topic is JSON. */
  readonly decoder?: BatchDecoder;
  /** Subjects whose canonical events are published in the registry wire format: their event schema's id. */
  readonly eventSchemaIds?: EventSchemaIds;
  /** Prometheus counters of the app (src/observability/). */
  readonly metrics?: ServiceMetrics;
}

export interface Ingestion {
  readonly stats: IngestionStats;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Switches to another set of active specs without a restart: records read from now on use the
   * new set; when the set of raw topics changes the consumer re-subscribes (same group, so
   * committed offsets carry over and nothing is read twice or skipped).
   */
  setSpecs(specs: readonly RoutedSpec[]): Promise<void>;
  activeSpecs(): readonly RoutedSpec[];
  /** The consumer's state (starting until it has joined its group; idle without an active spec). */
  health(): ConsumerHealth;
}

type RoutedSpec = PipelineSpec & { readonly topics: readonly string[] };

function indexByTopic(specs: readonly RoutedSpec[]): Map<string, RoutedSpec[]> {
  const byTopic = new Map<string, RoutedSpec[]>();
  for (const spec of specs) {
    for (const topic of spec.topics) byTopic.set(topic, [...(byTopic.get(topic) ?? []), spec]);
  }
  return byTopic;
}

export function createIngestion(options: IngestionOptions): Ingestion {
  const stats = createIngestionStats();
  const store = createEntityStore(options.db);
  const eventLog = createEventLog(options.db);
  // Replaced as a whole when the active specs change (setSpecs); the pipeline reads it per record.
  let bySourceTopic = indexByTopic(options.specs);
  // Forgotten on every group join: keys of partitions that moved away are written elsewhere now.
  const states = options.stateCacheEntries ? createStateCache(options.stateCacheEntries) : undefined;
  const pipeline = createPipeline({
    store,
    eventLog,
    ...(states ? { states } : {}),
    validate: options.validate,
    specsForTopic: (topic) => bySourceTopic.get(topic) ?? [],
    ...(options.decodeLimits ? { decodeLimits: options.decodeLimits } : {}),
    ...(options.observe ? { observe: options.observe } : {}),
    ...(options.decoder ? { decoder: options.decoder } : {}),
  });
  let producer: Producer | null = null;
  const sizeLimit = createMessageSizeLimit({ kafka: options.kafka, cap: options.publishMaxBytes ?? null });
  let consumer: IngestionConsumer | null = null;
  let activeList: readonly RoutedSpec[] = options.specs;
  let changing: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const startedAt = Date.now();

  /** Topics and indexes the specs need, created before any record of theirs is read. */
  async function prepare(specs: readonly RoutedSpec[]): Promise<void> {
    const subjects = [...new Set(specs.map((s) => s.subject))];
    await ensureTopics(options.kafka, [
      ...[...indexByTopic(specs).keys()].map((topic) => ({ topic, numPartitions: 1 })),
      ...subjects.map((subject) => ({ topic: canonicalTopic(subject, options.canonicalTopicPrefix), numPartitions: options.canonicalPartitions })),
      { topic: options.deadLetterTopic, numPartitions: 1 },
    ]);
    await eventLog.ensureIndexes();
    for (const subject of subjects) await store.ensureIndexes(subject);
  }

  async function startConsumer(): Promise<void> {
    consumer = createIngestionConsumer({
      kafka: options.kafka,
      groupId: options.groupId,
      topics: [...bySourceTopic.keys()],
      fromBeginning: options.fromBeginning,
      ...(options.sessionTimeoutMs ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
      ...(options.fetchMaxBytes ? { fetchMaxBytes: options.fetchMaxBytes } : {}),
      ...(states ? { onGroupJoin: () => states.clear() } : {}),
      pipeline,
      publisher: createEventPublisher(producer!, {
        topicPrefix: options.canonicalTopicPrefix,
        sizeLimit,
        ...(options.eventSchemaIds ? { schemaIdOf: options.eventSchemaIds } : {}),
      }),
      deadLetters: createDeadLetterSink({ producer: producer!, db: options.db, topic: options.deadLetterTopic }),
      stats,
      logger: options.logger,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    if (bySourceTopic.size > 0) await consumer.start();
    else options.logger.warn('ingestion has no active spec: nothing to consume');
  }

  return {
    stats,
    async start() {
      await prepare(options.specs);
      // Murmur2 (the Java client's partitioner), stated explicitly: Kafka Streams and Java consumers
      // of canonical topics then agree on which partition holds an entity key.
      producer = options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      await startConsumer();
    },
    setSpecs(specs) {
      const change = changing.then(async () => {
        await prepare(specs);
        const next = indexByTopic(specs);
        const topicsChanged = !sameTopics(next, bySourceTopic);
        if (stopped) return;
        activeList = specs;
        bySourceTopic = next;
        options.logger.info({ specs: specs.map((s) => `${s.id}@${s.version}`), resubscribe: topicsChanged }, 'active specs changed');
        if (topicsChanged && producer) {
          await consumer?.stop();
          consumer = null; // between the two consumers: starting, not stopped
          await startConsumer();
        }
      });
      changing = change.catch(() => undefined);
      return change;
    },
    activeSpecs: () => activeList,
    health(): ConsumerHealth {
      if (consumer === null) return stopped ? { state: 'stopped', since: Date.now() } : { state: 'starting', since: startedAt };
      if (bySourceTopic.size === 0) return { state: 'idle', since: startedAt };
      return consumer.health();
    },
    async stop() {
      stopped = true;
      await changing;
      await consumer?.stop();
      await producer?.disconnect();
      await sizeLimit.close();
      consumer = null;
      producer = null;
    },
  };
}

function sameTopics(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  return a.size === b.size && [...a.keys()].every((topic) => b.has(topic));
}
