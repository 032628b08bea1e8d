import type { Admin, Kafka } from 'kafkajs';
import { AppError, ErrorCode } from '../errors';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  /** Topic-level configs (`max.message.bytes`, `retention.ms`...) for a topic created here. */
  readonly configEntries?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/** The longest topic name Kafka accepts. */
const MAX_TOPIC_NAME_LENGTH = 249;
const TOPIC_CHARACTERS = /^[A-Za-z0-9._-]*$/;

/**
 * Why `name` cannot be a Kafka topic, or null when it can: Kafka takes 1 to 249 letters, digits,
 * `.`, `_` and `-`, but not `.` or `..`. With `prefix`, why it cannot start one (empty is fine;
 * at least one character must be left for what follows it).
 */
export function topicNameProblem(name: string, options: { readonly prefix?: boolean } = {}): string | null {
  const what = options.prefix ? 'a Kafka topic prefix' : 'a Kafka topic name';
  if (!TOPIC_CHARACTERS.test(name)) return `is not ${what}: only letters, digits, ".", "_" and "-" may appear`;
  if (options.prefix) return name.length < MAX_TOPIC_NAME_LENGTH ? null : `is not ${what}: at most ${MAX_TOPIC_NAME_LENGTH - 1} characters`;
  if (name.length === 0 || name.length > MAX_TOPIC_NAME_LENGTH) return `is not ${what}: 1 to ${MAX_TOPIC_NAME_LENGTH} characters`;
  return name === '.' || name === '..' ? `is not ${what}: "." and ".." are refused` : null;
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
    try {
      await admin.createTopics({
        topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions, ...(t.configEntries ? { configEntries: [...t.configEntries] } : {}) })),
        // kafkajs' own wait sleeps 100 ms before it first looks, and the broker usually has the
        // leaders by the time it answers: a start of ingestion spent most of its time there.
        waitForLeaders: false,
      });
    } catch (error) {
      throw refusedTopics(error) ?? error;
    }
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

/** The refusals of a topic creation, each with the topic kafkajs names and the broker's error type. */
interface TopicRefusal {
  readonly topic: string;
  readonly type: string;
  readonly message: string;
}

const AUTHORIZATION_FAILURES: ReadonlySet<string> = new Set(['TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED']);

/**
 * A broker's refusal to create topics as an AppError naming each topic and the broker's reason
 * (kafkajs says only "Topic creation errors"): KAFKA_AUTH_FAILED when the client may not create
 * it, CONFIG_INVALID otherwise (a name, a partition count, or the cluster's replication factor or
 * creation policy). Null for any other failure (the broker unreachable: kafkajs' error, retried
 * by the caller's start). Topics another process created meanwhile are not refusals.
 */
function refusedTopics(error: unknown): AppError | null {
  const aggregate = error as { name?: unknown; errors?: unknown } | null;
  if (aggregate?.name !== 'KafkaJSAggregateError' || !Array.isArray(aggregate.errors)) return null;
  const refusals: TopicRefusal[] = (aggregate.errors as { topic?: unknown; type?: unknown; message?: unknown }[])
    .filter((e) => e.type !== 'TOPIC_ALREADY_EXISTS')
    .map((e) => ({ topic: String(e.topic), type: String(e.type), message: String(e.message) }));
  if (refusals.length === 0) return null;
  const code = refusals.some((r) => AUTHORIZATION_FAILURES.has(r.type)) ? ErrorCode.KAFKA_AUTH_FAILED : ErrorCode.CONFIG_INVALID;
  const listed = refusals.map((r) => `"${r.topic}": ${r.type} (${r.message})`).join('; ');
  return new AppError(code, `Kafka refused to create ${refusals.length === 1 ? 'topic' : 'topics'} ${listed}; a topic may also be created beforehand`, {
    cause: error,
    details: refusals,
  });
}
