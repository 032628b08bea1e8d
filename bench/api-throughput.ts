/**
 * GraphQL API throughput benchmark: canonql's real GraphQL endpoint (Apollo Server 5 behind the
 * endpoint's node:http listener, the schema built from the canonical catalog, per-request dataloaders) against a
 * baseline plain `node:http` handler making the same MongoDB reads and returning JSON, over the
 * same store database, in the same run, alternating rounds.
 *
 *   npm run bench:api -- [--orders 5000] [--concurrency 32] [--seconds 10] [--rounds 2] [--queries order,orders,page,related]
 *
 * The orders are loaded through canonql's real ingestion (Debezium MongoDB-connector creates on a
 * raw topic → src/ingestion → state_order), and as many customers the same way (PostgreSQL
 * connector creates → state_customer), customer n having order n's e-mail. Both servers run in child processes (one each); the
 * HTTP client loop (node:http, keep-alive agent, `concurrency` requests in flight) runs here, on
 * loopback. Queries: `order(id)` with a random id of the loaded orders, `orders(first: 20)`
 * (a page sorted by id plus totalCount, which counts the matching documents) and the same page
 * without totalCount (`page`), and that page with each order's customer through the relation by
 * e-mail (`related`: `customer { email account { name tier } }`, the explorer's opening query's
 * relation; one batched read of the page's customers by e-mail). Each round also reads both servers' CPU time (user + system) before
 * and after, printed as server CPU µs per request; with BENCH_COUNT_COMMANDS=1 the servers count
 * the store commands they send (the driver's command monitoring), printed per request.
 * Results: bench-results/api-throughput.json.
 *
 * Uses the local stack (started if needed) or MONGODB_URI / KAFKA_BROKERS.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { createProgress } from '../infra/stack/progress';
import { stackUp } from '../infra/stack/stack';
import {
  benchKafka,
  config,
  createTopic,
  deleteTopics,
  fmt,
  machine,
  oid,
  customerCreate,
  orderCreate,
  orderIngestion,
  specIngestion,
  percentile,
  startChild,
  totalOutcomes,
  uniqueName,
  waitUntil,
  writeResults,
  type Child,
} from './support/bench-common';
import { readBenchArgs } from './support/bench-args';

const WARMUP_SECONDS = 2;
/**
 * Warm-up goes on (in slices of WARMUP_SECONDS, at most WARMUP_LIMIT_SECONDS) until a system has
 * answered this many requests of the query: a fixed time warmed canonql far less than the raw
 * handler on a loaded machine (fewer requests in it), and its first measured round came out well
 * below its second.
 */
const WARMUP_REQUESTS = 5000;
const WARMUP_LIMIT_SECONDS = 30;

const QUERIES = {
  order: 'query Order($id: ID!) { order(id: $id) { id order_id currency customer { email } line_items { sku } } }',
  orders: 'query Orders { orders(first: 20) { totalCount edges { cursor node { id order_id currency } } pageInfo { hasNextPage endCursor } } }',
  page: 'query Page { orders(first: 20) { edges { cursor node { id order_id currency } } pageInfo { hasNextPage endCursor } } }',
  related:
    'query Related { orders(first: 20) { edges { cursor node { id order_id customer { email account { name tier } } } } pageInfo { hasNextPage endCursor } } }',
} as const;
type QueryName = keyof typeof QUERIES;
const QUERY_LABELS: Record<QueryName, string> = {
  order: '`order(id)` random id',
  orders: '`orders(first: 20)` with totalCount',
  page: '`orders(first: 20)` without totalCount',
  related: '`orders(first: 20)` with each customer (relation by e-mail)',
};
const QUERY_KEYS = Object.keys(QUERIES);
const { values: args } = readBenchArgs({
  command: 'npm run bench:api --',
  options: {
    orders: { type: 'number', default: 5000, help: 'orders ingested before the measurement, and as many customers' },
    concurrency: { type: 'number', default: 32, help: 'requests in flight' },
    seconds: { type: 'number', default: 10, help: 'measured seconds per system and query, per round' },
    rounds: { type: 'number', default: 2, help: 'rounds, alternating which system goes first' },
    queries: { type: 'list', default: QUERY_KEYS, choices: QUERY_KEYS, help: 'the queries measured' },
  },
});
const { orders: ORDERS, concurrency: CONCURRENCY, seconds: SECONDS, rounds: ROUNDS } = args;
const QUERY_NAMES = args.queries as QueryName[];
type SystemName = 'canonql' | 'baseline';

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });

function post(port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bodyOf = (query: QueryName, id = oid(Math.floor(Math.random() * ORDERS))) =>
  query === 'order' ? JSON.stringify({ query: QUERIES.order, variables: { id } }) : JSON.stringify({ query: QUERIES[query] });

interface Run {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
  /** The server process's CPU seconds (user + system) over the run. */
  cpuSeconds: number;
  /** Store commands the server sent over the run (counted when BENCH_COUNT_COMMANDS=1). */
  commands: Record<string, number>;
}

type ServerStats = { cpuSeconds: number; commands: Record<string, number> };

/** `drive`, with the server's CPU time and store commands read before and after. */
async function measure(child: Child, port: number, query: QueryName, seconds: number): Promise<Run> {
  const before = await child.call<ServerStats>({ cmd: 'stats' });
  const run = await drive(port, query, seconds);
  const after = await child.call<ServerStats>({ cmd: 'stats' });
  const commands = Object.fromEntries(
    Object.entries(after.commands)
      .map(([name, n]) => [name, n - (before.commands[name] ?? 0)])
      .filter(([, n]) => n !== 0),
  );
  return { ...run, cpuSeconds: after.cpuSeconds - before.cpuSeconds, commands };
}

/** `CONCURRENCY` request loops against one server for `seconds`; every answer is checked. */
async function drive(port: number, query: QueryName, seconds: number): Promise<Omit<Run, 'cpuSeconds' | 'commands'>> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const body = bodyOf(query);
        const t0 = performance.now();
        try {
          const { status, text } = await post(port, body);
          const t1 = performance.now();
          const parsed = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown };
          if (status !== 200 || parsed.errors || !parsed.data?.[query === 'order' ? 'order' : 'orders']) errors += 1;
          else latenciesMs.push(t1 - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { requests: latenciesMs.length, errors, seconds: (performance.now() - started) / 1000, latenciesMs };
}

function summarize(runs: Run[]) {
  const all = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const answered = requests + runs.reduce((n, r) => n + r.errors, 0);
  const commands: Record<string, number> = {};
  for (const run of runs) for (const [name, n] of Object.entries(run.commands)) commands[name] = (commands[name] ?? 0) + n;
  return {
    /** Server CPU per answered request, µs. */
    cpuMicrosPerRequest: (runs.reduce((n, r) => n + r.cpuSeconds, 0) * 1e6) / answered,
    /** Store commands per answered request, by command name (empty unless counted). */
    commandsPerRequest: Object.fromEntries(Object.entries(commands).map(([name, n]) => [name, Math.round((n / answered) * 1000) / 1000])),
    requests,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    seconds,
    requestsPerSecond: requests / seconds,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    maxMs: all.at(-1) ?? NaN,
  };
}

/** Loads ORDERS orders and as many customers through canonql's real ingestion into `db`; returns the topics it made. */
async function loadOrders(mongo: MongoClient, dbName: string) {
  const kafka = benchKafka();
  const topics: string[] = [];
  for (const [subject, spec, create] of [
    ['order', 'order.json', (n: number) => orderCreate(n, `o-${n}`, 1_700_000_000_000 + n)],
    ['customer', 'customer.json', (n: number) => customerCreate(n, 1_700_000_000_000 + n)],
  ] as const) {
    const topic = uniqueName(`bench.raw.${subject}`);
    const topicPrefix = `${uniqueName('bench.canonical')}.`;
    const deadLetterTopic = uniqueName('bench.dlq');
    topics.push(topic, `${topicPrefix}${subject}`, deadLetterTopic);
    await createTopic(kafka, topic, 4);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = Array.from({ length: ORDERS }, (_, n) => create(n));
    for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
    await producer.disconnect();
    const options = { kafka, db: mongo.db(dbName), topic, topicPrefix, deadLetterTopic };
    const ingestion = subject === 'order' ? orderIngestion(options) : specIngestion(spec, options);
    const started = Date.now();
    await ingestion.start();
    const state = mongo.db(dbName).collection(`state_${subject}`);
    try {
      // Counted in the store, not by outcomes: on a loaded machine a batch whose offset commit lost
      // its group session is consumed again, and its changes then count as duplicates.
      await waitUntil(
        `${ORDERS} ${subject}s in the store`,
        async () => totalOutcomes(ingestion) >= ORDERS && (await state.countDocuments()) === ORDERS,
        180_000,
        250,
      );
    } finally {
      await ingestion.stop();
    }
    const outcomes = { ...ingestion.stats.outcomes };
    const stored = await state.countDocuments();
    if (stored !== ORDERS) throw new Error(`expected ${ORDERS} ${subject}s in the store, got ${stored} (${JSON.stringify(outcomes)})`);
    console.log(`loaded ${stored} ${subject}s through canonql ingestion in ${((Date.now() - started) / 1000).toFixed(1)} s (${JSON.stringify(outcomes)})`);
  }
  return { kafka, topics };
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const dbName = uniqueName('bench_api');
  const children: Child[] = [];
  let cleanupTopics: (() => Promise<void>) | null = null;
  try {
    const loaded = await loadOrders(mongo, dbName);
    cleanupTopics = () => deleteTopics(loaded.kafka, loaded.topics);

    const env = { BENCH_DB: dbName, NODE_ENV: 'production' };
    const canonqlChild = startChild('server-process.ts', { ...env, BENCH_SERVER: 'canonql-http' });
    children.push(canonqlChild);
    const baselineChild = startChild('server-process.ts', { ...env, BENCH_SERVER: 'baseline-http' });
    children.push(baselineChild);
    const childOf: Record<SystemName, Child> = { canonql: canonqlChild, baseline: baselineChild };
    const ports: Record<SystemName, number> = {
      canonql: (await canonqlChild.next<{ port: number }>('ready')).port,
      baseline: (await baselineChild.next<{ port: number }>('ready')).port,
    };

    // Both servers must answer the same data for the same request, or the comparison means nothing.
    for (const query of QUERY_NAMES) {
      const body = bodyOf(query, oid(7));
      const [a, b] = await Promise.all([post(ports.canonql, body), post(ports.baseline, body)]);
      if (JSON.stringify(JSON.parse(a.text)) !== JSON.stringify(JSON.parse(b.text)))
        throw new Error(`canonql and baseline answer ${query} differently:\n${a.text}\n${b.text}`);
    }
    console.log(
      `canonql (Apollo Server 5, child pid ${canonqlChild.process.pid}) and baseline (node:http, child pid ${baselineChild.process.pid}) answer identically; ` +
        `driving each with ${CONCURRENCY} requests in flight (keep-alive), ${SECONDS} s per run, ${ROUNDS} rounds`,
    );

    for (const query of QUERY_NAMES) {
      for (const system of ['canonql', 'baseline'] as const) {
        let answered = 0;
        for (let slice = 0; answered < WARMUP_REQUESTS && slice * WARMUP_SECONDS < WARMUP_LIMIT_SECONDS; slice += 1) {
          answered += (await drive(ports[system], query, WARMUP_SECONDS)).requests;
        }
        console.log(`warm-up ${query} ${system}: ${answered} requests`);
      }
    }

    const runs = Object.fromEntries(QUERY_NAMES.map((q) => [q, { canonql: [], baseline: [] }])) as unknown as Record<QueryName, Record<SystemName, Run[]>>;
    const rounds: {
      round: number;
      query: QueryName;
      system: SystemName;
      requestsPerSecond: number;
      p50Ms: number;
      p99Ms: number;
      errors: number;
      cpuMicrosPerRequest: number;
      commandsPerRequest: Record<string, number>;
    }[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Alternate which system goes first, so drift (store caches, JIT, GC) favours neither.
      const order: SystemName[] = round % 2 === 1 ? ['canonql', 'baseline'] : ['baseline', 'canonql'];
      for (const query of QUERY_NAMES) {
        for (const system of order) {
          const run = await measure(childOf[system], ports[system], query, SECONDS);
          runs[query][system].push(run);
          const s = summarize([run]);
          const { requestsPerSecond, p50Ms, p99Ms, errors, cpuMicrosPerRequest, commandsPerRequest } = s;
          rounds.push({ round, query, system, requestsPerSecond, p50Ms, p99Ms, errors, cpuMicrosPerRequest, commandsPerRequest });
          const counted = Object.keys(commandsPerRequest).length > 0 ? `  store commands/request ${JSON.stringify(commandsPerRequest)}` : '';
          console.log(
            `round ${round} ${query.padEnd(6)} ${system.padEnd(8)} ${fmt(requestsPerSecond).padStart(6)} req/s  p50 ${fmt(p50Ms, 2)} ms  p99 ${fmt(p99Ms, 2)} ms  errors ${errors}  server CPU ${fmt(cpuMicrosPerRequest)} µs/request${counted}`,
          );
        }
      }
    }

    const results: Record<string, unknown> = {
      benchmark: 'api-throughput',
      at: new Date().toISOString(),
      machine: machine(),
      settings: {
        orders: ORDERS,
        concurrency: CONCURRENCY,
        secondsPerRun: SECONDS,
        rounds: ROUNDS,
        warmup: `per query and system, slices of ${WARMUP_SECONDS} s until ${WARMUP_REQUESTS} requests were answered (at most ${WARMUP_LIMIT_SECONDS} s)`,
        client: 'node:http keep-alive agent, loopback',
        nodeEnv: 'production',
      },
      queries: QUERIES,
      rounds,
      summary: {} as Record<string, unknown>,
    };
    console.log(`\n${ORDERS} orders, ${CONCURRENCY} in flight, ${ROUNDS} rounds x ${SECONDS} s per system and query (all rounds pooled)\n`);
    console.log('| query | system | requests/s | p50 ms | p99 ms | errors | server CPU µs/request |');
    console.log('|---|---|---|---|---|---|---|');
    const ratios: string[] = [];
    for (const query of QUERY_NAMES) {
      const label = QUERY_LABELS[query];
      const c = summarize(runs[query].canonql);
      const b = summarize(runs[query].baseline);
      console.log(
        `| ${label} | baseline: node:http + same MongoDB reads | ${fmt(b.requestsPerSecond)} | ${fmt(b.p50Ms, 2)} | ${fmt(b.p99Ms, 2)} | ${b.errors} | ${fmt(b.cpuMicrosPerRequest)} |`,
      );
      console.log(
        `| ${label} | canonql GraphQL (Apollo Server 5) | ${fmt(c.requestsPerSecond)} | ${fmt(c.p50Ms, 2)} | ${fmt(c.p99Ms, 2)} | ${c.errors} | ${fmt(c.cpuMicrosPerRequest)} |`,
      );
      const throughputRatio = c.requestsPerSecond / b.requestsPerSecond;
      const p99Ratio = c.p99Ms / b.p99Ms;
      const p50Ratio = c.p50Ms / b.p50Ms;
      ratios.push(`| ${label} | ${fmt(throughputRatio, 2)} | ${fmt(p50Ratio, 2)} | ${fmt(p99Ratio, 2)} |`);
      (results.summary as Record<string, unknown>)[query] = {
        canonql: c,
        baseline: b,
        throughputRatio,
        p50Ratio,
        p99Ratio,
      };
    }
    // The targets and their verdicts are in `npm run bench`'s summary (bench/run.ts), read from the median of its runs.
    console.log('\n| query | throughput canonql/baseline | p50 canonql/baseline | p99 canonql/baseline |');
    console.log('|---|---|---|---|');
    for (const line of ratios) console.log(line);
    console.log(`\nwrote ${writeResults('api-throughput', results)}`);
  } finally {
    for (const child of children) await child.stop();
    agent.destroy();
    await mongo
      .db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
    await cleanupTopics?.();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
