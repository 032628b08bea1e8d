/**
 * Subscription latency benchmark: end-to-end latency from producing a raw Debezium record to a
 * graphql-ws subscriber receiving the change, for canonql (real ingestion → canonical topic →
 * change feed → GraphQL subscription over graphql-ws) against a baseline raw websocket broadcast
 * server fed by a kafkajs consumer of the same raw topic, with the same subscribers, socket
 * layout, event rate and measurement, in the same run. Also the memory of an idle subscriber.
 *
 *   npm run bench:subscriptions -- [--subscribers 1000] [--sockets 4] [--rates 500,50] [--seconds 10]
 *
 * Each rate runs on the same open subscriptions, one after the other: 500 events/s is the target
 * load (500,000 deliveries/s with 1,000 subscribers); 50 events/s is a control rate this 2-core
 * machine sustains, where latency is not just queueing.
 *
 * Processes: this one runs canonql's ingestion (src/ingestion, in-process) and the producer; the
 * API under test (canonql: GraphQL endpoint + change feed; baseline: broadcast server) runs in a
 * child process started with --expose-gc; the subscribers (graphql-ws clients, one websocket
 * each, many subscriptions per socket) run in another child. Every event is a MongoDB-connector
 * order create whose `orderId` (mapped to `order_id` by the seed spec) is
 * `o-<produce time, epoch ms>-<n>`; the subscriber subtracts it from its receive time.
 * Results: bench-results/subscription-latency.json.
 *
 * Uses the local stack (started if needed) or MONGODB_URI / KAFKA_BROKERS.
 */
import { performance } from 'node:perf_hooks';
import type { Kafka, Producer } from 'kafkajs';
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
  command: 'npm run bench:subscriptions --',
  options: {
    subscribers: { type: 'number', default: 1000, help: 'orderChanged subscriptions' },
    sockets: { type: 'number', default: 4, help: 'websockets the subscriptions share' },
    seconds: { type: 'number', default: 10, help: 'measured seconds per rate' },
    rates: {
      type: 'list',
      placeholder: 'N,N',
      help: 'event rates per second, one after the other on the same subscribers; the first is the headline (default 500,50)',
    },
    rate: { type: 'list', placeholder: 'N', help: 'the same as --rates' },
  },
});
const { subscribers: SUBSCRIBERS, sockets: SOCKETS, seconds: SECONDS } = args;
/** Event rates run one after the other on the same subscribers; the first is the headline. */
const RATES = (() => {
  const given = args.rates ?? args.rate ?? ['500', '50'];
  const text = given.join(',');
  const rates = given.map(Number);
  if (rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error(`--rates needs positive numbers, got ${text}`);
  return rates;
})();
const RAW_PARTITIONS = 4;
/** After the last event is produced, how long deliveries may keep arriving. */
const DRAIN_LIMIT_MS = 45_000;
const DRAIN_STALL_MS = 5_000;
/**
 * How far behind canonql lets a subscriber fall before ending it as too slow
 * (CANONQL_MAX_SUBSCRIBER_BACKLOG, 1,000 events by default): here twice the events of the longest
 * rate, and no keep-alive ping (CANONQL_WS_KEEPALIVE_MS=0; a socket seconds behind answers its
 * ping late and is terminated). The raw broadcast has neither, and at 500 events/s this
 * benchmark's one subscriber process reads fewer frames than both servers send: with the defaults
 * every canonql subscription is ended within seconds and the run measures those protections, not
 * the fan-out. Both are tested on their own: test/integration/subscriptions/slow-subscriber.test.ts
 * and the keep-alive case of test/unit/graphql/ws-transport.test.ts.
 */
const SUBSCRIBER_BACKLOG = 2 * Math.max(...RATES) * SECONDS;

const stampNow = () => performance.timeOrigin + performance.now();

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}
interface Report {
  measured: number;
  errors: number;
  completed: number;
  errorMessages: Record<string, number>;
  perSubscription: { min: number; max: number };
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  lastDeliveryAt: number;
  cpuSeconds: number;
}

let sequence = 0;

async function produceWarmup(producer: Producer, topic: string) {
  const n = (sequence += 1);
  await producer.send({ topic, acks: -1, messages: [orderCreate(n, `w-${stampNow().toFixed(3)}-${n}`, Date.now())] });
}

/** `rate` events/s for SECONDS, each stamped just before it is handed to the producer. */
async function produceMeasured(producer: Producer, topic: string, rate: number) {
  const startedAt = stampNow();
  const { events, seconds } = await pacedProducer(producer, topic, {
    rate,
    total: Math.round(rate * SECONDS),
    idleMs: 1,
    next: () => {
      const n = (sequence += 1);
      return orderCreate(n, `o-${stampNow().toFixed(3)}-${n}`, Date.now());
    },
  }).done;
  return { events, seconds, startedAt };
}

interface RateRun {
  rate: number;
  produced: { events: number; seconds: number; ratePerSecond: number };
  expectedDeliveries: number;
  report: Report;
  /** Deliveries per second from the first event produced to the last delivery. */
  deliveriesPerSecond: number;
  drainSeconds: number;
  cpuSecondsDuringRun: { server: number; subscribers: number; benchProcess: number };
  serverStats: Record<string, unknown>;
}

interface SystemResult {
  system: string;
  layout: { sockets: number; subscriptions: number; subscriptionsPerSocket: number[] };
  memory: { before: Memory; after: Memory; rssPerSubscriberBytes: number; heapPerSubscriberBytes: number };
  idleServerStats: Record<string, unknown>;
  runs: RateRun[];
}

async function runSystem(options: { system: string; server: Child; kafka: Kafka; topic: string; wsUrl: string }): Promise<SystemResult> {
  const { server, kafka, topic, system } = options;
  const subscribers = startChild('subscriber-process.ts', {
    BENCH_WS_URL: options.wsUrl,
    BENCH_SOCKETS: String(SOCKETS),
    BENCH_SUBSCRIPTIONS: String(SUBSCRIBERS),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await subscribers.next('ready');
    // Events through the whole pipeline with no subscriber yet, so one-time allocations (consumer
    // buffers, compiled code) are made before the "before" measurement.
    for (let i = 0; i < 3; i += 1) await produceWarmup(producer, topic);
    await sleep(2000);
    const before = (await server.call<{ memory: Memory }>({ cmd: 'memory' })).memory;
    const layout = await subscribers.call<SystemResult['layout']>({ cmd: 'open' });
    // Until every subscription has received an event, the server has not registered them all.
    const warmStarted = Date.now();
    await waitUntil(
      'every subscription to receive a warm-up event',
      async () => {
        await produceWarmup(producer, topic);
        const { warmed } = await subscribers.call<{ warmed: number }>({ cmd: 'warm' });
        return warmed >= SUBSCRIBERS;
      },
      90_000,
      500,
    );
    await sleep(1500);
    const after = (await server.call<{ memory: Memory }>({ cmd: 'memory' })).memory;
    const idleServerStats = (await server.call<{ stats: Record<string, unknown> }>({ cmd: 'stats' })).stats;
    console.log(
      `${system}: ${layout.subscriptions} subscriptions on ${layout.sockets} sockets (${layout.subscriptionsPerSocket.join('/')} per socket), ` +
        `all live after ${((Date.now() - warmStarted) / 1000).toFixed(1)} s; server ${JSON.stringify(idleServerStats)}; ` +
        `server memory after GC: rss ${fmt(before.rss / 2 ** 20, 1)} -> ${fmt(after.rss / 2 ** 20, 1)} MiB, heap ${fmt(before.heapUsed / 2 ** 20, 1)} -> ${fmt(after.heapUsed / 2 ** 20, 1)} MiB`,
    );

    const runs: RateRun[] = [];
    for (const rate of RATES) {
      await sleep(1000);
      const cpu0 = {
        server: (await server.call<{ cpuSeconds: number }>({ cmd: 'stats' })).cpuSeconds,
        subscribers: (await subscribers.call<{ cpuSeconds: number }>({ cmd: 'reset' })).cpuSeconds,
        bench: cpuSeconds(),
      };
      const produced = await produceMeasured(producer, topic, rate);
      const expected = produced.events * SUBSCRIBERS;
      const drainStarted = Date.now();
      let last = -1;
      let lastProgress = Date.now();
      for (;;) {
        const { measured, errors } = await subscribers.call<{ measured: number; errors: number }>({ cmd: 'count' });
        if (measured >= produced.events * (SUBSCRIBERS - errors)) break;
        if (measured !== last) {
          last = measured;
          lastProgress = Date.now();
        }
        if (Date.now() - lastProgress > DRAIN_STALL_MS || Date.now() - drainStarted > DRAIN_LIMIT_MS) break;
        await sleep(100);
      }
      const drainSeconds = (Date.now() - drainStarted) / 1000;
      const report = await subscribers.call<Report>({ cmd: 'report' });
      const serverAfter = await server.call<{ stats: Record<string, unknown>; cpuSeconds: number }>({ cmd: 'stats' });
      const run: RateRun = {
        rate,
        produced: { events: produced.events, seconds: produced.seconds, ratePerSecond: produced.events / produced.seconds },
        expectedDeliveries: expected,
        report,
        deliveriesPerSecond: report.measured / ((report.lastDeliveryAt - produced.startedAt) / 1000),
        drainSeconds,
        cpuSecondsDuringRun: {
          server: serverAfter.cpuSeconds - cpu0.server,
          subscribers: report.cpuSeconds - cpu0.subscribers,
          benchProcess: cpuSeconds() - cpu0.bench,
        },
        serverStats: serverAfter.stats,
      };
      runs.push(run);
      const r = run.report;
      console.log(
        `${system} @ ${rate} events/s: ${r.measured}/${expected} deliveries (${fmt((100 * r.measured) / expected, 1)}%), ` +
          `${fmt(run.deliveriesPerSecond)} deliveries/s, subscriptions ended with an error ${r.errors}${r.errors ? ` ${JSON.stringify(r.errorMessages)}` : ''}, ` +
          `all received ${fmt(drainSeconds, 1)} s after the last event was produced, p50 ${fmt(r.latencyMs.p50, 1)} ms, p99 ${fmt(r.latencyMs.p99, 1)} ms, max ${fmt(r.latencyMs.max, 1)} ms; ` +
          `CPU s during the run: server ${fmt(run.cpuSecondsDuringRun.server, 1)}, subscribers ${fmt(run.cpuSecondsDuringRun.subscribers, 1)}, bench process (producer${system === 'canonql' ? ' + ingestion' : ''}) ${fmt(run.cpuSecondsDuringRun.benchProcess, 1)}`,
      );
    }
    return {
      system,
      layout,
      idleServerStats,
      runs,
      memory: {
        before,
        after,
        rssPerSubscriberBytes: (after.rss - before.rss) / SUBSCRIBERS,
        heapPerSubscriberBytes: (after.heapUsed - before.heapUsed) / SUBSCRIBERS,
      },
    };
  } finally {
    await producer.disconnect();
    await subscribers.stop();
  }
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const kafka = benchKafka();
  const dbName = uniqueName('bench_subs');
  const topic = uniqueName('bench.raw.orders');
  const topicPrefix = `${uniqueName('bench.canonical')}.`;
  const deadLetterTopic = uniqueName('bench.dlq');
  const children: Child[] = [];
  let ingestion: Ingestion | null = null;
  try {
    await createTopic(kafka, topic, RAW_PARTITIONS);
    console.log(
      `raw topic ${topic} (${RAW_PARTITIONS} partitions); ${SUBSCRIBERS} subscribers on ${SOCKETS} sockets; ` +
        `${RATES.map((r) => `${r} events/s (${r * SUBSCRIBERS} deliveries/s)`).join(', then ')} for ${SECONDS} s each`,
    );

    // canonql: real ingestion here, the API (GraphQL endpoint + change feed) in a child process.
    const running = orderIngestion({ kafka, db: mongo.db(dbName), topic, topicPrefix, deadLetterTopic });
    ingestion = running;
    await running.start();
    const seeder = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await seeder.connect();
    await produceWarmup(seeder, topic); // creates the canonical topic, so the feed follows it at once
    await seeder.disconnect();
    await waitUntil('the first event to be ingested', () => totalOutcomes(running) >= 1, 60_000);
    const api = startChild('server-process.ts', {
      BENCH_SERVER: 'canonql-subs',
      BENCH_DB: dbName,
      BENCH_TOPIC_PREFIX: topicPrefix,
      NODE_ENV: 'production',
      CANONQL_MAX_SUBSCRIBER_BACKLOG: String(SUBSCRIBER_BACKLOG),
      CANONQL_WS_KEEPALIVE_MS: '0',
    });
    children.push(api);
    const apiPort = (await api.next<{ port: number }>('ready')).port;
    const canonql = await runSystem({ system: 'canonql', server: api, kafka, topic, wsUrl: `ws://127.0.0.1:${apiPort}/graphql` });
    const outcomes = { ...running.stats.outcomes };
    console.log(`canonql ingestion outcomes: ${JSON.stringify(outcomes)}`);
    await api.stop();
    await running.stop();
    ingestion = null;

    // baseline: a kafkajs consumer of the same raw topic broadcasting to the same subscribers.
    const broadcaster = startChild('server-process.ts', { BENCH_SERVER: 'baseline-ws', BENCH_DB: dbName, BENCH_RAW_TOPIC: topic, NODE_ENV: 'production' });
    children.push(broadcaster);
    const baselinePort = (await broadcaster.next<{ port: number }>('ready')).port;
    const baseline = await runSystem({ system: 'baseline', server: broadcaster, kafka, topic, wsUrl: `ws://127.0.0.1:${baselinePort}/graphql` });
    await broadcaster.stop();

    const layout = `${canonql.layout.sockets} sockets x ${canonql.layout.subscriptionsPerSocket[0]} subscriptions, graphql-ws multiplexing`;
    console.log(
      `\nlatency raw produce -> subscriber receives, ${SUBSCRIBERS} subscribers (${layout}), ${SECONDS} s per rate; canonql's subscriber backlog bound ${SUBSCRIBER_BACKLOG} events and no keep-alive ping (the broadcast has neither)\n`,
    );
    console.log('| events/s (deliveries/s offered) | system | deliveries received / expected | ended by error | delivered/s | p50 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|---|---|---|');
    RATES.forEach((rate, i) => {
      for (const [label, result] of [
        ['baseline: kafkajs + JSON.parse + raw ws broadcast', baseline],
        ['canonql: ingestion -> change feed -> graphql-ws', canonql],
      ] as const) {
        const run = result.runs[i]!;
        const r = run.report;
        console.log(
          `| ${rate} (${rate * SUBSCRIBERS}) | ${label} | ${r.measured} / ${run.expectedDeliveries} | ${r.errors} | ${fmt(run.deliveriesPerSecond)} | ` +
            `${fmt(r.latencyMs.p50, 1)} | ${fmt(r.latencyMs.p99, 1)} | ${fmt(r.latencyMs.max, 0)} |`,
        );
      }
    });
    console.log('\n| events/s | p50 canonql/baseline | p99 canonql/baseline | delivered/s canonql/baseline |');
    console.log('|---|---|---|---|');
    RATES.forEach((rate, i) => {
      const c = canonql.runs[i]!;
      const b = baseline.runs[i]!;
      console.log(
        `| ${rate} | ${fmt(c.report.latencyMs.p50 / b.report.latencyMs.p50, 2)} | ${fmt(c.report.latencyMs.p99 / b.report.latencyMs.p99, 2)} | ${fmt(c.deliveriesPerSecond / b.deliveriesPerSecond, 2)} |`,
      );
    });
    console.log(
      `\nmemory of ${SUBSCRIBERS} idle subscriptions: server child process (--expose-gc), process.memoryUsage() after two gc(), ` +
        'before opening them vs after all are live (one warm-up event each) and idle 1.5 s\n',
    );
    console.log('| system | RSS before -> after MiB | heap before -> after MiB | RSS KiB per subscriber | heap KiB per subscriber |');
    console.log('|---|---|---|---|---|');
    for (const [label, result] of [
      ['baseline raw ws broadcast', baseline],
      ['canonql GraphQL endpoint + change feed', canonql],
    ] as const) {
      const m = result.memory;
      console.log(
        `| ${label} | ${fmt(m.before.rss / 2 ** 20, 1)} -> ${fmt(m.after.rss / 2 ** 20, 1)} | ${fmt(m.before.heapUsed / 2 ** 20, 1)} -> ${fmt(m.after.heapUsed / 2 ** 20, 1)} | ` +
          `${fmt(m.rssPerSubscriberBytes / 1024, 1)} | ${fmt(m.heapPerSubscriberBytes / 1024, 1)} |`,
      );
    }
    const file = writeResults('subscription-latency', {
      benchmark: 'subscription-latency',
      at: new Date().toISOString(),
      machine: machine(),
      settings: {
        subscribers: SUBSCRIBERS,
        sockets: SOCKETS,
        rates: RATES,
        secondsPerRate: SECONDS,
        rawPartitions: RAW_PARTITIONS,
        canonqlSubscriberBacklog: SUBSCRIBER_BACKLOG,
        canonqlKeepAliveMs: 0,
        subscription: 'subscription { orderChanged { op key node { order_id } } }',
        latency: 'subscriber receive time - produce time (performance.timeOrigin + performance.now(), same host), 0.1 ms histogram',
        memory:
          'server child process started with --expose-gc; process.memoryUsage() after two gc() calls, before opening the subscriptions and after all of them are open, have received one warm-up event and have been idle 1.5 s; difference divided by their number',
      },
      canonqlIngestionOutcomes: outcomes,
      systems: { canonql, baseline },
    });
    console.log(`\nwrote ${file}`);
  } finally {
    if (ingestion) await ingestion.stop().catch(() => undefined);
    for (const child of children) await child.stop();
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
