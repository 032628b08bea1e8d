/**
 * End-to-end latency from a PostgreSQL commit to a GraphQL subscriber: a row UPDATE committed in
 * the source database → Debezium PostgreSQL connector (the stack's Kafka Connect worker) → raw
 * topic → canonql ingestion (seed customer spec) → canonical topic → change feed → graphql-ws
 * `customerChanged` → subscriber.
 *
 *   npm run bench:e2e -- [--rate 20] [--seconds 10] [--subscribers 10] [--rows 50]
 *
 * Each update writes its own send time into the row (`name = o-<epoch ms>-<n>`, stamped just
 * before the autocommitted UPDATE is sent); the subscriber subtracts it from its receive time on
 * the same clock (bench/support/subscriber-process.ts). There is no baseline system here: the
 * floor is Debezium's own hop, so the same run also times commit → raw Debezium record on Kafka
 * (a kafkajs consumer of the raw topic), and the figure is canonql's added latency over it.
 * Processes: ingestion and the raw-topic consumer here, the API (GraphQL endpoint + change feed)
 * and the subscribers in child processes. Results: bench-results/e2e-latency.json.
 */
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { Client as PgClient } from 'pg';
import { createProgress } from '../infra/stack/progress';
import { stackUp } from '../infra/stack/stack';
import { createConnectClient, postgresConnectorConfig } from '../src/infra/connect-client';
import type { Ingestion } from '../src/ingestion/ingestion-service';
import {
  benchKafka,
  config,
  deleteTopics,
  fmt,
  machine,
  percentile,
  sleep,
  specIngestion,
  startChild,
  totalOutcomes,
  uniqueName,
  waitUntil,
  writeResults,
  type Child,
} from './support/bench-common';
import { readBenchArgs } from './support/bench-args';

const { values: args } = readBenchArgs({
  command: 'npm run bench:e2e --',
  options: {
    rate: { type: 'number', default: 20, help: 'source commits per second' },
    seconds: { type: 'number', default: 10, help: 'measured seconds' },
    subscribers: { type: 'number', default: 10, help: 'graphql-ws subscribers of customerChanged' },
    rows: { type: 'number', default: 50, help: 'source rows the updates cycle through' },
  },
});
const { rate: RATE, seconds: SECONDS, subscribers: SUBSCRIBERS, rows: ROWS } = args;

const stampNow = () => performance.timeOrigin + performance.now();

interface Report {
  measured: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const kafka = benchKafka('canonql-bench-e2e');
  const pg = new PgClient({ connectionString: config.sourcePostgresUrl });
  await pg.connect();
  const connect = createConnectClient(config.connectUrl);
  const table = uniqueName('bench_customers');
  const name = uniqueName('dbz_bench');
  const dbName = uniqueName('bench_e2e');
  const topicPrefix = `${uniqueName('bench.canonical')}.`;
  const deadLetterTopic = uniqueName('bench.dlq');
  const rawTopic = `${name}.public.${table}`;
  const children: Child[] = [];
  let ingestion: Ingestion | null = null;
  const rawConsumer = kafka.consumer({ groupId: uniqueName('bench-e2e-raw'), maxWaitTimeInMs: 50 });
  try {
    await pg.query(`CREATE TABLE public.${table} (id serial PRIMARY KEY, email text, name text, balance numeric(12,2), tier text,
      created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now())`);
    await pg.query(`ALTER TABLE public.${table} REPLICA IDENTITY FULL`);
    await pg.query(
      `INSERT INTO public.${table} (id, email, name, tier, balance) SELECT g, 'c' || g || '@bench.io', 'w-0-0', 'gold', 0 FROM generate_series(1, ${ROWS}) g`,
    );
    await connect.createConnector(
      name,
      postgresConnectorConfig({
        url: config.sourcePostgresUrl,
        topicPrefix: name,
        tables: [`public.${table}`],
        slotName: name,
        publicationName: `pub_${name}`,
      }),
    );
    await waitUntil(
      `connector ${name} running`,
      async () => {
        const s = await connect.status(name);
        const failed = s?.tasks.find((t) => t.state === 'FAILED');
        if (failed) throw new Error(`Debezium task failed: ${failed.trace}`);
        return Boolean(s && s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING'));
      },
      90_000,
      200,
    );
    // The snapshot of the seeded rows creates the raw topic.
    await waitUntil(
      'the raw topic',
      async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          return (await admin.listTopics()).includes(rawTopic);
        } finally {
          await admin.disconnect();
        }
      },
      90_000,
      250,
    );

    const running = specIngestion('customer.json', { kafka, db: mongo.db(dbName), topic: rawTopic, topicPrefix, deadLetterTopic });
    ingestion = running;
    await running.start();
    await waitUntil('the snapshot to be ingested', () => totalOutcomes(running) >= ROWS, 120_000);

    // Commit → raw Debezium record, on the same clock: Debezium's own share of the latency.
    const rawLatencies: number[] = [];
    await rawConsumer.connect();
    await rawConsumer.subscribe({ topic: rawTopic, fromBeginning: false });
    await rawConsumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        const at = stampNow();
        const value = JSON.parse(message.value.toString()) as { payload?: { after?: { name?: string } }; after?: { name?: string } };
        const stamp = (value.payload ?? value).after?.name ?? '';
        if (stamp.startsWith('o-')) rawLatencies.push(at - Number(stamp.slice(2, stamp.indexOf('-', 2))));
      },
    });

    const api = startChild('server-process.ts', { BENCH_SERVER: 'canonql-subs', BENCH_DB: dbName, BENCH_TOPIC_PREFIX: topicPrefix, NODE_ENV: 'production' });
    children.push(api);
    const port = (await api.next<{ port: number }>('ready')).port;
    const subscribers = startChild('subscriber-process.ts', {
      BENCH_WS_URL: `ws://127.0.0.1:${port}/graphql`,
      BENCH_SOCKETS: '1',
      BENCH_SUBSCRIPTIONS: String(SUBSCRIBERS),
      BENCH_SUBSCRIPTION_FIELD: 'customerChanged',
      BENCH_STAMP_FIELD: 'name',
    });
    children.push(subscribers);
    await subscribers.next('ready');
    await subscribers.call({ cmd: 'open' });
    let n = 0;
    await waitUntil(
      'every subscription to receive a warm-up change',
      async () => {
        n += 1;
        await pg.query(`UPDATE public.${table} SET name = $1 WHERE id = 1`, [`w-${stampNow().toFixed(3)}-${n}`]);
        return (await subscribers.call<{ warmed: number }>({ cmd: 'warm' })).warmed >= SUBSCRIBERS;
      },
      90_000,
      300,
    );
    await sleep(1000);
    await subscribers.call({ cmd: 'reset' });
    rawLatencies.length = 0;

    const total = Math.round(RATE * SECONDS);
    const started = performance.now();
    for (let i = 0; i < total; i += 1) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      n += 1;
      await pg.query(`UPDATE public.${table} SET name = $1, balance = balance + 1 WHERE id = $2`, [`o-${stampNow().toFixed(3)}-${n}`, 1 + (i % ROWS)]);
    }
    await waitUntil(
      'every update to reach every subscriber',
      async () => (await subscribers.call<{ measured: number }>({ cmd: 'count' })).measured >= total * SUBSCRIBERS,
      60_000,
      100,
    ).catch(() => undefined);
    const report = await subscribers.call<Report>({ cmd: 'report' });
    const raw = [...rawLatencies].sort((a, b) => a - b);
    const rawStats = { measured: raw.length, p50: percentile(raw, 50), p99: percentile(raw, 99), max: raw.at(-1) ?? NaN };

    console.log(`\n${total} autocommitted UPDATEs at ${RATE}/s over ${ROWS} rows, ${SUBSCRIBERS} subscribers (customerChanged over graphql-ws)\n`);
    console.log('| hop | measured | p50 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|');
    console.log(
      `| commit → raw Debezium record on Kafka (kafkajs consumer) | ${rawStats.measured} | ${fmt(rawStats.p50, 1)} | ${fmt(rawStats.p99, 1)} | ${fmt(rawStats.max, 0)} |`,
    );
    console.log(
      `| commit → canonql subscriber (ingestion → canonical topic → change feed → graphql-ws) | ${report.measured} / ${total * SUBSCRIBERS} | ` +
        `${fmt(report.latencyMs.p50, 1)} | ${fmt(report.latencyMs.p99, 1)} | ${fmt(report.latencyMs.max, 0)} |`,
    );
    console.log(
      `\ncanonql's share: p50 +${fmt(report.latencyMs.p50 - rawStats.p50, 1)} ms, p99 +${fmt(report.latencyMs.p99 - rawStats.p99, 1)} ms over Debezium's hop`,
    );
    const file = writeResults('e2e-latency', {
      benchmark: 'e2e-latency',
      at: new Date().toISOString(),
      machine: machine(),
      settings: {
        rate: RATE,
        seconds: SECONDS,
        subscribers: SUBSCRIBERS,
        rows: ROWS,
        debeziumPollIntervalMs: 50,
        stamp: 'epoch ms taken just before the autocommitted UPDATE is sent',
      },
      debeziumHop: rawStats,
      endToEnd: report,
      expected: total * SUBSCRIBERS,
    });
    console.log(`\nwrote ${file}`);
  } finally {
    await rawConsumer.disconnect().catch(() => undefined);
    for (const child of children.reverse()) await child.stop();
    if (ingestion) await ingestion.stop().catch(() => undefined);
    await connect.deleteConnector(name).catch(() => undefined);
    // The slot stays active for a moment after the connector task stops.
    await waitUntil(
      `slot ${name} released`,
      async () => {
        const r = await pg.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name]);
        if (r.rowCount === 0) return true;
        if (r.rows[0].active) return false;
        await pg.query('SELECT pg_drop_replication_slot($1)', [name]);
        return true;
      },
      30_000,
      250,
    ).catch(() => undefined);
    await pg.query(`DROP PUBLICATION IF EXISTS "pub_${name}"`).catch(() => undefined);
    await pg.query(`DROP TABLE IF EXISTS public.${table}`).catch(() => undefined);
    await pg.end();
    await mongo
      .db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    await deleteTopics(kafka, [rawTopic, `${topicPrefix}customer`, deadLetterTopic]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
