import type { Kafka } from 'kafkajs';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  /** Topic-level configs (`max.message.bytes`, `retention.ms`...) for a topic created here. */
  readonly configEntries?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/**
 * Creates the topics that do not exist yet (existing ones are left as they are). Raw topics
 * normally come from Debezium; creating an absent one lets a consumer start before its source has
 * produced anything (kafkajs cannot subscribe to a topic that does not exist).
 */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0)
      await admin.createTopics({
        topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions, ...(t.configEntries ? { configEntries: [...t.configEntries] } : {}) })),
        waitForLeaders: true,
      });
  } finally {
    await admin.disconnect();
  }
}
