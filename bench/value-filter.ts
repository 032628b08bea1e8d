/**
 * Value-filter benchmark: a list query with a Decimal range filter and a sort by that Decimal
 * (run by the store on the order keys, state/order-keys.ts) beside today's `orders(first: 20)`,
 * through canonql's real GraphQL endpoint (Apollo Server 5) on the same store.
 *
 *   npm run bench:values -- [--entities 5000] [--requests 300] [--runs 3] [--classes DIR] [--label NAME]
 *
 * 5,000 orders and 5,000 customers (the seed schemas; the order schema has no Decimal field, so
 * the Decimal range runs on `customer.balance`, mixed signs and magnitudes, two places) are written
 * through the entity store, which writes the order keys, and each subject gets its order-key
 * indexes as the API creates them (ensureOrderKeyIndexes). Each query is sent `requests` times in a
 * row (one in flight) per run after a warm-up; a run's figure is its median latency and its
 * requests per second; the result is the median of the runs, with every run shown.
 * Results: bench-results/value-filter.json.
 *
 * `--classes DIR`: run on a store of its own (bench/support/own-store.ts) started from the local
 * store's launcher compiled into DIR (`javac -cp '<cache>/mongo-java-server-<version>/libs/*' -d DIR
 * infra/java/*.java`), instead of the stack's: a launcher change measured before the stack runs it,
 * or an earlier launcher (the stack's cached classes) for the figures before a change.
 *
 * canonql's GraphQL endpoint runs in this process, with NODE_ENV=production as deployed
 * (support/as-deployed.ts, imported first).
 */
import './support/as-deployed';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { loadCanonicalSchemas } from '../src/catalog/canonical-schemas';
import { modelObject } from '../src/catalog/field-model';
import { createSubjectCatalog } from '../src/catalog/subject-catalog';
import { createEventLog } from '../src/events/event-log';
import { createAccessPolicy } from '../src/graphql/access';
import { buildApiSchema } from '../src/graphql/build-api-schema';
import { mountGraphqlEndpoint } from '../src/graphql/graphql-endpoint';
import { orderKeyIndexFields } from '../src/graphql/subject/list-query';
import { SchemaGateway } from '../src/graphql/schema-gateway';
import { createEntityStore, type StoredEntity } from '../src/state/entity-store';
import { stackUp } from '../infra/stack/stack';
import { createProgress } from '../infra/stack/progress';
import { ROOT, config, fmt, machine, percentile, uniqueName, writeResults } from './support/bench-common';
import { readBenchArgs } from './support/bench-args';
import { startOwnStore } from './support/own-store';

const { values: args } = readBenchArgs({
  command: 'npm run bench:values --',
  options: {
    entities: { type: 'number', default: 5000, help: 'entities stored' },
    requests: { type: 'number', default: 300, help: 'requests timed per query' },
    runs: { type: 'number', default: 3, help: 'runs' },
    classes: { type: 'string', placeholder: 'DIR', help: "run on a store of its own started from the launcher classes in DIR (default: the stack's store)" },
    label: { type: 'string', placeholder: 'NAME', help: 'write bench-results/value-filter-NAME.json (e.g. before)' },
  },
});
const { entities: ENTITIES, requests: REQUESTS, runs: RUNS } = args;
const CLASSES = args.classes ?? '';
const LABEL = args.label ?? '';

const QUERIES = {
  orders: '{ orders(first: 20) { totalCount edges { cursor node { id order_id currency } } pageInfo { hasNextPage endCursor } } }',
  decimalRange:
    '{ customers(where: { balance: { gte: "-250.00", lt: "2500.00" } }, orderBy: { field: balance, direction: DESC }, first: 20) { totalCount edges { cursor node { id customerId balance } } pageInfo { hasNextPage endCursor } } }',
} as const;
type QueryName = keyof typeof QUERIES;

function meta(i: number): StoredEntity['_meta'] {
  const at = new Date(1_709_287_200_000 + i * 1000);
  return {
    version: 1,
    positions: { bench: String(i) },
    position: String(i),
    specId: 'bench',
    specVersion: 1,
    sourceTsMs: at.getTime(),
    createdAt: at,
    updatedAt: at,
    deleted: false,
    lastEventId: `bench-${i}`,
  };
}

async function main(): Promise<void> {
  const own = CLASSES ? await startOwnStore(path.resolve(CLASSES)) : null;
  if (!own && config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(own ? own.uri : config.mongo.uri);
  await mongo.connect();
  const db = mongo.db(uniqueName('bench_values'));
  const agent = new http.Agent({ keepAlive: true });
  let server: http.Server | null = null;
  try {
    const store = createEntityStore(db);
    const orders: StoredEntity[] = [];
    const customers: StoredEntity[] = [];
    for (let i = 0; i < ENTITIES; i += 1) {
      const id = i.toString(16).padStart(24, '0');
      orders.push({
        _id: id,
        data: {
          order_id: `o-${i}`,
          currency: 'EUR',
          created_by: 'bench',
          region: ['eu-west', 'us-east'][i % 2],
          created_at: meta(i).createdAt.toISOString(),
          customer: { email: `c${i % 500}@example.com` },
          line_items: [],
        },
        _meta: meta(i),
      });
      // Balances of mixed sign and magnitude, two places: "-1234.56" … "98765.43".
      const cents = ((i * 7919) % 10_000_000) - 200_000;
      const balance = `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;
      customers.push({ _id: `c${i}`, data: { customerId: String(i), name: `n${i}`, tier: 'GOLD', balance }, _meta: meta(i) });
    }
    for (const [subject, list] of [
      ['order', orders],
      ['customer', customers],
    ] as const) {
      for (let i = 0; i < list.length; i += 500)
        await store.writeMany(
          subject,
          list.slice(i, i + 500).map((next) => ({ key: next._id, expectedVersion: null, next })),
        );
    }
    const catalog = createSubjectCatalog(loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical')).values());
    for (const { subject, schema } of catalog.list()) {
      await store.ensureIndexes(subject);
      await store.ensureOrderKeyIndexes(subject, orderKeyIndexFields(modelObject(schema)));
    }
    const app = express();
    server = http.createServer(app);
    await mountGraphqlEndpoint({
      app,
      httpServer: server,
      path: '/graphql',
      gateway: new SchemaGateway(buildApiSchema(catalog.list())),
      logger: pino({ level: 'silent' }),
      services: { catalog, db, store, eventLog: createEventLog(db), maxPageSize: 100, access: createAccessPolicy([]) },
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const post = (query: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ query }));
      });

    // The answers must be right, or their speed means nothing.
    const range = JSON.parse(await post(QUERIES.decimalRange)) as { data: { customers: { totalCount: number; edges: { node: { balance: string } }[] } } };
    const inRange = customers
      .map((c) => Number(c.data.balance))
      .filter((b) => b >= -250 && b < 2500)
      .sort((a, b) => b - a);
    if (
      range.data.customers.totalCount !== inRange.length ||
      range.data.customers.edges.map((e) => Number(e.node.balance)).join() !== inRange.slice(0, 20).join()
    ) {
      throw new Error(`the Decimal range answer is wrong: ${JSON.stringify(range).slice(0, 500)}`);
    }
    console.log(
      `${ENTITIES} orders and ${ENTITIES} customers; Decimal range matches ${inRange.length} customers; ${RUNS} runs x ${REQUESTS} sequential requests per query`,
    );

    const runs: Record<QueryName, { p50Ms: number; p99Ms: number; requestsPerSecond: number }[]> = { orders: [], decimalRange: [] };
    for (const name of Object.keys(QUERIES) as QueryName[]) for (let i = 0; i < 50; i += 1) await post(QUERIES[name]);
    for (let run = 1; run <= RUNS; run += 1) {
      for (const name of (run % 2 === 1 ? ['orders', 'decimalRange'] : ['decimalRange', 'orders']) as QueryName[]) {
        const samples: number[] = [];
        const started = process.hrtime.bigint();
        for (let i = 0; i < REQUESTS; i += 1) {
          const t = process.hrtime.bigint();
          await post(QUERIES[name]);
          samples.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        samples.sort((a, b) => a - b);
        const figures = { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), requestsPerSecond: REQUESTS / seconds };
        runs[name].push(figures);
        console.log(`run ${run} ${name.padEnd(12)} p50 ${fmt(figures.p50Ms, 2)} ms  p99 ${fmt(figures.p99Ms, 2)} ms  ${fmt(figures.requestsPerSecond)} req/s`);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const summary = Object.fromEntries(
      (Object.keys(QUERIES) as QueryName[]).map((name) => [
        name,
        {
          medianP50Ms: median(runs[name].map((r) => r.p50Ms)),
          medianRequestsPerSecond: median(runs[name].map((r) => r.requestsPerSecond)),
          runs: runs[name],
        },
      ]),
    );
    const ratio = summary.decimalRange!.medianP50Ms / summary.orders!.medianP50Ms;
    console.log('\n| query | p50 ms (median of runs) | runs p50 ms | req/s (median) |');
    console.log('|---|---|---|---|');
    for (const name of Object.keys(QUERIES) as QueryName[]) {
      const s = summary[name]!;
      console.log(
        `| ${name === 'orders' ? '`orders(first: 20)`' : '`customers(where: balance gte/lt, orderBy: balance DESC, first: 20)`'} | ${fmt(s.medianP50Ms, 2)} | ${s.runs.map((r) => fmt(r.p50Ms, 2)).join(', ')} | ${fmt(s.medianRequestsPerSecond)} |`,
      );
    }
    console.log(`\nDecimal range + sort / orders(first: 20), p50: ${fmt(ratio, 2)}x`);
    console.log(
      `wrote ${writeResults(LABEL ? `value-filter-${LABEL}` : 'value-filter', { benchmark: 'value-filter', at: new Date().toISOString(), machine: machine(), settings: { entities: ENTITIES, requests: REQUESTS, runs: RUNS, store: own ? `own store, launcher classes ${path.resolve(CLASSES)}` : "the stack's" }, queries: QUERIES, summary, ratio })}`,
    );
  } finally {
    agent.destroy();
    if (server) await new Promise((resolve) => server!.close(() => resolve(undefined)));
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
    await own?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
