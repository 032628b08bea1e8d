/**
 * A server under benchmark, run as a child process of a benchmark (started by `startChild`, with
 * --expose-gc), chosen by BENCH_SERVER:
 *
 * - `canonql-http`: canonql's real GraphQL endpoint (src/graphql: schema gateway, Apollo Server 5,
 *   per-request dataloaders) over the benchmark database, as src/app.ts mounts it for the api role.
 * - `canonql-subs`: the same endpoint plus the real change feed (src/subscriptions) following the
 *   benchmark's canonical topics, serving `orderChanged` over graphql-ws.
 * - `baseline-http`: a plain node:http handler doing the same MongoDB reads and returning JSON.
 * - `baseline-ws`: a raw websocket broadcast server speaking just enough of the graphql-ws wire
 *   protocol (ack, subscribe, complete, ping) for the same client, fed by a kafkajs consumer of the
 *   raw Debezium topic (JSON.parse, one `next` frame per subscription, no GraphQL).
 *
 * Settings come from BENCH_* variables; the parent drives it over IPC (`memory`, `stats`, `stop`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { Consumer } from 'kafkajs';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadCanonicalSchemas } from '../../src/catalog/canonical-schemas';
import { createSubjectCatalog } from '../../src/catalog/subject-catalog';
import { createEventLog } from '../../src/events/event-log';
import { createAccessPolicy } from '../../src/graphql/access';
import { buildApiSchema } from '../../src/graphql/build-api-schema';
import { mountGraphqlEndpoint } from '../../src/graphql/graphql-endpoint';
import { SchemaGateway } from '../../src/graphql/schema-gateway';
import { ensureSubjectIndexes } from '../../src/graphql/subject/subject-indexes';
import { subscriptionFields } from '../../src/graphql/subscription-fields';
import { createKafka } from '../../src/infra/kafka';
import { connectMongo } from '../../src/infra/mongo';
import { createEntityStore, stateCollectionName, type StoredEntity } from '../../src/state/entity-store';
import { createChangeFeed, type ChangeFeed } from '../../src/subscriptions/change-feed';
import { ROOT, config, cpuSeconds, memoryAfterGc, serveCommands } from './bench-common';

const mode = process.env.BENCH_SERVER ?? '';
const database = process.env.BENCH_DB ?? '';
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });

async function main() {
  // Store commands this process sends, by name: the driver's command monitoring, on with BENCH_COUNT_COMMANDS=1.
  const countCommands = process.env.BENCH_COUNT_COMMANDS === '1';
  const uri = new URL(config.mongo.uri);
  if (countCommands) uri.searchParams.set('monitorCommands', 'true');
  const mongo = await connectMongo({ uri: uri.toString(), database });
  const commands: Record<string, number> = {};
  if (countCommands) {
    mongo.client.on('commandStarted', (event) => {
      commands[event.commandName] = (commands[event.commandName] ?? 0) + 1;
    });
  }
  const server = http.createServer();
  const closers: (() => Promise<unknown>)[] = [];
  let stats: () => Record<string, unknown> = () => ({});

  if (mode === 'canonql-http' || mode === 'canonql-subs') {
    const catalog = createSubjectCatalog(loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical')).values());
    let feed: ChangeFeed | null = null;
    if (mode === 'canonql-subs') {
      const kafka = createKafka({ ...config.kafka, clientId: 'canonql-bench-api' }, logger);
      feed = createChangeFeed({
        kafka,
        db: mongo.db,
        topicPrefix: process.env.BENCH_TOPIC_PREFIX!,
        logger,
        maxBufferedPerSubscriber: config.api.limits.maxSubscriberBacklog,
      });
      await feed.start();
      for (const { subject } of catalog.list()) await feed.addSubject(subject);
      const running = feed;
      stats = () => ({ ...running.stats() });
    }
    const gateway = new SchemaGateway(buildApiSchema(catalog.list(), feed ? subscriptionFields(feed) : undefined));
    const store = createEntityStore(mongo.db);
    // The indexes the API makes at start (app.ts), made before this server says it is ready.
    await ensureSubjectIndexes(store, catalog.list(), logger);
    const app = express();
    app.disable('x-powered-by');
    server.on('request', app);
    const endpoint = await mountGraphqlEndpoint({
      app,
      httpServer: server,
      path: '/graphql',
      gateway,
      services: {
        catalog,
        db: mongo.db,
        store,
        eventLog: createEventLog(mongo.db),
        maxPageSize: 100,
        access: createAccessPolicy([]),
      },
      // The service's own limits for this mode (rate limit off outside production), except that the
      // subscription benchmark multiplexes 1,000 subscriptions over a few sockets.
      limits: { ...config.api.limits, maxSubscriptionsPerConnection: Math.max(config.api.limits.maxSubscriptionsPerConnection, 10_000) },
      logger,
    });
    closers.push(() => endpoint.stop());
    if (feed) closers.push(() => feed.stop());
    const feedStats = stats;
    // Read defensively: the endpoint may or may not share executions between identical subscriptions.
    const shared = (endpoint as { subscriptions?: { executions?: number; started?: number } }).subscriptions;
    stats = () => ({ feed: feedStats(), sharedExecutions: shared ? { running: shared.executions, started: shared.started } : 'n/a' });
  } else if (mode === 'baseline-http') {
    server.on(
      'request',
      baselineHttp(mongo.db.collection<StoredEntity>(stateCollectionName('order')), mongo.db.collection<StoredEntity>(stateCollectionName('customer'))),
    );
  } else if (mode === 'baseline-ws') {
    const broadcast = await baselineWs(server);
    stats = broadcast.stats;
    closers.push(broadcast.stop);
  } else {
    throw new Error(`unknown BENCH_SERVER "${mode}"`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  serveCommands(
    {
      memory: () => ({ memory: memoryAfterGc() }),
      stats: () => ({ stats: stats(), cpuSeconds: cpuSeconds(), commands: { ...commands } }),
    },
    async () => {
      for (const close of closers) await close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      await mongo.close();
    },
  );
  process.send!({ type: 'ready', port, pid: process.pid });
}

/**
 * What canonql's `order(id) { id order_id currency customer { email } line_items { sku } }` reads
 * of the stored order: the fields shown, and whether it is deleted (graphql/subject/page-projection.ts).
 */
const ORDER_PROJECTION = { _id: 1, 'data.order_id': 1, 'data.currency': 1, 'data.customer': 1, 'data.line_items': 1, '_meta.deleted': 1, '_meta.purged': 1 };

/** What canonql's `orders(first: 20) { … node { id order_id currency } … }` reads of each stored order. */
const PAGE_PROJECTION = { _id: 1, 'data.order_id': 1, 'data.currency': 1 };

/** What its `… node { id order_id customer { email account { name tier } } } …` reads of each order, and of each customer (and the e-mail it is matched by). */
const RELATED_PROJECTION = { _id: 1, 'data.order_id': 1, 'data.customer': 1 };
const CUSTOMER_PROJECTION = { _id: 1, 'data.name': 1, 'data.tier': 1, 'data.email': 1 };

/** The same reads canonql's resolvers make, without GraphQL: JSON in, JSON out. */
function baselineHttp(orders: import('mongodb').Collection<StoredEntity>, customers: import('mongodb').Collection<StoredEntity>): http.RequestListener {
  const toOrder = (doc: StoredEntity) => ({
    id: doc._id,
    order_id: doc.data.order_id ?? null,
    currency: doc.data.currency ?? null,
    customer: doc.data.customer ?? null,
    line_items: doc.data.line_items ?? null,
  });
  // canonql's list cursor for the default order (by id): sort field, direction, no sort value, the id.
  const cursor = (id: string) => Buffer.from(JSON.stringify({ s: 'id', d: 1, v: null, i: id })).toString('base64url');
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: { id?: string } };
        let data: unknown;
        const id = body.variables?.id;
        if (id !== undefined) {
          const doc = await orders.findOne({ _id: id }, { projection: ORDER_PROJECTION });
          data = { order: doc && !doc._meta.deleted ? toOrder(doc) : null };
        } else if (body.query.includes('account')) {
          // The page, then one read of its customers by e-mail (the relation's batch), joined here.
          const rows = await orders.find({ '_meta.deleted': false }, { projection: RELATED_PROJECTION }).sort({ _id: 1 }).limit(21).toArray();
          const page = rows.slice(0, 20);
          const emails = [...new Set(page.map((doc) => (doc.data.customer as { email?: string } | undefined)?.email).filter((e) => e !== undefined))];
          const found = await customers.find({ 'data.email': { $in: emails }, '_meta.deleted': false }, { projection: CUSTOMER_PROJECTION }).toArray();
          const byEmail = new Map(found.map((doc) => [doc.data.email, doc]));
          const edges = page.map((doc) => {
            const customer = doc.data.customer as { email?: string } | undefined;
            const account = customer?.email === undefined ? undefined : byEmail.get(customer.email);
            return {
              cursor: cursor(doc._id),
              node: {
                id: doc._id,
                order_id: doc.data.order_id ?? null,
                customer: customer
                  ? { email: customer.email ?? null, account: account ? { name: account.data.name ?? null, tier: account.data.tier ?? null } : null }
                  : null,
              },
            };
          });
          data = { orders: { edges, pageInfo: { hasNextPage: rows.length > 20, endCursor: edges.at(-1)?.cursor ?? null } } };
        } else {
          // Same filter, projection, sort, limit and count as canonql's `orders(first: 20)`: it reads
          // only what the page shows (graphql/subject/page-projection.ts); the count only when asked for.
          const filter = { '_meta.deleted': false };
          const counted = body.query.includes('totalCount');
          const [rows, totalCount] = await Promise.all([
            orders.find(filter, { projection: PAGE_PROJECTION }).sort({ _id: 1 }).limit(21).toArray(),
            counted ? orders.countDocuments(filter) : null,
          ]);
          const edges = rows
            .slice(0, 20)
            .map((doc) => ({ cursor: cursor(doc._id), node: { id: doc._id, order_id: doc.data.order_id ?? null, currency: doc.data.currency ?? null } }));
          data = {
            orders: { ...(counted ? { totalCount } : {}), edges, pageInfo: { hasNextPage: rows.length > 20, endCursor: edges.at(-1)?.cursor ?? null } },
          };
        }
        const json = JSON.stringify({ data });
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      })().catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: String(error) }] }));
      });
    });
  };
}

/**
 * Raw broadcast: every raw Debezium record is parsed once and sent as a graphql-ws `next` frame
 * to every subscription of every socket. No GraphQL execution, no state, no ordering guarantees,
 * no back-pressure, no resume: the least a websocket fan-out of the same topic can do.
 */
async function baselineWs(server: http.Server) {
  const subscriptions = new Map<WebSocket, Set<string>>();
  const wss = new WebSocketServer({ server, path: '/graphql' });
  wss.on('connection', (socket) => {
    const ids = new Set<string>();
    subscriptions.set(socket, ids);
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as { type: string; id?: string };
      if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
      else if (message.type === 'ping') socket.send('{"type":"pong"}');
      else if (message.type === 'subscribe' && message.id) ids.add(message.id);
      else if (message.type === 'complete' && message.id) ids.delete(message.id);
    });
    socket.on('close', () => subscriptions.delete(socket));
  });
  const ops: Record<string, string> = { c: 'CREATE', r: 'CREATE', u: 'UPDATE', d: 'DELETE' };
  const kafka = createKafka({ ...config.kafka, clientId: 'canonql-bench-baseline' }, logger);
  const consumer: Consumer = kafka.consumer({ groupId: `bench-baseline-ws-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: process.env.BENCH_RAW_TOPIC!, fromBeginning: false });
  let delivered = 0;
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachMessage: async ({ message }) => {
      const value = JSON.parse(message.value!.toString()) as { op: string; after: string | null; before: string | null };
      const doc = JSON.parse(value.after ?? value.before ?? 'null') as { _id: { $oid: string }; orderId?: string } | null;
      if (!doc) return;
      const change = JSON.stringify({ op: ops[value.op] ?? value.op, key: doc._id.$oid, node: value.after ? { order_id: doc.orderId ?? null } : null });
      const tail = `","type":"next","payload":{"data":{"orderChanged":${change}}}}`;
      for (const [socket, ids] of subscriptions) {
        for (const id of ids) socket.send(`{"id":"${id}${tail}`);
        delivered += ids.size;
      }
    },
  });
  return {
    stats: () => ({ subscribers: [...subscriptions.values()].reduce((n, ids) => n + ids.size, 0), sockets: subscriptions.size, delivered }),
    async stop() {
      await consumer.disconnect();
      for (const socket of subscriptions.keys()) socket.terminate();
      await new Promise((resolve) => wss.close(() => resolve(undefined)));
    },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
