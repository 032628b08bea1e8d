/**
 * The metrics role alone: what it costs per canonical event to keep the demo metric current,
 * without ingestion beside it.
 *
 *   npm run bench:metrics-role -- [--events 20000] [--reps 3] [--store-pid PID]
 *
 * Ingestion (metrics off) first turns the demo order stream into its canonical topic; then, per
 * rep, a metrics role with a group and a database of its own consumes that topic from the start.
 * The clock starts once the role has applied its first batch (group join and the first fetch
 * excluded) and stops when it has applied every change: wall time, this process's CPU and, with
 * `--store-pid`, the store's CPU per event. In `bench:metrics` the role's tail after ingestion is
 * about the last burst of canonical events times this cost. With BENCH_CPU_PROF_DIR set, each rep
 * writes a CPU profile there, `metrics-role-<rep>-<time>.cpuprofile` (sampled every
 * BENCH_CPU_PROF_INTERVAL_US microseconds, default 200), for `npm run bench:profile-summary`.
 * Results: bench-results/metrics-role.json.
 */
import './support/as-deployed';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { stackUp } from '../infra/stack/stack';
import { createProgress } from '../infra/stack/progress';
import { loadMetricFiles } from '../src/metrics/metric-files';
import { createMetricsService } from '../src/metrics/metrics-service';
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
import { processCpuSeconds, withCpuProfile } from './support/profiling';

const { values: args } = readBenchArgs({
  command: 'npm run bench:metrics-role --',
  options: {
    events: { type: 'number', default: 20_000, help: 'order change events turned into the canonical topic the role consumes' },
    reps: { type: 'number', default: 3, help: 'roles started one after the other over the same topic, each with its own group and database' },
    'store-pid': { type: 'number', help: "the store's process id, when it runs on this machine: its CPU time (/proc/<pid>/stat) is counted too" },
  },
});
const PARTITIONS = 4;
const kafka = benchKafka('canonql-bench-metrics-role');
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const definitions = loadMetricFiles(path.join(ROOT, 'specs', 'metrics'));

/** The store process's CPU seconds so far, or null without `--store-pid`. */
function storeCpuSeconds(): number | null {
  return args['store-pid'] === undefined ? null : processCpuSeconds(args['store-pid']);
}

interface RepResult {
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

  const reps: RepResult[] = [];
  for (let rep = 1; rep <= args.reps; rep += 1) {
    const db = mongo.db(uniqueName('bench_metrics_role'));
    const metrics = createMetricsService({ kafka, db, logger, groupId: uniqueName('bench-metrics-role'), topicPrefix, canonicalPartitions: PARTITIONS });
    await metrics.start();
    await metrics.setDefinitions(definitions);
    await waitUntil('the first batch', () => metrics.stats.events > 0, 5 * 60_000, 1);
    const first = metrics.stats.events;
    const firstBatches = metrics.stats.batches;
    const cpuBefore = process.cpuUsage();
    const storeBefore = storeCpuSeconds();
    const started = performance.now();
    await withCpuProfile(`metrics-role-${rep}`, () => waitUntil('the metrics role', () => metrics.stats.events >= changes, 30 * 60_000, 2));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const storeAfter = storeCpuSeconds();
    const events = metrics.stats.events - first;
    if (events === 0) {
      // The clock starts after the first batch: a stream it takes whole leaves nothing to time.
      await metrics.stop();
      await db.dropDatabase();
      throw new Error(
        `rep ${rep}: the role applied all ${changes} changes in its first batch, so nothing was timed: run with more --events (the default is 20000)`,
      );
    }
    const result: RepResult = {
      rep,
      events,
      batches: metrics.stats.batches - firstBatches,
      seconds,
      wallMicrosPerEvent: (seconds * 1e6) / events,
      cpuMicrosPerEvent: (cpu.user + cpu.system) / events,
      storeCpuMicrosPerEvent: storeBefore === null || storeAfter === null ? null : ((storeAfter - storeBefore) * 1e6) / events,
    };
    reps.push(result);
    console.log(
      `rep ${rep}: ${events} events after the first batch in ${result.batches} batches, ${fmt(seconds, 2)} s: ${fmt(result.wallMicrosPerEvent, 1)} µs per event wall, ` +
        `this process's CPU ${fmt(result.cpuMicrosPerEvent, 1)} µs${result.storeCpuMicrosPerEvent === null ? '' : `, the store's ${fmt(result.storeCpuMicrosPerEvent, 1)} µs`}`,
    );
    await metrics.stop();
    await db.dropDatabase();
  }
  const median = (k: 'wallMicrosPerEvent' | 'cpuMicrosPerEvent') =>
    percentile(
      reps.map((r) => r[k]).sort((a, b) => a - b),
      50,
    );
  console.log(`median of ${reps.length}: ${fmt(median('wallMicrosPerEvent'), 1)} µs per event wall, ${fmt(median('cpuMicrosPerEvent'), 1)} µs CPU`);
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
