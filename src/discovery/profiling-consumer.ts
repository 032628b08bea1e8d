import type { Consumer, Kafka } from 'kafkajs';
import { decodeRecord, type DecodedRecord, type RawRecord } from '../ingestion/debezium/decode-record';
import type { Logger } from '../logger';
import { rawRecordOf } from '../ingestion/kafka-raw-record';
import type { BatchDecoder } from '../ingestion/registry/registry-decoder';

/**
 * Profiles raw topics that no active spec reads (see profiled-topics.ts): decodes every record and
 * hands it to the profiler, nothing else. It has a consumer group of its own, so profiling a topic
 * never moves ingestion's offsets: when a spec for the topic is activated later, ingestion still
 * reads the topic from its beginning.
 */
export interface ProfilingConsumer {
  /** Re-subscribes when the set changes; an empty set stops consuming. */
  setTopics(topics: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export function createProfilingConsumer(options: {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly observe: (raw: RawRecord, decoded: DecodedRecord, writerSchemaId?: number) => void;
  readonly logger: Logger;
  /** Decodes topics of every record format (registry-encoded ones too); default: every topic is JSON. */
  readonly decoder?: BatchDecoder;
}): ProfilingConsumer {
  const log = options.logger.child({ component: 'discovery-consumer' });
  let consumer: Consumer | null = null;
  let current: string[] = [];
  let changing: Promise<unknown> = Promise.resolve();

  async function restart(topics: string[]): Promise<void> {
    if (consumer) await consumer.disconnect();
    consumer = null;
    current = topics;
    if (topics.length === 0) return;
    const next = options.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
    await next.connect();
    for (const topic of topics) await next.subscribe({ topic, fromBeginning: true });
    await next.run({
      eachBatch: async ({ batch }) => {
        const records: RawRecord[] = batch.messages.map((message) => rawRecordOf(batch.topic, batch.partition, message));
        // Undecodable records are ingestion's business (dead letters); the profile skips them.
        if (options.decoder) {
          const entries = await options.decoder.decodeBatch(records);
          entries.forEach((entry, index) => {
            if (entry.decoded) options.observe(records[index]!, entry.decoded, entry.writerSchemaId);
          });
          return;
        }
        for (const raw of records) {
          try {
            options.observe(raw, decodeRecord(raw));
          } catch {
            // As above.
          }
        }
      },
    });
    consumer = next;
    log.info({ topics }, 'profiling raw topics no spec reads');
  }

  return {
    setTopics(topics) {
      const wanted = [...new Set(topics)].sort();
      const change = changing.then(async () => {
        if (wanted.join('\n') !== current.join('\n')) await restart(wanted);
      });
      changing = change.catch((error: unknown) => log.error({ err: error }, 'cannot re-subscribe the profiling consumer'));
      return change;
    },
    async stop() {
      await changing;
      await consumer?.disconnect();
      consumer = null;
    },
  };
}
