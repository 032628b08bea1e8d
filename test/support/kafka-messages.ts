import type { Kafka, KafkaMessage } from 'kafkajs';
import { uniqueName } from './test-env';
import { waitFor } from './wait-for';

export interface CollectedMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: KafkaMessage['headers'];
}

/**
 * Reads a topic from the beginning with a fresh consumer group until `done(messages)` holds, then
 * disconnects. The fresh group makes the read independent of any other consumer of the topic.
 */
export async function collectMessages(
  kafka: Kafka,
  topic: string,
  done: (messages: readonly CollectedMessage[]) => boolean,
  timeoutMs = 60000,
): Promise<CollectedMessage[]> {
  await waitForTopic(kafka, topic, timeoutMs);
  const consumer = kafka.consumer({ groupId: uniqueName('collect'), maxWaitTimeInMs: 100 });
  const messages: CollectedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`collected ${messages.length} messages from ${topic} in ${timeoutMs} ms; condition not met`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            messages.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers: message.headers,
            });
            if (done(messages)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/** Waits until a topic exists (Debezium creates its topics on the first change it captures). */
export async function waitForTopic(kafka: Kafka, topic: string, timeoutMs = 60000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(`topic ${topic}`, async () => (await admin.listTopics()).includes(topic), { timeoutMs });
  } finally {
    await admin.disconnect();
  }
}
