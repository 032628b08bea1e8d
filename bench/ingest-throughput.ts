/**
 * Ingestion benchmark, three systems on the same Debezium MongoDB-connector topic into the same
 * store, in the same run, rotating which goes first each round:
 *
 * - baseline: kafkajs consume + JSON.parse + unordered bulk upsert of the same documents (the
 *   least a sink can do: no ordering, no dedup, no outbox);
 * - peer: the official MongoDB Kafka sink connector in Kafka Connect with its Debezium MongoDB CDC
 *   handler (bench/support/mongo-sink.ts);
 * - canonql: the real ingestion (decode, map, validate, guarded upsert, event log, publish, commit);
 * - guarded: the raw floor of canonql's guarantees, its store and Kafka work written by hand
 *   without its code (bench/support/raw-guarded.ts): what the target against the baseline is read
 *   against.
 *
 * Then correctness side by side: a second topic holding the same kind of stream with redelivered
 * (older) events and per-key reordering, as at-least-once delivery and producer retries make
 * them; each system's final state is compared with the source's final state, key by key.
 *
 *   npm run bench:ingest -- [--events 30000] [--keys 5000] [--rounds 2] [--correctness-events 10000]
 *                           [--systems baseline,sink,canonql,guarded] [--canonql-processes N] [--long]
 *                           (--long: 100,000 events, 10,000 keys; --canonql-processes: canonql as N
 *                           instances of one consumer group, each a process of its own)
 *
 * Every system's time runs from the moment it starts (consumer group join / connector creation
 * included) until the last event is in the store: for the peer, until one end marker per
 * partition (a create of a key of its own, produced after the stream) is stored. Results:
 * bench-results/ingest-throughput.json. Uses the local stack (started if needed) or MONGODB_URI /
 * KAFKA_BROKERS. BENCH_CPU_PROF_DIR=<dir>: a CPU profile of this process during each canonql run
 * only (canonql's ingestion runs here, beside the other systems' clients), written there as
 * `ingest-canonql-<time>.cpuprofile` (sampled every 1,000 µs or BENCH_CPU_PROF_INTERVAL_US);
 * BENCH_HEAP_PROF_DIR=<dir>: a sampling heap profile of the same, `ingest-canonql-<time>.heapprofile`
 * (bench/support/profiling.ts). CANONQL_INGEST_FETCH_MAX_BYTES (default 4 MiB) sets the bytes per
 * partition and batch of both canonql's ingestion and the raw baseline (and so the bytes of a
 * fetch in all); the peer runs with Kafka Connect's consumer defaults.
 */
import { EJSON } from 'bson';
import type { Message } from 'kafkajs';
import { MongoClient, ObjectId, type AnyBulkWriteOperation, type Db } from 'mongodb';
import { createProgress } from '../infra/stack/progress';
import { stackUp } from '../infra/stack/stack';
import { stateCollectionName, type StoredEntity } from '../src/state/entity-store';
import { fetchMaxBytesInAll } from '../src/ingestion/ingestion-consumer';
import {
  benchKafka,
  config,
  createTopic,
  deleteTopics,
  fmt,
  machine,
  oid,
  orderIngestion,
  sleep,
  startChild,
  type Child,
  totalOutcomes,
  uniqueName,
  waitUntil,
  writeResults,
} from './support/bench-common';
import { readBenchArgs } from './support/bench-args';
import { processCpuSeconds, withProfiles } from './support/profiling';
import { sinkConnectorConfig, sinkFailure, startSinkWorker, type SinkWorker } from './support/mongo-sink';
import { type GuardedState, startRawGuarded } from './support/raw-guarded';
import { seededRandom } from '../test/support/seeded-random';

const { values: args } = readBenchArgs({
  command: 'npm run bench:ingest --',
  options: {
    events: { type: 'number', help: 'create/update/delete events of the throughput stream (default 30000; 100000 with --long)' },
    keys: { type: 'number', help: 'distinct keys among them (default 5000; 10000 with --long)' },
    rounds: { type: 'number', default: 2, help: 'rounds, rotating which system goes first' },
    'correctness-events': { type: 'number', help: 'changes of the redelivered, reordered stream (default 10000; 30000 with --long)' },
    systems: {
      type: 'list',
      default: ['baseline', 'sink', 'canonql', 'guarded'],
      choices: ['baseline', 'sink', 'canonql', 'guarded'],
      help: "systems measured (guarded: the raw floor of canonql's guarantees)",
    },
    'canonql-processes': {
      type: 'number',
      default: 1,
      help: "canonql instances in one consumer group, each a process of its own sharing the topic's partitions (default 1: in this process)",
    },
    long: { type: 'flag', help: 'the full sizes' },
  },
});
const LONG = args.long;
const EVENTS = args.events ?? (LONG ? 100_000 : 30_000);
const KEYS = args.keys ?? (LONG ? 10_000 : 5_000);
const ROUNDS = args.rounds;
const CORRECTNESS_EVENTS = args['correctness-events'] ?? (LONG ? 30_000 : 10_000);
const SYSTEMS = args.systems as SystemName[];
const CANONQL_PROCESSES = args['canonql-processes'];
const PARTITIONS = 4;
const TIMEOUT_MS = 30 * 60_000;
type SystemName = 'baseline' | 'sink' | 'canonql' | 'guarded';

const kafka = benchKafka('canonql-bench-ingest');
const log = (line: string) => console.log(line);

interface SourceEvent {
  key: number;
  version: number;
  op: 'c' | 'u' | 'd';
  tsMs: number;
}

/** Mixed creates (first change of a key, or after a delete), updates, and about 5% deletes, in per-key order. */
function changes(count: number, keys: number, seedValue: number): SourceEvent[] {
  const versions = new Array<number>(keys).fill(0);
  const deleted = new Array<boolean>(keys).fill(true);
  const events: SourceEvent[] = [];
  const random = seededRandom(seedValue);
  for (let i = 0; i < count; i += 1) {
    const key = Math.floor(random() * keys);
    const version = (versions[key] += 1);
    const op = deleted[key] ? 'c' : random() < 0.05 ? 'd' : 'u';
    deleted[key] = op === 'd';
    events.push({ key, version, op, tsMs: 1_700_000_000_000 + i });
  }
  return events;
}

const orderDoc = (key: number, version: number) => ({
  _id: { $oid: oid(key) },
  orderId: `o-${key}`,
  customer: { email: `User${key}@Example.com` },
  items: [{ sku: `sku-${version}`, qty: version }, { sku: 'gift' }],
  total: { $numberDecimal: `${version}.99` },
});

/**
 * A Debezium MongoDB-connector record (JSON converter, schemas disabled) in the connector's 1.x
 * (oplog) shape: creates carry `after`, updates the replacement document as `patch` (plus
 * `filter`), deletes only `filter`; position = source ts_ms + ord. The 1.x shape because it is
 * the one the sink connector's Debezium MongoDB handler reads (it refuses 2.x/3.x updates, which
 * carry `after` instead: "Update document missing `patch` field"); canonql reads both.
 */
function toMessage(e: SourceEvent, partition?: number): Message {
  const id = JSON.stringify({ $oid: oid(e.key) });
  const image = JSON.stringify(orderDoc(e.key, e.version));
  return {
    key: JSON.stringify({ id }),
    value: JSON.stringify({
      after: e.op === 'c' ? image : null,
      patch: e.op === 'u' ? image : null,
      filter: e.op === 'c' ? null : JSON.stringify({ _id: { $oid: oid(e.key) } }),
      source: {
        version: '1.9.8.Final',
        connector: 'mongodb',
        name: 'bench',
        ts_ms: e.tsMs,
        ord: 1,
        db: 'shop',
        rs: 'rs0',
        collection: 'orders',
        snapshot: 'false',
      },
      op: e.op,
      ts_ms: e.tsMs,
    }),
    ...(partition === undefined ? {} : { partition }),
  };
}

/** Keys above any data key: one create per partition, produced last, tells when a sink is done. */
const MARKER_BASE = 2 ** 40;
const markers = () => Array.from({ length: PARTITIONS }, (_, p) => toMessage({ key: MARKER_BASE + p, version: 1, op: 'c', tsMs: 1_800_000_000_000 + p }, p));

/**
 * Delivery as at-least-once transport makes it: about 8% of changes swap places with the key's
 * next change (the newer one arrives first), about 5% arrive twice in a row, and about 5% of the
 * time an older change (up to 200 deliveries back) is delivered again. The source's final state
 * is still the last change of each key.
 */
function disorder(events: SourceEvent[], seedValue: number): SourceEvent[] {
  const random = seededRandom(seedValue);
  const out = events.slice();
  const next = new Array<number>(out.length).fill(-1);
  const nextOfKey = new Map<number, number>();
  for (let i = out.length - 1; i >= 0; i -= 1) {
    next[i] = nextOfKey.get(out[i]!.key) ?? -1;
    nextOfKey.set(out[i]!.key, i);
  }
  const swapped = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i += 1) {
    const j = next[i]!;
    if (j < 0 || j - i > 500 || swapped[i] || swapped[j] || random() >= 0.08) continue;
    [out[i], out[j]] = [out[j]!, out[i]!];
    swapped[i] = 1;
    swapped[j] = 1;
  }
  const delivered: SourceEvent[] = [];
  for (let i = 0; i < out.length; i += 1) {
    delivered.push(out[i]!);
    const r = random();
    if (r < 0.05) delivered.push(out[i]!);
    else if (r < 0.1 && i > 0) delivered.push(out[Math.max(0, i - 1 - Math.floor(random() * 200))]!);
  }
  return delivered;
}

async function produce(topic: string, messages: Message[]) {
  await createTopic(kafka, topic, PARTITIONS);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 2000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
  await producer.disconnect();
}

interface SystemRun {
  system: SystemName;
  eventsPerSecond: number;
  seconds: number;
  db: Db;
  /**
   * This process's CPU time (user + system) during the run, per event, in µs: the baseline's and
   * canonql's own work (both run in this process; for the sink, only this process's polling).
   */
  processCpuUsPerEvent?: number;
  /** The store's CPU time during the run, per event, in µs (BENCH_STORE_PID set). */
  storeCpuUsPerEvent?: number;
}

async function runBaseline(topic: string, mongo: MongoClient, total: number): Promise<SystemRun> {
  const db = mongo.db(uniqueName('bench_ingest_baseline'));
  const collection = db.collection<{ _id: string }>('orders');
  // The same fetch sizes as canonql's ingestion (CANONQL_INGEST_FETCH_MAX_BYTES per partition, and
  // in all): batch size alone must not tell the two apart.
  const consumer = kafka.consumer({
    groupId: uniqueName('bench-baseline'),
    maxBytesPerPartition: config.ingest.fetchMaxBytes,
    maxBytes: fetchMaxBytesInAll(config.ingest.fetchMaxBytes),
    maxWaitTimeInMs: 100,
  });
  consumer.on(consumer.events.CRASH, (e) => console.error('baseline consumer crashed', e.payload.error));
  const started = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        partitionsConsumedConcurrently: PARTITIONS,
        eachBatch: async ({ batch }) => {
          const ops: AnyBulkWriteOperation<{ _id: string }>[] = [];
          for (const message of batch.messages) {
            const key = JSON.parse((JSON.parse(message.key!.toString()) as { id: string }).id).$oid as string;
            const value = JSON.parse(message.value!.toString()) as { op: string; after: string | null; patch: string | null };
            if (value.op === 'd') ops.push({ deleteOne: { filter: { _id: key } } });
            else {
              const { _id: _ignored, ...doc } = EJSON.parse(value.after ?? value.patch!, { relaxed: true }) as Record<string, unknown>;
              ops.push({ updateOne: { filter: { _id: key }, update: { $set: doc }, upsert: true } });
            }
          }
          if (ops.length > 0) await collection.bulkWrite(ops, { ordered: false });
          seen += batch.messages.length;
          if (seen >= total) resolve();
        },
      })
      .catch(reject);
  });
  const seconds = (Date.now() - started) / 1000;
  await consumer.disconnect();
  return { system: 'baseline', eventsPerSecond: total / seconds, seconds, db };
}

/** The raw floor of canonql's guarantees (bench/support/raw-guarded.ts), timed as canonql is: from its start to the last event's commit. */
async function runGuarded(topic: string, mongo: MongoClient, total: number): Promise<SystemRun> {
  const db = mongo.db(uniqueName('bench_ingest_guarded'));
  const canonicalTopic = uniqueName('bench.guarded.order');
  const started = Date.now();
  // canonql makes its canonical topic when it starts, inside its timed run: so does the floor.
  await createTopic(kafka, canonicalTopic, PARTITIONS);
  const floor = await startRawGuarded({
    kafka,
    db,
    topic,
    canonicalTopic,
    groupId: uniqueName('bench-guarded'),
    partitions: PARTITIONS,
    fetchMaxBytes: config.ingest.fetchMaxBytes,
    fetchMaxBytesInAll: fetchMaxBytesInAll(config.ingest.fetchMaxBytes),
  });
  try {
    await waitUntil(
      `${total} events through the guarded floor`,
      () => {
        const failure = floor.failure();
        if (failure) throw new Error(`the guarded floor's consumer crashed: ${failure.message}`);
        return floor.stats.events >= total;
      },
      TIMEOUT_MS,
      20,
    );
    const seconds = (Date.now() - started) / 1000;
    if (floor.stats.lostWrites > 0)
      throw new Error(`the guarded floor lost ${floor.stats.lostWrites} compare-and-sets (one owner per partition should lose none)`);
    return { system: 'guarded', eventsPerSecond: total / seconds, seconds, db };
  } finally {
    await floor.stop();
    await deleteTopics(kafka, [canonicalTopic]);
  }
}

/** Where canonql's run ingests into, and what a run of it reports. */
interface CanonqlTarget {
  readonly topic: string;
  readonly db: Db;
  readonly topicPrefix: string;
  readonly deadLetterTopic: string;
}
interface CanonqlTimed {
  readonly seconds: number;
  readonly deadLettered: number;
  /** CPU of processes of its own, when it ran in them (this process only polled them). */
  readonly cpuSeconds?: number;
}

async function runCanonql(topic: string, mongo: MongoClient, total: number): Promise<SystemRun> {
  const target: CanonqlTarget = {
    topic,
    db: mongo.db(uniqueName('bench_ingest_canonql')),
    topicPrefix: `${uniqueName('bench.canonical')}.`,
    deadLetterTopic: uniqueName('bench.dlq'),
  };
  const timed = CANONQL_PROCESSES > 1 ? await canonqlInProcesses(target, total) : await canonqlHere(target, total);
  await deleteTopics(kafka, [`${target.topicPrefix}order`, target.deadLetterTopic]);
  if (timed.deadLettered > 0) throw new Error(`benchmark events were dead-lettered: ${timed.deadLettered}`);
  return {
    system: 'canonql',
    eventsPerSecond: total / timed.seconds,
    seconds: timed.seconds,
    db: target.db,
    ...(timed.cpuSeconds === undefined ? {} : { processCpuUsPerEvent: (timed.cpuSeconds * 1e6) / total }),
  };
}

/** canonql's ingestion in this process. */
async function canonqlHere({ topic, db, topicPrefix, deadLetterTopic }: CanonqlTarget, total: number): Promise<CanonqlTimed> {
  const ingestion = orderIngestion({ kafka, db, topic, topicPrefix, deadLetterTopic, canonicalPartitions: PARTITIONS });
  const started = Date.now();
  await ingestion.start();
  try {
    await waitUntil(`${total} canonql outcomes`, () => totalOutcomes(ingestion) >= total, TIMEOUT_MS, 20);
    // Done when the last outcome is committed, as the others are done when their last write is
    // stored: leaving the group and closing the producer afterwards (about 0.2 s) is not ingestion.
    return { seconds: (Date.now() - started) / 1000, deadLettered: ingestion.stats.outcomes['dead-lettered'] };
  } finally {
    await ingestion.stop();
  }
}

/**
 * canonql as CANONQL_PROCESSES instances of one consumer group, each in a process of its own
 * (bench/support/ingestion-process.ts). The processes are started once and serve every round, so a
 * later round meets code as warm as the in-process run's. The clock starts when every process is
 * told to start, as the in-process run's starts at `start()`; it stops when the outcomes of all
 * of them add up to the stream. CPU is the processes' own, added up.
 */
async function canonqlInProcesses({ topic, db, topicPrefix, deadLetterTopic }: CanonqlTarget, total: number): Promise<CanonqlTimed> {
  const children = await ingestionProcesses();
  const round = { topic, db: db.databaseName, groupId: uniqueName('bench-ingest'), topicPrefix, deadLetterTopic, canonicalPartitions: PARTITIONS };
  type Count = { outcomes: number; deadLettered: number; cpuSeconds: number };
  const counts = () => Promise.all(children.map((child) => child.call<Count>({ cmd: 'count' })));
  const sum = (list: readonly Count[], of: (c: Count, i: number) => number) => list.reduce((n, c, i) => n + of(c, i), 0);
  try {
    const before = await counts();
    const started = Date.now();
    await Promise.all(children.map((child) => child.call({ cmd: 'start', ...round })));
    let last = before;
    await waitUntil(
      `${total} canonql outcomes in ${CANONQL_PROCESSES} processes`,
      async () => {
        last = await counts();
        return sum(last, (c) => c.outcomes) >= total;
      },
      TIMEOUT_MS,
      20,
    );
    return {
      seconds: (Date.now() - started) / 1000,
      deadLettered: sum(last, (c) => c.deadLettered),
      cpuSeconds: sum(last, (c, i) => c.cpuSeconds - before[i]!.cpuSeconds),
    };
  } finally {
    await Promise.all(children.map((child) => child.call({ cmd: 'finish' })));
  }
}

let processes: Child[] | null = null;

/** The ingestion processes of `--canonql-processes`, started on first use and kept until the run ends. */
async function ingestionProcesses(): Promise<Child[]> {
  if (!processes) {
    processes = Array.from({ length: CANONQL_PROCESSES }, () => startChild('ingestion-process.ts', {}));
    await Promise.all(processes.map((child) => child.next('ready')));
  }
  return processes;
}

async function runSink(worker: SinkWorker, topic: string, mongo: MongoClient, total: number): Promise<SystemRun> {
  const db = mongo.db(uniqueName('bench_ingest_sink'));
  const name = uniqueName('bench-mongo-sink');
  const collection = db.collection('orders');
  const markerIds = Array.from({ length: PARTITIONS }, (_, p) => new ObjectId(oid(MARKER_BASE + p)));
  const started = Date.now();
  await worker.client.createConnector(name, sinkConnectorConfig({ topic, database: db.databaseName, collection: 'orders', tasks: PARTITIONS }));
  let seconds: number;
  try {
    await waitUntil(
      'the sink connector to store every end marker',
      async () => {
        const failure = await sinkFailure(worker, name);
        if (failure)
          throw new Error(
            `MongoDB sink connector failed: ${failure
              .split('\n')
              .filter((l, i) => i === 0 || l.startsWith('Caused by'))
              .join('\n')}`,
          );
        return (await collection.countDocuments({ _id: { $in: markerIds } })) === PARTITIONS;
      },
      TIMEOUT_MS,
      50,
    );
    // Done when every end marker is stored; deleting the connector afterwards is not ingestion.
    seconds = (Date.now() - started) / 1000;
  } finally {
    await worker.client.deleteConnector(name);
  }
  return { system: 'sink', eventsPerSecond: total / seconds, seconds, db };
}

/** Final state per key, as each system stores it: the item sku carries the version; null = absent or deleted. */
async function finalState(system: SystemName, db: Db): Promise<Map<number, string | null>> {
  const state = new Map<number, string | null>();
  if (system === 'canonql') {
    const docs = await db.collection<StoredEntity>(stateCollectionName('order')).find({}).toArray();
    for (const doc of docs) {
      const items = doc.data.line_items as { sku: string }[] | undefined;
      state.set(parseInt(doc._id, 16), doc._meta.deleted ? null : (items?.[0]?.sku ?? '?'));
    }
  } else if (system === 'guarded') {
    for (const doc of await db.collection<GuardedState>('orders').find({}).toArray()) {
      const items = doc.data?.items as { sku: string }[] | undefined;
      state.set(parseInt(doc._id, 16), doc._meta.deleted ? null : (items?.[0]?.sku ?? '?'));
    }
  } else {
    const docs = await db.collection<{ _id: ObjectId | string; items?: { sku: string }[] }>('orders').find({}).toArray();
    for (const doc of docs) {
      const id = doc._id instanceof ObjectId ? doc._id.toHexString() : String(doc._id);
      state.set(parseInt(id, 16), doc.items?.[0]?.sku ?? '?');
    }
  }
  return state;
}

function mismatches(truth: SourceEvent[], state: Map<number, string | null>) {
  const expected = new Map<number, string | null>();
  for (const e of truth) expected.set(e.key, e.op === 'd' ? null : `sku-${e.version}`);
  let wrong = 0;
  let resurrected = 0;
  let missing = 0;
  let stale = 0;
  for (const [key, want] of expected) {
    const got = state.get(key) ?? null;
    if (got === want) continue;
    wrong += 1;
    if (want === null) resurrected += 1;
    else if (got === null) missing += 1;
    else stale += 1;
  }
  return { keys: expected.size, mismatches: wrong, resurrectedDeleted: resurrected, missing, olderVersion: stale };
}

/** With BENCH_STORE_PID=<the store's pid>, each run also prints the store's CPU per event. */
const STORE_PID = process.env.BENCH_STORE_PID === undefined ? undefined : Number(process.env.BENCH_STORE_PID);
const processCpuUs = (pid: number): number => processCpuSeconds(pid) * 1e6;

async function runSystem(system: SystemName, worker: SinkWorker | null, topic: string, mongo: MongoClient, total: number): Promise<SystemRun> {
  const storeBefore = STORE_PID ? processCpuUs(STORE_PID) : NaN;
  const cpuBefore = process.cpuUsage();
  const run =
    system === 'baseline'
      ? await runBaseline(topic, mongo, total)
      : system === 'canonql'
        ? await withProfiles('ingest-canonql', () => runCanonql(topic, mongo, total), {
            intervalUs: 1000,
            written: (file) => log(`profile of the canonql run: ${file}`),
          })
        : system === 'guarded'
          ? await runGuarded(topic, mongo, total)
          : await runSink(worker!, topic, mongo, total);
  const cpu = process.cpuUsage(cpuBefore);
  const storeCpuUsPerEvent = STORE_PID ? (processCpuUs(STORE_PID) - storeBefore) / total : undefined;
  // canonql in processes of its own reports theirs; this process only polled them.
  const processCpuUsPerEvent = run.processCpuUsPerEvent ?? (cpu.user + cpu.system) / total;
  return { ...run, processCpuUsPerEvent, ...(storeCpuUsPerEvent === undefined ? {} : { storeCpuUsPerEvent }) };
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const worker = SYSTEMS.includes('sink') ? await startSinkWorker(log) : null;
  const topics: string[] = [];
  try {
    const topic = uniqueName('bench.raw.orders');
    topics.push(topic);
    const stream = changes(EVENTS, KEYS, 42);
    const total = stream.length + PARTITIONS;
    log(
      `producing ${stream.length} Debezium MongoDB events (${stream.filter((e) => e.op === 'c').length} c / ${stream.filter((e) => e.op === 'u').length} u / ` +
        `${stream.filter((e) => e.op === 'd').length} d) over ${KEYS} keys + ${PARTITIONS} end markers to ${topic} (${PARTITIONS} partitions)`,
    );
    await produce(topic, [...stream.map((e) => toMessage(e)), ...markers()]);

    const rounds: {
      round: number;
      system: SystemName;
      eventsPerSecond: number;
      seconds: number;
      processCpuUsPerEvent: number;
      storeCpuUsPerEvent?: number;
    }[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Rotate the order, so store growth and JIT warm-up favour no system.
      const order = SYSTEMS.map((_, i) => SYSTEMS[(i + round - 1) % SYSTEMS.length]!);
      for (const system of order) {
        const run = await runSystem(system, worker, topic, mongo, total);
        await run.db.dropDatabase();
        const processCpuUsPerEvent = run.processCpuUsPerEvent ?? NaN;
        rounds.push({
          round,
          system,
          eventsPerSecond: run.eventsPerSecond,
          seconds: run.seconds,
          processCpuUsPerEvent,
          ...(run.storeCpuUsPerEvent === undefined ? {} : { storeCpuUsPerEvent: run.storeCpuUsPerEvent }),
        });
        log(
          `round ${round}: ${system.padEnd(8)} ${fmt(run.eventsPerSecond).padStart(6)} events/s (${fmt(run.seconds, 1)} s; ` +
            `this process's CPU ${fmt(processCpuUsPerEvent)} µs per event` +
            `${run.storeCpuUsPerEvent === undefined ? '' : `, the store's ${fmt(run.storeCpuUsPerEvent)}`})`,
        );
        await sleep(1000);
      }
    }
    const best = (system: SystemName) => Math.max(...rounds.filter((r) => r.system === system).map((r) => r.eventsPerSecond));

    // Correctness: the same kind of stream, redelivered and reordered per key.
    const truth = changes(CORRECTNESS_EVENTS, Math.max(100, Math.floor(KEYS / 5)), 7);
    const delivered = disorder(truth, 11);
    const correctnessTopic = uniqueName('bench.raw.orders.disordered');
    topics.push(correctnessTopic);
    await produce(correctnessTopic, [...delivered.map((e) => toMessage(e)), ...markers()]);
    const correctness: Record<string, ReturnType<typeof mismatches>> = {};
    for (const system of SYSTEMS) {
      const run = await runSystem(system, worker, correctnessTopic, mongo, delivered.length + PARTITIONS);
      correctness[system] = mismatches(truth, await finalState(system, run.db));
      await run.db.dropDatabase();
    }

    const labels: Record<SystemName, string> = {
      baseline: 'baseline: kafkajs + JSON.parse + unordered bulk upsert',
      sink: `peer: MongoDB Kafka sink connector ${worker?.pluginVersion ?? ''} (Debezium MongoDB CDC handler, ${PARTITIONS} tasks)`,
      canonql: `canonql ingestion (decode, map, validate, guarded upsert, event log, publish, commit)${CANONQL_PROCESSES > 1 ? `, ${CANONQL_PROCESSES} processes in one group` : ''}`,
      guarded: "raw guarded floor: canonql's store and Kafka work by hand (state read, event log, guarded bulk write, publish, commit)",
    };
    const baselineRate = SYSTEMS.includes('baseline') ? best('baseline') : NaN;
    const sinkRate = SYSTEMS.includes('sink') ? best('sink') : NaN;
    log(`\n${stream.length} events over ${KEYS} keys, ${PARTITIONS} partitions, best of ${ROUNDS} rounds\n`);
    log('| system | events/s | ratio to baseline | canonql ahead of it by |');
    log('|---|---|---|---|');
    for (const system of SYSTEMS) {
      log(
        `| ${labels[system]} | ${fmt(best(system))} | ${fmt(best(system) / baselineRate, 2)} | ${system === 'canonql' ? '' : fmt(best('canonql') / best(system), 2)} |`,
      );
    }
    log(
      `\ncorrectness: ${delivered.length} deliveries of ${truth.length} changes over ${correctness[SYSTEMS[0]!]!.keys} keys ` +
        `(redelivered older changes and per-key swaps); final state vs the source\n`,
    );
    log('| system | keys wrong | deleted but present | present but missing | older version |');
    log('|---|---|---|---|---|');
    for (const system of SYSTEMS) {
      const c = correctness[system]!;
      log(`| ${labels[system]} | ${c.mismatches} / ${c.keys} | ${c.resurrectedDeleted} | ${c.missing} | ${c.olderVersion} |`);
    }
    const file = writeResults('ingest-throughput', {
      benchmark: 'ingest-throughput',
      at: new Date().toISOString(),
      machine: machine(),
      settings: {
        events: stream.length,
        keys: KEYS,
        partitions: PARTITIONS,
        rounds: ROUNDS,
        correctnessChanges: truth.length,
        correctnessDeliveries: delivered.length,
        systems: SYSTEMS,
        canonqlProcesses: CANONQL_PROCESSES,
        long: LONG,
      },
      sink: worker
        ? {
            worker: worker.kind,
            version: worker.pluginVersion,
            handler: 'com.mongodb.kafka.connect.sink.cdc.debezium.mongodb.MongoDbHandler',
            tasks: PARTITIONS,
          }
        : null,
      rounds,
      summary: Object.fromEntries(SYSTEMS.map((s) => [s, { eventsPerSecond: best(s), ratioToBaseline: best(s) / baselineRate }])),
      canonqlToBaseline: best('canonql') / baselineRate,
      canonqlToSink: best('canonql') / sinkRate,
      canonqlToGuarded: SYSTEMS.includes('guarded') ? best('canonql') / best('guarded') : NaN,
      correctness,
    });
    log(`\nwrote ${file}`);
  } finally {
    await worker?.stop();
    await Promise.all((processes ?? []).map((child) => child.stop()));
    await deleteTopics(kafka, topics);
    await mongo.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
