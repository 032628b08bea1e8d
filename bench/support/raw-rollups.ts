import type { EachBatchPayload, Kafka } from 'kafkajs';
import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { CanonicalEvent } from '../../src/events/canonical-event';
import type { CompiledMetric } from '../../src/metrics/aggregation';

/**
 * The raw floor of keeping a metric's rollups in this store: what a user would write by hand
 * with kafkajs and the driver, and what no exact design can undercut by much. Per batch of the
 * canonical topic: `JSON.parse` of each event, the change of each bucket's count and sum from
 * the event's `before` to its `after` (canonql's own `contributionsOf`, so both do the same
 * aggregation work), added up per bucket in memory, then one unordered bulk of `$inc` upserts, one
 * per bucket the batch touched, and the offset commit.
 *
 * What it gives up, which canonql's role keeps: sums in floating point (canonql's are exact
 * decimals), min and max (an `$inc` cannot take a value back out), and exactly-once (a batch
 * redelivered after a crash is counted twice, an event out of order counts its delta anyway). Its
 * buckets hold only `n` and `s`; it never reads.
 */
/** A running consumer of the canonical topic keeping rollups (canonql's metrics role or this floor): what it has applied and committed. */
export interface RollupConsumer {
  readonly stats: { readonly events: number; readonly batches: number };
  stop(): Promise<void>;
}

export interface RawRollups extends RollupConsumer {
  /** Whether the consumer has joined its group (and been given its partitions). */
  joined(): boolean;
}

export async function startRawRollups(options: {
  readonly kafka: Kafka;
  readonly db: Db;
  readonly topic: string;
  readonly groupId: string;
  readonly metric: CompiledMetric;
  readonly partitions: number;
}): Promise<RawRollups> {
  const { metric } = options;
  const buckets = options.db.collection<{ _id: string; n: number; s: number }>('raw_rollups');
  const stats = { events: 0, batches: 0 };
  // The same consumer settings as canonql's metrics role: a worker per partition, 200 ms fetch wait.
  const consumer = options.kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  void consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitions,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
      if (batch.messages.length === 0) return;
      let events = 0;
      const deltas = new Map<string, { n: number; s: number }>();
      const add = (data: Record<string, unknown> | null, sign: 1 | -1, tsMs: number | null) => {
        if (!data) return;
        for (const [id, { agg }] of metric.contributionsOf(data, tsMs)) {
          const delta = deltas.get(id) ?? { n: 0, s: 0 };
          delta.n += sign * agg.n;
          delta.s += sign * Number(agg.s ?? 0);
          deltas.set(id, delta);
        }
      };
      for (const message of batch.messages) {
        if (!message.value) continue;
        const event = JSON.parse(message.value.toString('utf8')) as CanonicalEvent;
        const tsMs = event.sourceTsMs ?? Date.parse(event.ingestedAt);
        add(event.before, -1, tsMs);
        add(event.after, 1, tsMs);
        events += 1;
      }
      const ops: AnyBulkWriteOperation<{ _id: string; n: number; s: number }>[] = [];
      for (const [_id, { n, s }] of deltas) {
        if (n !== 0 || s !== 0) ops.push({ updateOne: { filter: { _id }, update: { $inc: { n, s } }, upsert: true } });
      }
      if (ops.length > 0) await buckets.bulkWrite(ops, { ordered: false });
      await commitBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat });
      stats.events += events;
      stats.batches += 1;
    },
  });
  return {
    stats,
    joined: () => joined,
    async stop() {
      await consumer.disconnect();
    },
  };
}

/**
 * The end of a raw floor's batch, after its writes: the batch's offsets resolved and committed
 * through it (kafkajs' own commit, as canonql's consumers do), then a heartbeat.
 */
export async function commitBatch(payload: Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'commitOffsetsIfNecessary' | 'heartbeat'>): Promise<void> {
  const { batch } = payload;
  const last = batch.messages[batch.messages.length - 1]!;
  payload.resolveOffset(last.offset);
  await payload.commitOffsetsIfNecessary({
    topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
  });
  await payload.heartbeat();
}
