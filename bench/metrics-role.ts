/**
 * The metrics role alone: what it costs per canonical event to keep the demo metric current,
 * without ingestion beside it, next to the raw floor of the same rollups (bench/support/raw-rollups.ts:
 * kafkajs and one bulk of `$inc` upserts per batch, with none of the role's exactness).
 *
 *   npm run bench:metrics-role -- [--events 20000] [--reps 3] [--systems canonql,raw] [--store-pid PID]
 *
 * Ingestion (metrics off) first turns the demo order stream into its canonical topic; then, per
 * rep, each system (canonql's metrics role, the raw floor; they take turns at going first) with a
 * group and a database of its own consumes that topic from the start.
 * The clock starts once the role has applied its first batch (group join and the first fetch
 * excluded) and stops when it has applied every change: wall time, this process's CPU and, with
 * `--store-pid`, the store's CPU per event. In `bench:metrics` the role's tail after ingestion is
 * about the last burst of canonical events times this cost. With BENCH_CPU_PROF_DIR set, each rep
 * writes a CPU profile there, `metrics-role-<system>-<rep>-<time>.cpuprofile` (sampled every
 * BENCH_CPU_PROF_INTERVAL_US microseconds, default 200), for `npm run bench:profile-summary`;
 * BENCH_HEAP_PROF_DIR a sampling heap profile of each rep (bench/support/profiling.ts).
 * Results: bench-results/metrics-role.json.
 */
import './support/as-deployed';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import pino from 'pino';
import { stackUp } from '../infra/stack/stack';
import { createProgress } from '../infra/stack/progress';
import { loadMetricFiles } from '../src/metrics/metric-files';
import { compileMetric } from '../src/metrics/aggregation';
import { createMetricsService } from '../src/metrics/metrics-service';
import { BUCKETS_COLLECTION, membersOf, type BucketDoc } from '../src/metrics/rollup-store';
import {
  benchKafka,
  config,
  createTopic,
  deleteTopics,
  fmt,
  machine,
  percentile,
  specIngestion,
  ROOT,
  totalOutcomes,
  uniqueName,
  waitUntil,
  writeResults,
} from './support/bench-common';
import { readBenchArgs } from './support/bench-args';
import { demoOrderStream } from './support/demo-order-stream';
import { processCpuSeconds, withProfiles } from './support/profiling';
import { startRawRollups, type RollupConsumer } from './support/raw-rollups';

const SYSTEMS = ['canonql', 'raw'] as const;
type System = (typeof SYSTEMS)[number];

const { values: args } = readBenchArgs({
  command: 'npm run bench:metrics-role --',
  options: {
    events: { type: 'number', default: 20_000, help: 'order change events turned into the canonical topic the role consumes' },
    reps: { type: 'number', default: 3, help: 'roles started one after the other over the same topic, each with its own group and database' },
    systems: {
      type: 'list',
      choices: SYSTEMS,
      default: SYSTEMS,
      help: 'canonql: its metrics role; raw: the floor, kafkajs + one unordered bulk of $inc upserts per batch (bench/support/raw-rollups.ts)',
    },
    'store-pid': { type: 'number', help: "the store's process id, when it runs on this machine: its CPU time (/proc/<pid>/stat) is counted too" },
  },
});
const systems = args.systems as System[];
const PARTITIONS = 4;
const kafka = benchKafka('canonql-bench-metrics-role');
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const definitions = loadMetricFiles(path.join(ROOT, 'specs', 'metrics'));

/** The store process's CPU seconds so far, or null without `--store-pid`. */
function storeCpuSeconds(): number | null {
  return args['store-pid'] === undefined ? null : processCpuSeconds(args['store-pid']);
}

/** How many buckets the role keeps per window and how many members each holds: what a bucket write costs grows with it. */
async function bucketShape(db: Db): Promise<string> {
  const docs = await db
    .collection<BucketDoc>(BUCKETS_COLLECTION)
    .find({}, { projection: { window: 1, m: 1, members: 1 } })
    .toArray();
  const byWindow = new Map<string, number[]>();
  for (const doc of docs) {
    const sizes = byWindow.get(doc.window) ?? [];
    sizes.push(membersOf(doc).length);
    byWindow.set(doc.window, sizes);
  }
  return [...byWindow]
    .map(
      ([window, sizes]) =>
        `${window}: ${sizes.length} buckets, ${fmt(sizes.reduce((a, b) => a + b, 0) / sizes.length, 1)} members on average, at most ${Math.max(...sizes)}`,
    )
    .join('; ');
}

interface RepResult {
  system: System;
  rep: number;
  /** Events the role applied while the clock ran (after its first batch), and in how many batches. */
  events: number;
  batches: number;
  seconds: number;
  wallMicrosPerEvent: number;
  /** This process's CPU (the role's: nothing else runs here meanwhile) per event. */
  cpuMicrosPerEvent: number;
  storeCpuMicrosPerEvent: number | null;
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const topic = uniqueName('bench.raw.orders');
  const messages = demoOrderStream(args.events);
  await createTopic(kafka, topic, PARTITIONS);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 2000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
  await producer.disconnect();

  // The canonical topic, made once by ingestion with metrics off.
  const topicPrefix = `${uniqueName('bench.canonical')}.`;
  const deadLetterTopic = uniqueName('bench.dlq');
  const stateDb = mongo.db(uniqueName('bench_metrics_role_state'));
  const ingestion = specIngestion('order-v2.json', { kafka, db: stateDb, topic, topicPrefix, deadLetterTopic, canonicalPartitions: PARTITIONS });
  await ingestion.start();
  await waitUntil('ingestion', () => totalOutcomes(ingestion) >= messages.length, 30 * 60_000, 20);
  await ingestion.stop();
  const changes = ingestion.stats.outcomes.applied;
  console.log(`${messages.length} demo order messages ingested into ${topicPrefix}order: ${changes} canonical events; ${JSON.stringify(machine())}`);

  const canonicalTopicName = `${topicPrefix}order`;
  /** Starts one system over the canonical topic from its start, with a group and a database of its own. */
  const starters: Record<System, (db: Db) => Promise<RollupConsumer>> = {
    canonql: async (db) => {
      const metrics = createMetricsService({ kafka, db, logger, groupId: uniqueName('bench-metrics-role'), topicPrefix, canonicalPartitions: PARTITIONS });
      await metrics.start();
      await metrics.setDefinitions(definitions);
      return { stats: metrics.stats, stop: () => metrics.stop() };
    },
    raw: (db) =>
      startRawRollups({
        kafka,
        db,
        topic: canonicalTopicName,
        groupId: uniqueName('bench-metrics-raw'),
        metric: compileMetric(definitions[0]!),
        partitions: PARTITIONS,
      }),
  };

  const reps: RepResult[] = [];
  for (let rep = 1; rep <= args.reps; rep += 1) {
    // Each system takes the first turn in every other rep.
    const order = rep % 2 === 1 ? systems : [...systems].reverse();
    for (const system of order) {
      const db = mongo.db(uniqueName(`bench_metrics_role_${system}`));
      const consumer = await starters[system](db);
      await waitUntil('the first batch', () => consumer.stats.events > 0, 5 * 60_000, 1);
      const first = consumer.stats.events;
      const firstBatches = consumer.stats.batches;
      const cpuBefore = process.cpuUsage();
      const storeBefore = storeCpuSeconds();
      const started = performance.now();
      await withProfiles(`metrics-role-${system}-${rep}`, () => waitUntil(`the ${system} role`, () => consumer.stats.events >= changes, 30 * 60_000, 2));
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const storeAfter = storeCpuSeconds();
      const events = consumer.stats.events - first;
      if (events === 0) {
        // The clock starts after the first batch: a stream it takes whole leaves nothing to time.
        await consumer.stop();
        await db.dropDatabase();
        throw new Error(
          `rep ${rep}: ${system} applied all ${changes} changes in its first batch, so nothing was timed: run with more --events (the default is 20000)`,
        );
      }
      const result: RepResult = {
        system,
        rep,
        events,
        batches: consumer.stats.batches - firstBatches,
        seconds,
        wallMicrosPerEvent: (seconds * 1e6) / events,
        cpuMicrosPerEvent: (cpu.user + cpu.system) / events,
        storeCpuMicrosPerEvent: storeBefore === null || storeAfter === null ? null : ((storeAfter - storeBefore) * 1e6) / events,
      };
      reps.push(result);
      console.log(
        `rep ${rep} ${system.padEnd(7)}: ${events} events after the first batch in ${result.batches} batches, ${fmt(seconds, 2)} s: ${fmt(result.wallMicrosPerEvent, 1)} µs per event wall, ` +
          `this process's CPU ${fmt(result.cpuMicrosPerEvent, 1)} µs${result.storeCpuMicrosPerEvent === null ? '' : `, the store's ${fmt(result.storeCpuMicrosPerEvent, 1)} µs`}`,
      );
      await consumer.stop();
      if (rep === 1 && system === 'canonql') console.log(`rollups of rep 1: ${await bucketShape(db)}`);
      await db.dropDatabase();
    }
  }
  for (const system of systems) {
    const mine = reps.filter((r) => r.system === system);
    const median = (k: 'wallMicrosPerEvent' | 'cpuMicrosPerEvent' | 'storeCpuMicrosPerEvent') =>
      percentile(
        mine.map((r) => r[k] ?? Number.NaN).sort((a, b) => a - b),
        50,
      );
    console.log(
      `${system} median of ${mine.length}: ${fmt(median('wallMicrosPerEvent'), 1)} µs per event wall, ${fmt(median('cpuMicrosPerEvent'), 1)} µs CPU` +
        (args['store-pid'] === undefined ? '' : `, the store's ${fmt(median('storeCpuMicrosPerEvent'), 1)} µs`),
    );
  }
  console.log(`results: ${writeResults('metrics-role', { machine: machine(), nodeEnv: process.env.NODE_ENV, events: args.events, changes, reps })}`);
  await stateDb.dropDatabase();
  await deleteTopics(kafka, [topic, `${topicPrefix}order`, deadLetterTopic]);
  await mongo.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
