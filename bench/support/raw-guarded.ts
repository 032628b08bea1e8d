import { EJSON } from 'bson';
import { type Kafka, type Message, Partitioners } from 'kafkajs';
import { type AnyBulkWriteOperation, type Db, MongoBulkWriteError } from 'mongodb';
import { commitBatch } from './raw-rollups';

/**
 * The raw floor of ingesting with canonql's guarantees in this store and broker: the store and
 * Kafka work of canonql's ingestion, written by hand with kafkajs and the driver, without
 * canonql's code. What no implementation that keeps the guarantees can undercut by much, so the
 * ingestion's target against the raw baseline can be read against it.
 *
 * Per batch of a partition (the same consumer settings as canonql's ingestion): `JSON.parse` of
 * key and value and `EJSON.parse` of the image (the raw baseline's decode); the stored state of
 * every key the process does not hold from its own writes, read in one `$in` find; each change
 * checked against the state before it (a change at or below the stored source position is
 * skipped, so a redelivered or swapped change is never applied twice or over a newer one); one
 * event per applied change, inserted into an event log (the outbox: one unordered `insertMany`,
 * before any state is written) as canonql stores it (the queried fields and the event's JSON);
 * each key's final state written with a compare-and-set on the version read (one unordered
 * `bulkWrite` of `insertOne`s and guarded `replaceOne`s; deletes kept as tombstones, so a late
 * create cannot revive a deleted key); the events published to a canonical topic (acks all,
 * idempotent producer), and only then the offset committed.
 *
 * What it leaves out of canonql's work: the Debezium decode (column types, exact numbers, key
 * shapes, transactions), the mapping spec, the schema validation, order keys, changed fields,
 * dead letters for bad records, and a lost compare-and-set (redone change by change in canonql;
 * here counted, and none happen in the benchmark: one process owns each partition).
 */
export interface RawGuarded {
  readonly stats: { readonly events: number; readonly skipped: number; readonly lostWrites: number };
  /** Why the floor's consumer crashed (kafkajs' crash event, restarted or not), or null while it runs. */
  readonly failure: () => Error | null;
  stop(): Promise<void>;
}

/** A state document of the floor: the image, the version its writes are guarded by, the source position. */
export interface GuardedState {
  _id: string;
  data: Record<string, unknown> | null;
  _meta: { version: number; tsMs: number; ord: number; deleted: boolean; updatedAt: Date };
}

interface LoggedEvent {
  _id: string;
  subject: string;
  key: string;
  op: string;
  version: number;
  sourceTsMs: number;
  ingestedAt: Date;
  published: boolean;
  json: string;
}

/** The Debezium MongoDB connector's 1.x record as the benchmark writes it (JSON converter, no schemas). */
interface MongoRecord {
  op: 'c' | 'u' | 'd' | 'r';
  after: string | null;
  patch: string | null;
  source: { ts_ms: number; ord: number };
}

const SUBJECT = 'order';

/**
 * The bytes of keys and values in one produce request: a batch's events are sent in requests of
 * at most this much, below Kafka's default `message.max.bytes` (1 MiB plus the batch overhead) with
 * room for the records' own overhead. canonql splits its publishes by the topic's limit the same
 * way (src/events/message-size-limit.ts); one request for a whole fetched batch is refused.
 */
const SEND_MAX_BYTES = 900_000;

export async function startRawGuarded(options: {
  readonly kafka: Kafka;
  readonly db: Db;
  readonly topic: string;
  readonly canonicalTopic: string;
  readonly groupId: string;
  readonly partitions: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxBytesInAll: number;
}): Promise<RawGuarded> {
  const states = options.db.collection<GuardedState>('orders');
  const log = options.db.collection<LoggedEvent>('events');
  const stats = { events: 0, skipped: 0, lostWrites: 0 };
  /** What this process wrote last per key, as canonql's state cache keeps it (null: deleted or absent). */
  const cache = new Map<string, GuardedState | null>();
  const producer = options.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: options.fetchMaxBytes,
    maxBytes: options.fetchMaxBytesInAll,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  let failure: Error | null = null;
  // Any crash ends the measurement, the ones kafkajs restarts from too (a batch that keeps failing
  // restarts the consumer forever): a floor that redoes batches measures nothing.
  consumer.on(consumer.events.CRASH, (event) => {
    failure ??= event.payload.error;
  });
  void consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitions,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const changes = batch.messages.map((message) => {
        const key = (JSON.parse((JSON.parse(message.key!.toString()) as { id: string }).id) as { $oid: string }).$oid;
        const record = JSON.parse(message.value!.toString()) as MongoRecord;
        const image = record.after ?? record.patch;
        const data = record.op === 'd' || image === null ? null : (EJSON.parse(image, { relaxed: true }) as Record<string, unknown>);
        return { key, op: record.op, data, tsMs: record.source.ts_ms, ord: record.source.ord };
      });

      const toRead = [...new Set(changes.map((c) => c.key))].filter((key) => !cache.has(key));
      const start = new Map<string, GuardedState | null>();
      for (const key of toRead) start.set(key, null);
      if (toRead.length > 0) for (const doc of await states.find({ _id: { $in: toRead } }).toArray()) start.set(doc._id, doc);
      for (const change of changes) if (!start.has(change.key)) start.set(change.key, cache.get(change.key) ?? null);

      const now = new Date();
      const current = new Map(start);
      const events: LoggedEvent[] = [];
      const messages: Message[] = [];
      for (const change of changes) {
        const before = current.get(change.key) ?? null;
        if (before && (change.tsMs < before._meta.tsMs || (change.tsMs === before._meta.tsMs && change.ord <= before._meta.ord))) {
          stats.skipped += 1;
          continue;
        }
        const deleted = change.op === 'd';
        const version = (before?._meta.version ?? 0) + 1;
        const next: GuardedState = { _id: change.key, data: change.data, _meta: { version, tsMs: change.tsMs, ord: change.ord, deleted, updatedAt: now } };
        current.set(change.key, next);
        const id = `${SUBJECT}:${change.key}:${change.tsMs}:${change.ord}`;
        const op = deleted ? 'delete' : before && !before._meta.deleted ? 'update' : 'create';
        const json = JSON.stringify({
          id,
          subject: SUBJECT,
          key: change.key,
          op,
          version,
          before: before?.data ?? null,
          after: next.data,
          sourceTsMs: change.tsMs,
          ingestedAt: now.toISOString(),
        });
        events.push({ _id: id, subject: SUBJECT, key: change.key, op, version, sourceTsMs: change.tsMs, ingestedAt: now, published: false, json });
        messages.push({ key: change.key, value: json });
      }

      // The outbox before any state.
      if (events.length > 0) await log.insertMany(events, { ordered: false });
      const writes: AnyBulkWriteOperation<GuardedState>[] = [];
      for (const [key, next] of current) {
        const was = start.get(key) ?? null;
        if (next === was || next === null) continue;
        if (was === null) writes.push({ insertOne: { document: next } });
        else {
          const { _id, ...replacement } = next;
          writes.push({ replaceOne: { filter: { _id, '_meta.version': was._meta.version }, replacement } });
        }
      }
      if (writes.length > 0) {
        // A lost insert (the key stored meanwhile) fails the bulk with the others' result in it:
        // counted as lost like a replace whose guard did not match, not thrown.
        const result = await states.bulkWrite(writes, { ordered: false }).catch((error: unknown) => {
          if (error instanceof MongoBulkWriteError) return error.result;
          throw error;
        });
        stats.lostWrites += writes.length - (result.insertedCount + result.matchedCount);
      }
      for (const chunk of bySize(messages)) await producer.send({ topic: options.canonicalTopic, acks: -1, messages: chunk });
      // Only once every event is on the topic: a batch redelivered after a failed send must find
      // its changes still to do, not skip them as applied and leave their events unpublished.
      for (const [key, next] of current) cache.set(key, next);

      await commitBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat });
      stats.events += batch.messages.length;
    },
  });
  return {
    stats,
    failure: () => failure,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

/** `messages` in runs whose keys and values add up to at most SEND_MAX_BYTES (a larger one alone). */
function* bySize(messages: readonly Message[]): Generator<Message[]> {
  let chunk: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.key as string) + Buffer.byteLength(message.value as string);
    if (chunk.length > 0 && bytes + size > SEND_MAX_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}
