import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger';

/** Offsets `[from, to)` of one partition. */
export interface PartitionRange {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

export interface ReadRangeOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly ranges: readonly PartitionRange[];
  /** A group id of its own: the read must not disturb (or be disturbed by) any other consumer. */
  readonly groupId: string;
  readonly logger: Logger;
  /** Stops the read early (the reader went away). */
  readonly signal: AbortSignal;
  /** Receives each message in partition order; the read waits for it (backpressure). */
  readonly onMessage: (partition: number, message: KafkaMessage) => Promise<void>;
  /**
   * Offsets `[expected, found)` of a range that no message was read for: missing between two
   * messages (compaction, transaction markers) or deleted (retention, deleteRecords) before they
   * were read; `found` is then the first offset still there, which may be past the range's end.
   */
  readonly onGap?: (partition: number, expected: number, found: number) => void;
  /** How often a partition that made no progress is compared with the earliest retained offset (default 1000 ms). */
  readonly deletedCheckMs?: number;
}

/**
 * Reads given offset ranges of a topic once, with a short-lived consumer, and returns when every
 * range is read (or the signal aborted). Subscription catch-up reads canonical topics with it;
 * backfills read raw topics.
 *
 * kafkajs has no manual partition assignment, so this is a one-member consumer group whose
 * partitions are seeked to the range starts on every join (and to the progress made, should the
 * group rebalance while a slow reader holds a batch); partitions with nothing to read are
 * paused. Nothing is committed.
 *
 * Records deleted below the read position (retention, an admin's deleteRecords) count as read and
 * are reported as a gap. kafkajs answers their fetch's OFFSET_OUT_OF_RANGE by reading from the
 * earliest retained offset on, so the next message shows the gap; but when nothing is left at or
 * after it, no message comes, and a range whose rest was deleted would wait for the topic's next
 * record. So a partition that made no progress for `deletedCheckMs` is compared with the topic's
 * earliest retained offset (one admin request, only then).
 */
export async function readRange(options: ReadRangeOptions): Promise<void> {
  const { topic, signal } = options;
  const next = new Map<number, number>();
  const ends = new Map<number, number>();
  for (const range of options.ranges) {
    if (range.from >= range.to) continue;
    next.set(range.partition, range.from);
    ends.set(range.partition, range.to);
  }
  if (next.size === 0 || signal.aborted) return;

  const consumer = options.kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  let settle: (error?: unknown) => void = () => undefined;
  let settled = false;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error?: unknown) => {
      settled = true;
      if (error === undefined) resolve();
      else reject(error);
    };
  });
  // Settled possibly before it is awaited: keep Node from reporting an unhandled rejection.
  finished.catch(() => undefined);
  const onAbort = () => settle();
  signal.addEventListener('abort', onAbort, { once: true });

  const partitionDone = (partition: number) => {
    next.delete(partition);
    consumer.pause([{ topic, partitions: [partition] }]);
    if (next.size === 0) settle();
  };

  /** Offsets deleted below the read position of a partition that is not moving count as read. */
  let admin: Admin | null = null;
  let delivering = false;
  let checking: Promise<void> | null = null;
  let unmoved = new Map(next);
  const skipDeleted = async () => {
    try {
      admin ??= await connectedAdmin(options.kafka);
      const offsets = await admin.fetchTopicOffsets(topic);
      for (const { partition, low } of offsets) {
        const at = next.get(partition);
        const end = ends.get(partition);
        const earliest = Number(low);
        if (at === undefined || end === undefined || earliest <= at) continue;
        options.onGap?.(partition, at, earliest);
        if (earliest >= end) partitionDone(partition);
        else next.set(partition, earliest);
      }
    } catch (error) {
      options.logger.warn({ err: error, topic }, 'reading the earliest retained offsets failed; will retry');
    }
  };
  const onTick = () => {
    const stalled = [...next].some(([partition, at]) => unmoved.get(partition) === at);
    unmoved = new Map(next);
    if (!stalled || delivering || checking || settled) return;
    checking = skipDeleted().finally(() => {
      checking = null;
    });
  };
  let deletedCheck: NodeJS.Timeout | undefined;

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    for (const partition of payload.memberAssignment[topic] ?? []) {
      const from = next.get(partition);
      if (from === undefined) consumer.pause([{ topic, partitions: [partition] }]);
      else consumer.seek({ topic, partition, offset: String(from) });
    }
  });
  // A range may end on records no consumer receives: a transaction's commit or abort marker (the
  // last offset of every transaction of a transactional producer, such as a Kafka Connect source
  // with exactly-once support) and aborted records. Waiting for a message at or beyond the end
  // would then wait for the source's next change (a backfill stalled on an idle source). A batch
  // is read up to its last record, delivered or not (eachBatch, below); a fetch with only such
  // records never reaches eachBatch, but kafkajs reports it, empty, with the offset it reached.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic !== topic || payload.batchSize !== 0) return;
    const expected = next.get(payload.partition);
    const end = ends.get(payload.partition);
    const reached = Number(payload.lastOffset) + 1;
    if (expected === undefined || end === undefined || reached <= expected) return;
    if (reached >= end) partitionDone(payload.partition);
    else next.set(payload.partition, reached);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) settle(payload.error);
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        const { partition } = batch;
        for (const message of batch.messages) {
          if (signal.aborted || !isRunning() || isStale()) return;
          const expected = next.get(partition);
          const end = ends.get(partition);
          if (expected === undefined || end === undefined) return;
          const offset = Number(message.offset);
          if (offset < expected) continue;
          if (offset >= end) {
            if (offset > expected) options.onGap?.(partition, expected, offset);
            partitionDone(partition);
            return;
          }
          if (offset > expected) options.onGap?.(partition, expected, offset);
          next.set(partition, offset + 1);
          delivering = true;
          try {
            await options.onMessage(partition, message);
          } finally {
            delivering = false;
          }
          if (offset + 1 >= end) {
            partitionDone(partition);
            return;
          }
          await heartbeat();
        }
        // Every message of the batch read: the records after its last one (a transaction's marker,
        // aborted records) count as read too, and may end the range.
        const end = ends.get(partition);
        if (next.has(partition) && end !== undefined && Number(batch.lastOffset()) + 1 >= end) partitionDone(partition);
      },
    });
    // Started once the consumer runs: a partition found deleted is paused.
    deletedCheck = setInterval(onTick, options.deletedCheckMs ?? 1000);
    await finished;
  } finally {
    clearInterval(deletedCheck);
    signal.removeEventListener('abort', onAbort);
    await checking;
    await (admin as Admin | null)?.disconnect().catch(() => undefined);
    await consumer.disconnect().catch((error) => options.logger.warn({ err: error, topic }, 'range consumer disconnect failed'));
  }
}

async function connectedAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return admin;
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw error;
  }
}
