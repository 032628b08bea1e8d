import type { Admin, Kafka } from 'kafkajs';
import { AppError, ErrorCode } from '../errors';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  /** Topic-level configs (`max.message.bytes`, `retention.ms`...) for a topic created here. */
  readonly configEntries?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/** How long topics just created may take to get a leader for every partition (kafkajs' own default). */
const LEADERS_TIMEOUT_MS = 5000;
/** How often their metadata is asked for meanwhile. */
const LEADERS_POLL_MS = 10;

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
    if (missing.length === 0) return;
    await admin.createTopics({
      topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions, ...(t.configEntries ? { configEntries: [...t.configEntries] } : {}) })),
      // kafkajs' own wait sleeps 100 ms before it first looks, and the broker usually has the
      // leaders by the time it answers: a start of ingestion spent most of its time there.
      waitForLeaders: false,
    });
    await waitForLeaders(
      admin,
      missing.map((t) => t.topic),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Resolves once every partition of `topics` has a leader (looked up at once, then every
 * `timing.pollMs`: LEADERS_POLL_MS). The topics were just created, so a failed lookup meanwhile is taken as not
 * yet (kafkajs answers a topic without a leader with an error, or no metadata at all when no
 * broker answered); past `timing.timeoutMs` (LEADERS_TIMEOUT_MS) the last failure is the cause of the error.
 */
export async function waitForLeaders(
  admin: Pick<Admin, 'fetchTopicMetadata'>,
  topics: readonly string[],
  timing: { readonly timeoutMs: number; readonly pollMs: number } = { timeoutMs: LEADERS_TIMEOUT_MS, pollMs: LEADERS_POLL_MS },
): Promise<void> {
  const deadline = Date.now() + timing.timeoutMs;
  let failure: unknown;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      if (metadata.topics.length === topics.length && metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (error) {
      failure = error;
    }
    if (Date.now() >= deadline) {
      const message = `topics ${topics.join(', ')}: created, but a partition still had no leader after ${timing.timeoutMs} ms`;
      throw new AppError(ErrorCode.KAFKA_UNAVAILABLE, message, { retriable: true, ...(failure === undefined ? {} : { cause: failure }) });
    }
    await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
  }
}
