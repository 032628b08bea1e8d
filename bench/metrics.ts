/**
 * Metrics benchmark: ingestion throughput with the demo metric (order-amount) maintained vs not,
 * in the same run on the same topic (alternating rounds), and `metric(...)` query latency next to
 * a raw read of the same rollup documents.
 *
 *   npx tsx bench/metrics.ts [--events 10000] [--rounds 2] [--queries 300] [--queries-only] [--no-warmup]
 *
 * Each round runs ingestion three times over the same raw topic: metrics off, canonql's metrics
 * role on, and the raw floor of the same rollups on (bench/support/raw-rollups.ts: kafkajs with
 * one bulk of `$inc` upserts per batch, none of the role's exactness), what the role's cost
 * beside ingestion is measured against. One untimed run with metrics on goes first (unless
 * `--no-warmup`), so no timed run meets cold code.
 *
 * `--queries-only`: the query phase alone. One untimed ingestion with metrics on makes the rollup
 * documents (the same stream, so the same documents as a full run's), then the three timed query
 * loops; no rounds of metrics off and on. Its results go to bench-results/metrics-queries.json.
 * Each timed loop reports this process's CPU per query (server and client of the GraphQL loop
 * are both this process). With BENCH_CPU_PROF_DIR set, each timed loop (warm-up excluded) writes
 * its own CPU profile there, `metrics-query-<loop>-<time>.cpuprofile`, and so does each ingestion
 * run of the rounds, `metrics-round-<n>-<off|on|raw>-<time>.cpuprofile` (ingestion and, when on,
 * the metrics role or the raw rollups, all in this process), sampled every BENCH_CPU_PROF_INTERVAL_US microseconds
 * (default 200), for `npm run bench:profile-summary`; BENCH_HEAP_PROF_DIR the same runs' sampling
 * heap profiles (`.heapprofile`, bench/support/profiling.ts).
 *
 * With BENCH_COUNT_COMMANDS=1 each round also prints the store commands on the rollup collections
 * (per event, per batch, their KiB and waits), from the driver's command monitoring. It is off by
 * default: monitoring makes the driver build an event for every command and deserialize every
 * reply a second time, which costs the measured runs and the query loops CPU they would not spend
 * as deployed (about a quarter of a raw rollup read's CPU).
 *
 * canonql's GraphQL endpoint runs in this process, with NODE_ENV=production as deployed
 * (support/as-deployed.ts, imported first).
 *
 * "on" runs the metrics role as src/app.ts wires it with the ingest role: in the same process,
 * its own consumer group over the canonical topic. Two figures for it: ingestion's own rate
 * while metrics run beside it, and the end-to-end rate until the rollups have caught up.
 *
 * What "on" measures is a metric already defined when the changes arrive: the role is started,
 * its definition's backfill has finished (over the still empty state, so it scans nothing) and its
 * consumer has joined its group before the clock starts, in both modes at ingestion's start. A
 * backfill started beside ingestion would scan however much state had been written by then,
 * which varies from run to run; the backfill is not what the target names.
 */
import './support/as-deployed';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { BSON, MongoClient, type Db } from 'mongodb';
import pino from 'pino';
import { stackUp } from '../infra/stack/stack';
import { createProgress } from '../infra/stack/progress';
import { loadCanonicalSchemas } from '../src/catalog/canonical-schemas';
import { createSubjectCatalog } from '../src/catalog/subject-catalog';
import { createEventLog } from '../src/events/event-log';
import { createAccessPolicy } from '../src/graphql/access';
import { buildApiSchema } from '../src/graphql/build-api-schema';
import { mountGraphqlEndpoint } from '../src/graphql/graphql-endpoint';
import { SchemaGateway } from '../src/graphql/schema-gateway';
import { compileMetric, metricKey } from '../src/metrics/aggregation';
import { loadMetricFiles } from '../src/metrics/metric-files';
import { createMetricsReader } from '../src/metrics/metric-reader';
import { createMetricsService } from '../src/metrics/metrics-service';
import { BUCKET_FOLD_PROJECTION, BUCKET_SUMMARY_PROJECTION, BUCKETS_COLLECTION, CONTRIBUTIONS_COLLECTION } from '../src/metrics/rollup-store';
import { createEntityStore } from '../src/state/entity-store';
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

const { values: args } = readBenchArgs({
  command: 'npx tsx bench/metrics.ts',
  options: {
    events: { type: 'number', default: 10_000, help: 'order events ingested per mode' },
    rounds: {
      type: 'number',
      default: 2,
      help: 'rounds of one run with metrics off, one with them on and one with the raw rollups beside ingestion; odd rounds run off, on, raw, even rounds raw, on, off',
    },
    queries: { type: 'number', default: 300, help: 'metric(...) queries timed' },
    'store-pid': {
      type: 'number',
      help: "the store's process id, when it runs on this machine: its CPU time (/proc/<pid>/stat) is counted over each run, as for this process",
    },
    'no-warmup': { type: 'flag', help: 'no untimed run with metrics on before the rounds (by default one warms the code every timed run takes)' },
    'queries-only': {
      type: 'flag',
      help: 'the query phase alone: one untimed ingestion with metrics on makes the rollups, then the timed query loops (no off/on rounds; results in bench-results/metrics-queries.json)',
    },
  },
});
const { events: EVENTS, rounds: ROUNDS, queries: QUERIES, 'store-pid': STORE_PID, 'queries-only': QUERIES_ONLY, 'no-warmup': NO_WARMUP } = args;
const PARTITIONS = 4;
const kafka = benchKafka('canonql-bench-metrics');
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const definitions = loadMetricFiles(path.join(ROOT, 'specs', 'metrics'));

interface Run {
  ingestEventsPerSec: number;
  /** Store commands on the rollup collections during the run, by `<command> <collection>`. */
  rollupCommands: Record<string, number>;
  /** CPU seconds of this process (ingestion, and the metrics role when on) from start until current. */
  cpuSeconds: number;
  /** CPU seconds of the store process over the same span (null without `--store-pid`). */
  storeCpuSeconds: number | null;
  /** Canonical events the metrics role consumed (0 with metrics off). */
  metricEvents: number;
  /** Batches the metrics role applied (0 with metrics off). */
  metricBatches: number;
  endToEndEventsPerSec: number;
  /** Seconds from ingestion having consumed every message until the rollups are current (0 with metrics off). */
  tailSeconds: number;
  /** Applied changes the metrics role had not yet applied when ingestion had consumed every message. */
  backlog: number;
  db: Db;
  topics: string[];
}

/** Metrics off, canonql's metrics role on, or the raw floor of rollups (bench/support/raw-rollups.ts) beside ingestion. */
type Mode = 'off' | 'on' | 'raw';

async function run(mongo: MongoClient, topic: string, mode: Mode, total: number): Promise<Run> {
  const db = mongo.db(uniqueName(`bench_metrics_${mode}`));
  const topicPrefix = `${uniqueName('bench.canonical')}.`;
  const deadLetterTopic = uniqueName('bench.dlq');
  // Version 2 of the order spec maps the fields the demo metric aggregates (region, line prices).
  const ingestion = specIngestion('order-v2.json', { kafka, db, topic, topicPrefix, deadLetterTopic, canonicalPartitions: PARTITIONS });
  let consumer: RollupConsumer | null = null;
  if (mode === 'on') {
    const metrics = createMetricsService({ kafka, db, logger, groupId: uniqueName('bench-metrics'), topicPrefix, canonicalPartitions: PARTITIONS });
    await metrics.start();
    await metrics.setDefinitions(definitions);
    await metrics.backfillsSettled();
    await waitUntil('the metrics group join', () => metrics.health().state === 'consuming', 5 * 60_000, 20);
    consumer = metrics;
  } else if (mode === 'raw') {
    // The canonical topic exists before ingestion makes it, as canonql's role makes sure of too.
    await createTopic(kafka, `${topicPrefix}order`, PARTITIONS);
    const raw = await startRawRollups({
      kafka,
      db,
      topic: `${topicPrefix}order`,
      groupId: uniqueName('bench-metrics-raw'),
      metric: compileMetric(definitions.find((d) => d.name === 'order-amount')!),
      partitions: PARTITIONS,
    });
    await waitUntil('the raw rollups group join', () => raw.joined(), 5 * 60_000, 20);
    consumer = raw;
  }
  rollupCommands.clear();
  const cpuBefore = process.cpuUsage();
  const storeBefore = storeCpuSeconds();
  const started = Date.now();
  await ingestion.start();
  await waitUntil('ingestion', () => totalOutcomes(ingestion) >= total, 30 * 60_000, 20);
  const ingested = Date.now();
  const backlog = consumer ? Math.max(0, ingestion.stats.outcomes.applied - consumer.stats.events) : 0;
  if (consumer)
    await waitUntil(`the ${mode === 'on' ? 'metrics role' : 'raw rollups'}`, () => consumer.stats.events >= ingestion.stats.outcomes.applied, 30 * 60_000, 20);
  const caughtUp = Date.now();
  const cpu = process.cpuUsage(cpuBefore);
  const storeAfter = storeCpuSeconds();
  await consumer?.stop();
  await ingestion.stop();
  return {
    ingestEventsPerSec: total / ((ingested - started) / 1000),
    endToEndEventsPerSec: total / ((caughtUp - started) / 1000),
    tailSeconds: (caughtUp - ingested) / 1000,
    backlog,
    rollupCommands: Object.fromEntries([...rollupCommands].sort()),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    storeCpuSeconds: storeBefore === null || storeAfter === null ? null : storeAfter - storeBefore,
    metricEvents: consumer?.stats.events ?? 0,
    metricBatches: consumer?.stats.batches ?? 0,
    db,
    topics: [`${topicPrefix}order`, deadLetterTopic],
  };
}

/** The rollup store commands of one run with metrics on, per event and per batch (BENCH_COUNT_COMMANDS=1). */
function printRollupCommands(round: number, on: Run): void {
  const perEvent = Object.entries(on.rollupCommands)
    .filter(([command]) => !command.endsWith(' ms'))
    .map(([command, count]) => `${command} ${fmt(count / Math.max(1, on.metricEvents), 3)}`)
    .join(', ');
  console.log(`round ${round}: rollup store commands per consumed event (${on.metricEvents} events): ${perEvent}`);
  const waits = Object.entries(on.rollupCommands)
    .filter(([command]) => command.endsWith(' ms'))
    .map(([command, ms]) => `${command.slice(0, -3)} ${fmt(ms / Math.max(1, on.metricBatches), 1)}`)
    .join(', ');
  console.log(`round ${round}: rollup store ms per metrics batch, from each command's start to its reply: ${waits}`);
  const roundTrips = Object.entries(on.rollupCommands)
    .filter(([command]) => !command.endsWith('KiB') && !command.endsWith(' ms'))
    .reduce((sum, [, count]) => sum + count, 0);
  console.log(`round ${round}: rollup store commands per metrics batch (${on.metricBatches} batches): ${fmt(roundTrips / Math.max(1, on.metricBatches), 2)}`);
}

/** The store process's CPU seconds so far, or null without `--store-pid`. */
function storeCpuSeconds(): number | null {
  return STORE_PID === undefined ? null : processCpuSeconds(STORE_PID);
}

/** The driver's command monitoring and the rollup command counts from it (off unless BENCH_COUNT_COMMANDS=1: see the header). */
const COUNT_COMMANDS = process.env.BENCH_COUNT_COMMANDS === '1';
const ROLLUP_COLLECTIONS = new Set([BUCKETS_COLLECTION, CONTRIBUTIONS_COLLECTION]);
const rollupCommands = new Map<string, number>();

/**
 * Counts the store commands on the rollup collections (bulk writes count once per command), the
 * KiB their writes send, the KiB their reads' replies bring and the milliseconds from each
 * command's start to its reply (`<command> ms`, summed: the wait the role spends on it).
 */
function countRollupCommands(mongo: MongoClient): void {
  const reads = new Map<number, string>();
  const commandNames = new Map<number, string>();
  mongo.on('commandStarted', (event) => {
    // A read's further batches: getMore names its collection in `collection`.
    const collection = (event.commandName === 'getMore' ? event.command.collection : event.command[event.commandName]) as unknown;
    if (typeof collection !== 'string' || !ROLLUP_COLLECTIONS.has(collection)) return;
    const key = `${event.commandName} ${collection}`;
    rollupCommands.set(key, (rollupCommands.get(key) ?? 0) + 1);
    commandNames.set(event.requestId, key);
    if (event.commandName === 'update' || event.commandName === 'insert') {
      const kib = `${key} KiB`;
      rollupCommands.set(kib, (rollupCommands.get(kib) ?? 0) + BSON.calculateObjectSize(event.command) / 1024);
    }
    if (event.commandName === 'find' || event.commandName === 'getMore') reads.set(event.requestId, `find ${collection} reply KiB`);
  });
  mongo.on('commandSucceeded', (event) => {
    const name = commandNames.get(event.requestId);
    if (name !== undefined) {
      commandNames.delete(event.requestId);
      rollupCommands.set(`${name} ms`, (rollupCommands.get(`${name} ms`) ?? 0) + event.duration);
    }
    const kib = reads.get(event.requestId);
    if (kib === undefined) return;
    reads.delete(event.requestId);
    rollupCommands.set(kib, (rollupCommands.get(kib) ?? 0) + BSON.calculateObjectSize(event.reply as BSON.Document) / 1024);
  });
  mongo.on('commandFailed', (event) => {
    reads.delete(event.requestId);
    commandNames.delete(event.requestId);
  });
}

interface Timing {
  p50: number;
  p99: number;
  perSec: number;
  /** This process's CPU (user + system) per iteration, ms. */
  cpuMs: number;
}

async function time(name: string, iterations: number, work: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < Math.min(30, iterations); i += 1) await work();
  return withProfiles(`metrics-query-${name}`, async () => {
    const samples: number[] = [];
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i += 1) {
      const t = process.hrtime.bigint();
      await work();
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), perSec: iterations / seconds, cpuMs: (cpu.user + cpu.system) / 1e3 / iterations };
  });
}

async function queryLatency(db: Db) {
  const reader = createMetricsReader({ db, definitions, limits: { maxScan: 100_000, maxGroups: 10_000 } });
  const catalog = createSubjectCatalog(loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical')).values());
  const app = express();
  const server = http.createServer(app);
  const endpoint = await mountGraphqlEndpoint({
    app,
    httpServer: server,
    path: '/graphql',
    gateway: new SchemaGateway(buildApiSchema(catalog.list())),
    logger,
    services: { catalog, db, store: createEntityStore(db), eventLog: createEventLog(db), maxPageSize: 100, access: createAccessPolicy([]), metrics: reader },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const key = metricKey(definitions.find((d) => d.name === 'order-amount')!);
  const buckets = db.collection(BUCKETS_COLLECTION);
  const first = await buckets
    .find({ metric: key, window: 'hour', count: { $gt: 0 } })
    .sort({ startMs: 1 })
    .limit(1)
    .toArray();
  const from = first[0]!.startMs as number;
  const to = from + 24 * 3_600_000;
  const gql = `{ metric(name: "order-amount", window: hour, from: "${new Date(from).toISOString()}", to: "${new Date(to).toISOString()}") { start dimensions count sum avg min max } }`;
  // One day of hourly buckets, as the GraphQL query asks for them.
  const day = { metric: key, window: 'hour', startMs: { $gte: from, $lt: to }, count: { $gt: 0 } };
  const rawFind = (projection: Readonly<Record<string, 0 | 1>>) => () => buckets.find(day, { projection }).sort({ startMs: 1 }).toArray();
  const rows = await buckets.countDocuments(day);
  const agent = new http.Agent({ keepAlive: true });
  const post = (body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end(body);
    });
  const body = JSON.stringify({ query: gql });
  const answer = await post(body);
  const check = JSON.parse(answer) as { data?: { metric: unknown[] }; errors?: unknown };
  if (!check.data || check.data.metric.length !== rows) throw new Error(`metric query returned ${JSON.stringify(check).slice(0, 300)} for ${rows} rollup docs`);
  const results = {
    rollupDocs: rows,
    /** The GraphQL answer's bytes and their sha1: the same stream gives the same answer, whatever the code that writes it. */
    answerBytes: Buffer.byteLength(answer),
    answerSha1: crypto.createHash('sha1').update(answer).digest('hex'),
    raw: await time('raw', QUERIES, rawFind(BUCKET_SUMMARY_PROJECTION)),
    // The same find with only the fields canonql's fold reads (BUCKET_FOLD_PROJECTION): how much of
    // the gap to the raw find above is the narrower read, measured, not the target's baseline.
    rawFoldFields: await time('raw-fold-fields', QUERIES, rawFind(BUCKET_FOLD_PROJECTION)),
    reader: await time('reader', QUERIES, () => reader.query({ name: 'order-amount', window: 'hour', from: new Date(from), to: new Date(to) })),
    graphql: await time('graphql', QUERIES, () => post(body)),
  };
  agent.destroy();
  await endpoint.stop();
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return results;
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri, { monitorCommands: COUNT_COMMANDS });
  if (COUNT_COMMANDS) countRollupCommands(mongo);
  await mongo.connect();
  const topic = uniqueName('bench.raw.orders');
  const messages = demoOrderStream(EVENTS);
  await createTopic(kafka, topic, PARTITIONS);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 2000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
  await producer.disconnect();
  console.log(
    'metrics on: the role started, its definition backfilled over empty state and its group joined before the clock starts; the clock runs from ingestion start until ingestion has consumed every message (ingestion rate) and until the metrics role has applied every applied change (until current)',
  );
  console.log(
    `${messages.length} demo order messages (${EVENTS}+ change events, tombstones included) on ${topic}, ${PARTITIONS} partitions; ${JSON.stringify(machine())}`,
  );

  const rounds: {
    round: number;
    order: Mode[];
    off: number;
    onIngest: number;
    onEndToEnd: number;
    rawIngest: number;
    rawEndToEnd: number;
    tailSeconds: number;
    rawTailSeconds: number;
    backlog: number;
    rawBacklog: number;
    cpuOff: number;
    cpuOn: number;
    cpuRaw: number;
    storeCpuOff: number | null;
    storeCpuOn: number | null;
    storeCpuRaw: number | null;
    rollupCommands: Record<string, number>;
    metricEvents: number;
    metricBatches: number;
  }[] = [];
  const topics = [topic];
  let lastOn: Db | null = null;
  if (QUERIES_ONLY) {
    const on = await run(mongo, topic, 'on', messages.length);
    lastOn = on.db;
    topics.push(...on.topics);
    console.log(`rollups made by one untimed ingestion with metrics on (${fmt(on.endToEndEventsPerSec)} msg/s until current)`);
  }
  if (!QUERIES_ONLY && !NO_WARMUP) {
    // The first run of a process meets cold code (ingestion's, the role's, the driver's) and
    // the slowest round of every mode was the one that ran first: an untimed run with the role
    // on warms every path the timed runs take.
    const warm = await run(mongo, topic, 'on', messages.length);
    await warm.db.dropDatabase();
    topics.push(...warm.topics);
    console.log(`warm-up run, not timed: metrics on, ${fmt(warm.endToEndEventsPerSec)} msg/s until current`);
  }
  for (let round = 1; !QUERIES_ONLY && round <= ROUNDS; round += 1) {
    // The rounds take turns at the order (odd rounds off, on, raw; even rounds the reverse), so no
    // mode always runs right after another (each ratio is of the modes' best rounds).
    const order: Mode[] = round % 2 === 1 ? ['off', 'on', 'raw'] : ['raw', 'on', 'off'];
    const runs = new Map<Mode, Run>();
    for (const mode of order) runs.set(mode, await withProfiles(`metrics-round-${round}-${mode}`, () => run(mongo, topic, mode, messages.length)));
    const off = runs.get('off')!;
    const on = runs.get('on')!;
    const raw = runs.get('raw')!;
    await off.db.dropDatabase();
    await raw.db.dropDatabase();
    if (lastOn) await lastOn.dropDatabase();
    lastOn = on.db;
    topics.push(...off.topics, ...on.topics, ...raw.topics);
    rounds.push({
      round,
      order,
      off: off.ingestEventsPerSec,
      onIngest: on.ingestEventsPerSec,
      onEndToEnd: on.endToEndEventsPerSec,
      rawIngest: raw.ingestEventsPerSec,
      rawEndToEnd: raw.endToEndEventsPerSec,
      tailSeconds: on.tailSeconds,
      rawTailSeconds: raw.tailSeconds,
      backlog: on.backlog,
      rawBacklog: raw.backlog,
      cpuOff: off.cpuSeconds,
      cpuOn: on.cpuSeconds,
      cpuRaw: raw.cpuSeconds,
      storeCpuOff: off.storeCpuSeconds,
      storeCpuOn: on.storeCpuSeconds,
      storeCpuRaw: raw.storeCpuSeconds,
      rollupCommands: on.rollupCommands,
      metricEvents: on.metricEvents,
      metricBatches: on.metricBatches,
    });
    console.log(
      `round ${round}: metrics off ${fmt(off.ingestEventsPerSec)} msg/s; on: ingestion ${fmt(on.ingestEventsPerSec)} msg/s, until rollups current ${fmt(on.endToEndEventsPerSec)} msg/s, ratio ${fmt(on.endToEndEventsPerSec / off.ingestEventsPerSec, 2)}; the metrics role's tail after ingestion ${fmt(on.tailSeconds, 2)} s of ${fmt(messages.length / on.endToEndEventsPerSec, 2)} s (${on.backlog} changes still to apply when ingestion was done)`,
    );
    console.log(
      `round ${round}: raw rollups (the floor): ingestion ${fmt(raw.ingestEventsPerSec)} msg/s, until current ${fmt(raw.endToEndEventsPerSec)} msg/s, ratio ${fmt(raw.endToEndEventsPerSec / off.ingestEventsPerSec, 2)}; tail ${fmt(raw.tailSeconds, 2)} s (${raw.backlog} changes still to apply when ingestion was done); order ${order.join(', ')}`,
    );
    const perMessage = (seconds: number) => fmt((seconds / messages.length) * 1e6);
    console.log(
      `round ${round}: this process's CPU per message: metrics off ${perMessage(off.cpuSeconds)} µs, on ${perMessage(on.cpuSeconds)} µs, raw rollups ${perMessage(raw.cpuSeconds)} µs`,
    );
    if (off.storeCpuSeconds !== null && on.storeCpuSeconds !== null && raw.storeCpuSeconds !== null) {
      console.log(
        `round ${round}: the store's CPU per message: metrics off ${perMessage(off.storeCpuSeconds)} µs, on ${perMessage(on.storeCpuSeconds)} µs (the metrics role adds ${perMessage(on.storeCpuSeconds - off.storeCpuSeconds)} µs), raw rollups ${perMessage(raw.storeCpuSeconds)} µs (adds ${perMessage(raw.storeCpuSeconds - off.storeCpuSeconds)} µs)`,
      );
    }
    console.log(`round ${round}: CPU per message the metrics role adds: ${fmt(((on.cpuSeconds - off.cpuSeconds) / messages.length) * 1e6)} µs`);
    if (COUNT_COMMANDS) printRollupCommands(round, on);
  }
  if (!QUERIES_ONLY) {
    const best = (k: 'off' | 'onIngest' | 'onEndToEnd' | 'rawIngest' | 'rawEndToEnd') => Math.max(...rounds.map((r) => r[k]));
    console.log('\n| ingestion of the demo order stream | messages/s (best round) | ratio to metrics off |');
    console.log('|---|---|---|');
    console.log(`| metrics off | ${fmt(best('off'))} | 1.00 |`);
    console.log(`| metrics on: ingestion rate | ${fmt(best('onIngest'))} | ${fmt(best('onIngest') / best('off'), 2)} |`);
    console.log(`| metrics on: until the rollups are current | ${fmt(best('onEndToEnd'))} | ${fmt(best('onEndToEnd') / best('off'), 2)} |`);
    console.log(`| raw rollups (the floor): ingestion rate | ${fmt(best('rawIngest'))} | ${fmt(best('rawIngest') / best('off'), 2)} |`);
    console.log(`| raw rollups (the floor): until current | ${fmt(best('rawEndToEnd'))} | ${fmt(best('rawEndToEnd') / best('off'), 2)} |`);
  }

  const latency = await queryLatency(lastOn!);
  const row = (what: string, t: Timing) =>
    `| ${what} | ${fmt(t.p50, 2)} | ${fmt(t.p99, 2)} | ${fmt(t.p99 / latency.raw.p99, 2)} | ${fmt(t.perSec)} | ${fmt(t.cpuMs, 2)} |`;
  console.log(
    `\n| read of one day of hourly order-amount buckets (${latency.rollupDocs} rollup docs), ${QUERIES} sequential | p50 ms | p99 ms | p99 / raw | per s | CPU ms/query |`,
  );
  console.log('|---|---|---|---|---|---|');
  console.log(row('raw find of the rollup documents (driver, no members)', latency.raw));
  console.log(row("raw find of the fields canonql's fold reads (start, dims, summary)", latency.rawFoldFields));
  console.log(row('MetricsReader.query (find + fold in code)', latency.reader));
  console.log(row('GraphQL metric(...) over HTTP (server and client)', latency.graphql));
  console.log(`GraphQL answer: ${latency.answerBytes} bytes, sha1 ${latency.answerSha1}`);
  const results = { machine: machine(), nodeEnv: process.env.NODE_ENV, events: EVENTS, messages: messages.length, rounds, latency };
  console.log(`\nresults: ${writeResults(QUERIES_ONLY ? 'metrics-queries' : 'metrics', results)}`);
  await lastOn!.dropDatabase();
  await deleteTopics(kafka, topics);
  await mongo.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
