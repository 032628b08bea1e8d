/**
 * Soak run: canonql under a steady load for a long time, to show that memory and latency stay
 * flat (no leak, no slow drift, no backlog building up).
 *
 *   npm run bench:soak -- [--minutes 10] [--rate 20] [--subscribers 500] [--sockets 4] [--sample-seconds 30]
 *
 * The real pipeline end to end: raw Debezium MongoDB-connector order creates produced at a steady
 * rate → canonql's ingestion (in this process) → canonical topic → the API (GraphQL endpoint +
 * change feed, a child process started with --expose-gc) → `orderChanged` subscriptions over
 * graphql-ws (another child process; one websocket per `--sockets`, subscriptions multiplexed).
 * The same children as `npm run bench:subscriptions` (bench/support/server-process.ts,
 * subscriber-process.ts), so the figures are comparable.
 *
 * Every `--sample-seconds`: the API process's RSS and heap after two full collections (what it
 * retains, not garbage not yet collected), this process's (ingestion) RSS and heap, and the
 * delivery latency (raw produce → subscriber receives) p50/p99/max of the deliveries in that
 * window. At the end: a table, a verdict (first third of the samples against the last third) and
 * bench-results/soak.json.
 *
 * Uses the local stack (started if needed) or MONGODB_URI / KAFKA_BROKERS.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Producer } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { createProgress } from '../infra/stack/progress';
import { stackUp } from '../infra/stack/stack';
import type { Ingestion } from '../src/ingestion/ingestion-service';
import { pacedProducer } from './support/paced-producer';
import {
  benchKafka,
  config,
  cpuSeconds,
  createTopic,
  deleteTopics,
  fmt,
  machine,
  orderCreate,
  orderIngestion,
  sleep,
  startChild,
  totalOutcomes,
  uniqueName,
  waitUntil,
  writeResults,
  type Child,
} from './support/bench-common';
import { readBenchArgs } from './support/bench-args';

const { values: args } = readBenchArgs({
  command: 'npm run bench:soak --',
  options: {
    minutes: { type: 'number', default: 10, help: 'length of the run' },
    rate: { type: 'number', default: 20, help: 'raw events per second' },
    subscribers: { type: 'number', default: 500, help: 'orderChanged subscriptions' },
    sockets: { type: 'number', default: 4, help: 'websockets the subscriptions share' },
    'sample-seconds': { type: 'number', default: 30, help: 'seconds between samples of memory and latency' },
  },
});
const { minutes: MINUTES, rate: RATE, subscribers: SUBSCRIBERS, sockets: SOCKETS, 'sample-seconds': SAMPLE_SECONDS } = args;
const RAW_PARTITIONS = 4;
/** Growth between the first and last third of the samples still called flat. */
const FLAT_MEMORY_RATIO = 1.2;
const FLAT_MEMORY_SLACK_MIB = 8;
const FLAT_LATENCY_RATIO = 1.5;
const FLAT_LATENCY_SLACK_MS = 20;

const MiB = 2 ** 20;
const stampNow = () => performance.timeOrigin + performance.now();

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
interface SubscriberReport {
  measured: number;
  errors: number;
  completed: number;
  errorMessages: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}
interface Sample {
  atSeconds: number;
  produced: number;
  ingested: number;
  deliveries: number;
  expectedDeliveries: number;
  subscriberErrors: number;
  api: Memory;
  ingestionProcess: Memory;
  latencyMs: { p50: number; p99: number; max: number };
  apiStats: Record<string, unknown>;
}

let sequence = 0;

/** A full collection in this process too (started without --expose-gc by the npm script). */
const collect: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

function ownMemory(): Memory {
  collect();
  collect();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** Produces `RATE` events/s until `stop()`, each stamped with its produce time. */
function steadyProducer(producer: Producer, topic: string) {
  return pacedProducer(producer, topic, {
    rate: RATE,
    idleMs: 5,
    next: () => {
      const n = (sequence += 1);
      return orderCreate(n, `o-${stampNow().toFixed(3)}-${n}`, Date.now());
    },
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

function flatness(samples: Sample[]) {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const first = samples.slice(0, third);
  const last = samples.slice(-third);
  const compare = (pick: (s: Sample) => number, ratio: number, slack: number) => {
    const a = median(first.map(pick));
    const b = median(last.map(pick));
    return { firstThird: a, lastThird: b, flat: b <= a * ratio || b - a <= slack };
  };
  return {
    apiHeapMiB: compare((s) => s.api.heapUsed / MiB, FLAT_MEMORY_RATIO, FLAT_MEMORY_SLACK_MIB),
    apiRssMiB: compare((s) => s.api.rss / MiB, FLAT_MEMORY_RATIO, FLAT_MEMORY_SLACK_MIB),
    ingestionHeapMiB: compare((s) => s.ingestionProcess.heapUsed / MiB, FLAT_MEMORY_RATIO, FLAT_MEMORY_SLACK_MIB),
    latencyP50Ms: compare((s) => s.latencyMs.p50, FLAT_LATENCY_RATIO, FLAT_LATENCY_SLACK_MS),
    latencyP99Ms: compare((s) => s.latencyMs.p99, FLAT_LATENCY_RATIO, FLAT_LATENCY_SLACK_MS),
  };
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const kafka = benchKafka('canonql-soak');
  const dbName = uniqueName('bench_soak');
  const topic = uniqueName('bench.soak.orders');
  const topicPrefix = `${uniqueName('bench.soak.canonical')}.`;
  const deadLetterTopic = uniqueName('bench.soak.dlq');
  const children: Child[] = [];
  let ingestion: Ingestion | null = null;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await createTopic(kafka, topic, RAW_PARTITIONS);
    console.log(
      `soak: ${RATE} events/s (${RATE * SUBSCRIBERS} deliveries/s) to ${SUBSCRIBERS} subscribers on ${SOCKETS} sockets ` +
        `for ${MINUTES} min, sampled every ${SAMPLE_SECONDS} s; machine ${JSON.stringify(machine())}`,
    );
    const running = orderIngestion({ kafka, db: mongo.db(dbName), topic, topicPrefix, deadLetterTopic });
    ingestion = running;
    await running.start();
    await producer.connect();
    const warm = async () => {
      const n = (sequence += 1);
      await producer.send({ topic, acks: -1, messages: [orderCreate(n, `w-${stampNow().toFixed(3)}-${n}`, Date.now())] });
    };
    await warm(); // creates the canonical topic, so the feed follows it at once
    await waitUntil('the first event to be ingested', () => totalOutcomes(running) >= 1, 60_000);
    const api = startChild('server-process.ts', { BENCH_SERVER: 'canonql-subs', BENCH_DB: dbName, BENCH_TOPIC_PREFIX: topicPrefix, NODE_ENV: 'production' });
    children.push(api);
    const port = (await api.next<{ port: number }>('ready')).port;
    const subscribers = startChild('subscriber-process.ts', {
      BENCH_WS_URL: `ws://127.0.0.1:${port}/graphql`,
      BENCH_SOCKETS: String(SOCKETS),
      BENCH_SUBSCRIPTIONS: String(SUBSCRIBERS),
    });
    children.push(subscribers);
    await subscribers.next('ready');
    const layout = await subscribers.call<{ sockets: number; subscriptions: number }>({ cmd: 'open' });
    await waitUntil(
      'every subscription to receive a warm-up event',
      async () => {
        await warm();
        return (await subscribers.call<{ warmed: number }>({ cmd: 'warm' })).warmed >= SUBSCRIBERS;
      },
      120_000,
      500,
    );
    const ingestedBefore = totalOutcomes(running);
    console.log(`${layout.subscriptions} subscriptions live on ${layout.sockets} sockets; load starts`);

    await subscribers.call({ cmd: 'reset' });
    const load = steadyProducer(producer, topic);
    const started = Date.now();
    const samples: Sample[] = [];
    let deliveriesTotal = 0;
    let producedAtLastSample = 0;
    const cpu0 = { api: (await api.call<{ cpuSeconds: number }>({ cmd: 'stats' })).cpuSeconds, bench: cpuSeconds() };
    console.log(
      '\n| t (s) | produced | ingested | deliveries in window | API RSS MiB | API heap MiB | ingestion RSS MiB | ingestion heap MiB | p50 ms | p99 ms | max ms | subscriber errors |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (let i = 1; i <= Math.round((MINUTES * 60) / SAMPLE_SECONDS); i += 1) {
      await sleep(started + i * SAMPLE_SECONDS * 1000 - Date.now());
      // Report and reset back to back: each window's latencies are its own.
      const report = await subscribers.call<SubscriberReport>({ cmd: 'report' });
      await subscribers.call({ cmd: 'reset' });
      const apiMemory = (await api.call<{ memory: Memory }>({ cmd: 'memory' })).memory;
      const apiStats = (await api.call<{ stats: Record<string, unknown> }>({ cmd: 'stats' })).stats;
      const produced = load.produced();
      deliveriesTotal += report.measured;
      const sample: Sample = {
        atSeconds: Math.round((Date.now() - started) / 1000),
        produced,
        ingested: totalOutcomes(running) - ingestedBefore,
        deliveries: report.measured,
        expectedDeliveries: (produced - producedAtLastSample) * SUBSCRIBERS,
        subscriberErrors: report.errors,
        api: apiMemory,
        ingestionProcess: ownMemory(),
        latencyMs: { p50: report.latencyMs.p50, p99: report.latencyMs.p99, max: report.latencyMs.max },
        apiStats,
      };
      producedAtLastSample = produced;
      samples.push(sample);
      console.log(
        `| ${sample.atSeconds} | ${produced} | ${sample.ingested} | ${report.measured} | ${fmt(apiMemory.rss / MiB, 1)} | ${fmt(apiMemory.heapUsed / MiB, 1)} | ` +
          `${fmt(sample.ingestionProcess.rss / MiB, 1)} | ${fmt(sample.ingestionProcess.heapUsed / MiB, 1)} | ${fmt(sample.latencyMs.p50, 1)} | ${fmt(sample.latencyMs.p99, 1)} | ` +
          `${fmt(sample.latencyMs.max, 0)} | ${report.errors} |`,
      );
    }
    await load.stop();
    const produced = load.produced();
    // Deliveries still in flight when the load stopped.
    await sleep(5000);
    const tail = await subscribers.call<SubscriberReport>({ cmd: 'report' });
    deliveriesTotal += tail.measured;
    const cpu = {
      apiSeconds: (await api.call<{ cpuSeconds: number }>({ cmd: 'stats' })).cpuSeconds - cpu0.api,
      benchProcessSeconds: cpuSeconds() - cpu0.bench,
    };
    const verdict = flatness(samples);
    const memoryFlat = verdict.apiHeapMiB.flat && verdict.apiRssMiB.flat && verdict.ingestionHeapMiB.flat;
    const latencyFlat = verdict.latencyP50Ms.flat && verdict.latencyP99Ms.flat;
    console.log(
      `\nproduced ${produced} events in ${fmt((Date.now() - started) / 1000, 0)} s; deliveries counted ${deliveriesTotal} of ${produced * SUBSCRIBERS} expected ` +
        `(${fmt((100 * deliveriesTotal) / (produced * SUBSCRIBERS), 2)}%; the few received between a window's report and reset are not counted); ` +
        `subscriptions ended by an error: ${tail.errors}${tail.errors ? ` ${JSON.stringify(tail.errorMessages)}` : ''}; CPU s: API ${fmt(cpu.apiSeconds, 0)}, ingestion + producer ${fmt(cpu.benchProcessSeconds, 0)}`,
    );
    console.log('\nfirst third vs last third of the samples (medians):');
    for (const [name, v] of Object.entries(verdict)) {
      console.log(`  ${name}: ${fmt(v.firstThird, 1)} -> ${fmt(v.lastThird, 1)} ${v.flat ? 'flat' : 'GROWING'}`);
    }
    console.log(`memory ${memoryFlat ? 'stays flat' : 'grows'}; latency ${latencyFlat ? 'stays flat' : 'grows'}`);
    const file = writeResults('soak', {
      benchmark: 'soak',
      at: new Date().toISOString(),
      machine: machine(),
      settings: {
        minutes: MINUTES,
        eventsPerSecond: RATE,
        subscribers: SUBSCRIBERS,
        sockets: SOCKETS,
        sampleSeconds: SAMPLE_SECONDS,
        rawPartitions: RAW_PARTITIONS,
        subscription: 'subscription { orderChanged { op key node { order_id } } }',
        memory:
          'API child process (--expose-gc): process.memoryUsage() after two gc(); ingestion (this process): process.memoryUsage() after two full collections too',
        latency: 'per window: subscriber receive time - raw produce time (same host clock), 0.1 ms histogram, reset every sample',
        flat: `last-third median <= first-third median x ${FLAT_MEMORY_RATIO} (or + ${FLAT_MEMORY_SLACK_MIB} MiB) for memory, x ${FLAT_LATENCY_RATIO} (or + ${FLAT_LATENCY_SLACK_MS} ms) for latency`,
      },
      produced,
      deliveriesCounted: deliveriesTotal,
      expectedDeliveries: produced * SUBSCRIBERS,
      subscriberErrors: tail.errors,
      cpu,
      samples,
      verdict,
      memoryFlat,
      latencyFlat,
    });
    console.log(`wrote ${file}`);
  } finally {
    await producer.disconnect().catch(() => undefined);
    for (const child of children.reverse()) await child.stop();
    if (ingestion) await ingestion.stop().catch(() => undefined);
    await mongo
      .db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    await deleteTopics(kafka, [topic, `${topicPrefix}order`, deadLetterTopic]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
