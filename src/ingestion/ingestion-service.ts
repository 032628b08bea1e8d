import type { Db } from 'mongodb';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { canonicalTopic } from '../events/canonical-event';
import { ensureTopics } from '../infra/kafka-topics';
import { createEventLog } from '../events/event-log';
import { createEventPublisher } from '../events/event-publisher';
import type { Logger } from '../logger';
import { createEntityStore } from '../state/entity-store';
import { createDeadLetterSink } from './dead-letter';
import { createIngestionConsumer, type IngestionConsumer } from './ingestion-consumer';
import { createIngestionStats, type IngestionStats } from './ingestion-stats';
import { createPipeline, type PipelineSpec } from './pipeline';

/**
 * The ingestion role assembled: store, event log, publisher, dead-letter sink, pipeline and
 * consumer, for a fixed set of active specs.
 */
export interface IngestionOptions {
  readonly kafka: Kafka;
  readonly db: Db;
  readonly specs: readonly (PipelineSpec & { readonly topics: readonly string[] })[];
  readonly validate: (subject: string, document: Record<string, unknown>) => string[];
  readonly groupId: string;
  readonly deadLetterTopic: string;
  readonly canonicalPartitions: number;
  readonly canonicalTopicPrefix: string;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs?: number;
  readonly logger: Logger;
}

export interface Ingestion {
  readonly stats: IngestionStats;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createIngestion(options: IngestionOptions): Ingestion {
  const stats = createIngestionStats();
  const store = createEntityStore(options.db);
  const eventLog = createEventLog(options.db);
  const bySourceTopic = new Map<string, PipelineSpec[]>();
  for (const spec of options.specs) {
    for (const topic of spec.topics) bySourceTopic.set(topic, [...(bySourceTopic.get(topic) ?? []), spec]);
  }
  const pipeline = createPipeline({
    store,
    eventLog,
    validate: options.validate,
    specsForTopic: (topic) => bySourceTopic.get(topic) ?? [],
  });
  let producer: Producer | null = null;
  let consumer: IngestionConsumer | null = null;

  return {
    stats,
    async start() {
      const subjects = [...new Set(options.specs.map((s) => s.subject))];
      await ensureTopics(options.kafka, [
        ...[...bySourceTopic.keys()].map((topic) => ({ topic, numPartitions: 1 })),
        ...subjects.map((subject) => ({ topic: canonicalTopic(subject, options.canonicalTopicPrefix), numPartitions: options.canonicalPartitions })),
        { topic: options.deadLetterTopic, numPartitions: 1 },
      ]);
      await eventLog.ensureIndexes();
      for (const subject of subjects) await store.ensureIndexes(subject);

      // Murmur2 (the Java client's partitioner), stated explicitly: Kafka Streams and Java consumers
      // of canonical topics then agree on which partition holds an entity key.
      producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      consumer = createIngestionConsumer({
        kafka: options.kafka,
        groupId: options.groupId,
        topics: [...bySourceTopic.keys()],
        fromBeginning: options.fromBeginning,
        ...(options.sessionTimeoutMs ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
        pipeline,
        publisher: createEventPublisher(producer, options.canonicalTopicPrefix),
        eventLog,
        deadLetters: createDeadLetterSink({ producer, db: options.db, topic: options.deadLetterTopic }),
        stats,
        logger: options.logger,
      });
      if (bySourceTopic.size > 0) await consumer.start();
      else options.logger.warn('ingestion has no active spec: nothing to consume');
    },
    async stop() {
      await consumer?.stop();
      await producer?.disconnect();
      consumer = null;
      producer = null;
    },
  };
}
