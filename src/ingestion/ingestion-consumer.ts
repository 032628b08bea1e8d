import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { EventLog } from '../events/event-log';
import type { EventPublisher } from '../events/event-publisher';
import type { CanonicalEvent } from '../events/canonical-event';
import type { Logger } from '../logger';
import type { DeadLetter, DeadLetterSink } from './dead-letter';
import type { RawRecord } from './debezium/decode-record';
import type { IngestionStats } from './ingestion-stats';
import type { Pipeline } from './pipeline';

/**
 * The ingestion consumer: a kafkajs consumer group over the raw topics of active specs.
 *
 * Per batch (one partition, offset order): the pipeline applies every message in a few store
 * round trips (per-key order kept). Then dead letters are written, canonical events
 * published and acknowledged, and only then is the batch's offset committed, so a crash at any
 * point replays the batch, which the guarded upsert turns into no-ops.
 */
export interface IngestionConsumer {
  start(): Promise<void>;
  /** Stops fetching, lets the batch in flight finish, commits it, leaves the group. */
  stop(): Promise<void>;
}

export interface IngestionConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly pipeline: Pipeline;
  readonly publisher: EventPublisher;
  readonly eventLog: EventLog;
  readonly deadLetters: DeadLetterSink;
  readonly stats: IngestionStats;
  readonly logger: Logger;
  readonly sessionTimeoutMs?: number;
}

export function createIngestionConsumer(options: IngestionConsumerOptions): IngestionConsumer {
  const log = options.logger.child({ component: 'ingestion' });
  let consumer: Consumer | null = null;

  async function handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const records: RawRecord[] = batch.messages.map((message) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      timestamp: message.timestamp,
    }));
    const started = process.hrtime.bigint();
    const results = await options.pipeline.processBatch(records);
    const applied = process.hrtime.bigint();

    const letters: DeadLetter[] = [];
    const events: CanonicalEvent[] = [];
    for (const result of results) {
      if (result.deadLetter) letters.push(result.deadLetter);
      if (result.publish) events.push(result.publish);
    }
    await options.deadLetters.send(letters);
    await options.publisher.publish(events);
    await options.eventLog.markPublished(events.map((e) => e.id));

    const last = batch.messages[batch.messages.length - 1]!;
    payload.resolveOffset(last.offset);
    await consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    await payload.heartbeat();
    // Outcomes count once the batch is durable and committed: a counter never runs ahead of
    // what a restart would find.
    for (const result of results) options.stats.count(result.outcome);
    options.stats.batchDone();
    for (const letter of letters) {
      log.warn({ topic: letter.topic, partition: letter.partition, offset: letter.offset, code: letter.code, spec: letter.spec }, `dead-lettered: ${letter.message}`);
    }
    log.debug({
      topic: batch.topic, partition: batch.partition, messages: batch.messages.length, events: events.length,
      applyMs: Number(applied - started) / 1e6, totalMs: Number(process.hrtime.bigint() - started) / 1e6,
    }, 'batch committed');
  }

  return {
    async start() {
      consumer = options.kafka.consumer({
        groupId: options.groupId,
        // Bounded batches keep the work lost on a crash, and the memory in flight, small.
        maxBytesPerPartition: 1024 * 1024,
        maxWaitTimeInMs: 200,
        sessionTimeout: options.sessionTimeoutMs ?? 30000,
        heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 30000) / 3)),
      });
      await consumer.connect();
      for (const topic of options.topics) await consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 4,
        eachBatch: handleBatch,
      });
      log.info({ groupId: options.groupId, topics: options.topics }, 'ingestion consuming');
    },
    async stop() {
      if (!consumer) return;
      // kafkajs lets the running eachBatch finish (including its commit) before leaving the group.
      await consumer.disconnect();
      consumer = null;
      log.info(options.stats.snapshot(), 'ingestion stopped');
    },
  };
}
