import http from 'node:http';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ApolloServer } from '@apollo/server';
import express from 'express';
import { graphql, parse, subscribe, type ExecutionResult } from 'graphql';
import type { Message } from 'kafkajs';
import request from 'supertest';
import { loadCanonicalSchemas } from '../../../src/catalog/canonical-schemas';
import { createSubjectCatalog } from '../../../src/catalog/subject-catalog';
import { createDemoOrders } from '../../../src/demo/demo-orders';
import { createEventLog } from '../../../src/events/event-log';
import { createAccessPolicy } from '../../../src/graphql/access';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import type { ApiContext, ApiServices } from '../../../src/graphql/context';
import { createLoaders } from '../../../src/graphql/context';
import { mountGraphqlEndpoint } from '../../../src/graphql/graphql-endpoint';
import { withMetricSubscriptions } from '../../../src/graphql/metrics/metric-subscription';
import { SchemaGateway } from '../../../src/graphql/schema-gateway';
import { loadMetricFiles } from '../../../src/metrics/metric-files';
import { createMetricsReader, type MetricsReader } from '../../../src/metrics/metric-reader';
import { createMetricsService, type MetricsService } from '../../../src/metrics/metrics-service';
import { createEntityStore } from '../../../src/state/entity-store';
import { produce } from '../../support/debezium-messages';
import { specFromFile, startIngestionHarness, type IngestionHarness } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { seededRandom } from '../demo/demo-support';
import { testLogger } from '../../support/test-logger';

const ROOT = path.join(__dirname, '..', '..', '..');
const logger = testLogger('warn');

/** The hand computation: replays the raw demo events, then sums line amounts in integer cents. */
/** A demo order as the raw topic carries it (MongoDB extended JSON). */
interface RawOrder {
  region: string;
  createdAt: { $date: { $numberLong: string } };
  items: { sku: string; price: { $numberDecimal: string }; qty: { $numberInt: string } }[];
}

function handComputation(messages: readonly Message[]) {
  const orders = new Map<string, RawOrder>();
  for (const message of messages) {
    if (message.value === null || message.value === undefined) continue;
    const key = JSON.parse(String(message.key)).id as string;
    const value = JSON.parse(String(message.value));
    if (value.op === 'd') orders.delete(key);
    else if (value.after) orders.set(key, JSON.parse(value.after));
  }
  const hourly = new Map<string, { count: number; cents: bigint; min: bigint; max: bigint }>();
  const byRegion = new Map<string, number>();
  for (const order of orders.values()) {
    byRegion.set(order.region, (byRegion.get(order.region) ?? 0) + 1);
    const created = Number(order.createdAt.$date.$numberLong);
    const hour = created - (created % 3_600_000);
    for (const item of order.items) {
      const [whole, fraction = ''] = String(item.price.$numberDecimal).split('.');
      const cents = (BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'))) * BigInt(item.qty.$numberInt);
      const id = `${new Date(hour).toISOString()}|${order.region}|${item.sku}`;
      const b = hourly.get(id);
      if (!b) hourly.set(id, { count: 1, cents, min: cents, max: cents });
      else {
        b.count += 1;
        b.cents += cents;
        if (cents < b.min) b.min = cents;
        if (cents > b.max) b.max = cents;
      }
    }
  }
  // Prices have two places, so sums, minima and maxima keep two places.
  const text = (c: bigint) => `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;
  return {
    hourly: Object.fromEntries([...hourly].map(([id, b]) => [id, { count: b.count, sum: text(b.cents), min: text(b.min), max: text(b.max) }])),
    byRegion: Object.fromEntries(byRegion),
    live: orders.size,
  };
}

describe('the demo metric (order-amount) through GraphQL', () => {
  const leftovers = createLeftovers();
  const topic = uniqueName('raw.mongo.orders');
  const kafka = testKafka();
  let harness: IngestionHarness;
  let metrics: MetricsService;
  let reader: MetricsReader;
  let services: ApiServices;
  let server: http.Server;
  const messages: Message[] = [];
  let clock = Date.UTC(2024, 4, 1, 8, 30);
  const demo = createDemoOrders({ random: seededRandom(7), now: () => (clock += 53_000), maxOrders: 60 });

  beforeAll(async () => {
    harness = await startIngestionHarness([specFromFile('order-v2.json', topic)]);
    leftovers.add(() => harness.stop());
    const definitions = loadMetricFiles(path.join(ROOT, 'specs', 'metrics'));
    metrics = createMetricsService({ kafka, db: harness.db, logger, groupId: uniqueName('metrics'), topicPrefix: harness.topicPrefix, canonicalPartitions: 1 });
    await metrics.start();
    leftovers.add(() => metrics.stop());
    await metrics.setDefinitions(definitions);
    reader = createMetricsReader({ db: harness.db, definitions, limits: { maxScan: 10_000, maxGroups: 1_000 }, pollIntervalMs: 100 });
    leftovers.add(async () => reader.stop());

    const catalog = createSubjectCatalog(loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical')).values());
    services = {
      catalog,
      db: harness.db,
      store: createEntityStore(harness.db),
      eventLog: createEventLog(harness.db),
      maxPageSize: 100,
      access: createAccessPolicy([]),
      metrics: reader,
    };
    const app = express();
    server = http.createServer(app);
    const endpoint = await mountGraphqlEndpoint({
      app,
      httpServer: server,
      path: '/graphql',
      gateway: new SchemaGateway(
        buildApiSchema(
          catalog.list(),
          withMetricSubscriptions(() => ({})),
        ),
      ),
      services,
      logger,
    });
    leftovers.add(() => endpoint.stop());

    messages.push(...demo.next(400).messages);
    await produce(kafka, topic, messages);
    await harness.waitForOutcomes(messages.length);
    const events = harness.ingestion.stats.outcomes.applied;
    await waitFor('metrics caught up', () => metrics.stats.events >= events, { timeoutMs: 60000 });
  });
  afterAll(() => leftovers.dispose());

  const query = async <T>(text: string) => {
    const response = await request(server).post('/graphql').set('content-type', 'application/json').send({ query: text });
    return response.body as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  };

  it('answers metric(order-amount, hour) exactly as the hand computation over the demo events', async () => {
    const expected = handComputation(messages);
    const { data, errors } = await query<{
      metric: { start: string; dimensions: { region: string; product: string }; count: number; sum: string; min: string; max: string; avg: number }[];
    }>('{ metric(name: "order-amount", window: hour) { start dimensions count sum avg min max } }');
    expect(errors).toBeUndefined();
    const actual = Object.fromEntries(
      data!.metric.map((b) => [`${b.start}|${b.dimensions.region}|${b.dimensions.product}`, { count: b.count, sum: b.sum, min: b.min, max: b.max }]),
    );
    expect(Object.keys(expected.hourly).length).toBeGreaterThan(10);
    expect(actual).toEqual(expected.hourly);
    for (const bucket of data!.metric) expect(bucket.avg).toBeCloseTo(Number(bucket.sum) / bucket.count, 9);
  });

  it('merges dimensions left out of groupBy, filters by dimension and window range', async () => {
    const expected = handComputation(messages);
    const { data } = await query<{ metric: { dimensions: Record<string, string>; count: number; sum: string }[] }>(
      '{ metric(name: "order-amount", window: day, groupBy: ["region"], where: {region: ["eu-west", "us-east"]}) { dimensions count sum } }',
    );
    const totals = new Map<string, bigint>();
    for (const [id, b] of Object.entries(expected.hourly)) {
      const region = id.split('|')[1]!;
      if (region !== 'eu-west' && region !== 'us-east') continue;
      totals.set(region, (totals.get(region) ?? 0n) + BigInt(Math.round(Number(b.sum) * 100)));
    }
    const got = new Map<string, bigint>();
    for (const row of data!.metric) got.set(row.dimensions.region!, (got.get(row.dimensions.region!) ?? 0n) + BigInt(Math.round(Number(row.sum) * 100)));
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(totals));
    expect(data!.metric.every((row) => Object.keys(row.dimensions).join() === 'region')).toBe(true);
    const empty = await query<{ metric: unknown[] }>(
      '{ metric(name: "order-amount", window: hour, from: "2000-01-01T00:00:00Z", to: "2000-01-02T00:00:00Z") { count } }',
    );
    expect(empty.data!.metric).toEqual([]);
  });

  it('answers a metric query the same from Apollo (graphql-js) and, the second time, from the accepted-query path (compiled code)', async () => {
    const viaApollo = jest.spyOn(ApolloServer.prototype, 'executeHTTPGraphQLRequest');
    try {
      for (const [text, variables] of [
        // Not the text of an earlier test's query: its first request must be Apollo's.
        ['{ hourly: metric(name: "order-amount", window: hour) { start dimensions count sum avg min max } }', undefined],
        ['{ __typename m: metric(name: "order-amount", window: day, groupBy: ["region"]) { __typename s: sum start avg count c: count } }', undefined],
        [
          'query M($w: JSON, $g: [String!], $from: DateTime) { metric(name: "order-amount", window: hour, where: $w, groupBy: $g, from: $from) { dimensions ...F } } fragment F on MetricBucket { min max count }',
          { w: { region: ['eu-west', 'us-east'] }, g: ['product', 'region'], from: '2024-05-01T09:00:00Z' },
        ],
        ['{ ordersMetric(name: "order-amount", window: day, where: { region: { eq: "eu-west" } }) { start dimensions count sum avg min max } }', undefined],
      ] as const) {
        const before = viaApollo.mock.calls.length;
        const send = () =>
          request(server)
            .post('/graphql')
            .set('content-type', 'application/json')
            .send({ query: text, ...(variables ? { variables } : {}) });
        const first = await send();
        const second = await send();
        expect(first.status).toBe(200);
        expect(JSON.parse(first.text).errors).toBeUndefined();
        expect([text, second.text, second.headers['content-type']]).toEqual([text, first.text, first.headers['content-type']]);
        expect(viaApollo.mock.calls.length - before).toBe(1);
      }
    } finally {
      viaApollo.mockRestore();
    }
  });

  it('lists the definition with its backfill, and rejects unknown metrics, windows and dimensions with codes', async () => {
    await metrics.backfillsSettled();
    const { data } = await query<{ metricDefinitions: Record<string, unknown>[] }>(
      '{ metricDefinitions { name version subject measure multiplyBy windows time dimensions { name field } backfill { state } } }',
    );
    expect(data!.metricDefinitions).toEqual([
      {
        name: 'order-amount',
        version: 1,
        subject: 'order',
        measure: 'line_items[*].price',
        multiplyBy: 'line_items[*].qty',
        windows: ['hour', 'day'],
        time: 'created_at',
        dimensions: [
          { name: 'region', field: 'region' },
          { name: 'product', field: 'line_items[*].sku' },
        ],
        backfill: { state: 'done' },
      },
    ]);
    const codes = async (text: string) => (await query(text)).errors?.map((e) => e.extensions?.code);
    expect(await codes('{ metric(name: "nope", window: hour) { count } }')).toEqual(['BAD_USER_INPUT']);
    expect(await codes('{ metric(name: "order-amount", window: "hour") { count } }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // The list filters' language: the operator shape answers like the shorthand; a mistake is refused naming the dimension, never answered with [].
    const listShape = await query<{ metric: unknown[] }>(
      '{ metric(name: "order-amount", window: hour, where: {region: {eq: "eu-west"}}) { start dimensions count sum } }',
    );
    const shorthand = await query<{ metric: unknown[] }>(
      '{ metric(name: "order-amount", window: hour, where: {region: "eu-west"}) { start dimensions count sum } }',
    );
    expect(listShape.errors).toBeUndefined();
    expect(listShape.data!.metric.length).toBeGreaterThan(0);
    expect(listShape.data).toEqual(shorthand.data);
    const misspelt = await query('{ metric(name: "order-amount", window: hour, where: {region: {equals: "eu-west"}}) { count } }');
    expect(misspelt.errors?.[0]).toMatchObject({ message: expect.stringContaining('where.region.equals'), extensions: { code: 'BAD_USER_INPUT' } });
    expect(await codes('{ metric(name: "order-amount", window: hour, where: {colour: "red"}) { count } }')).toEqual(['BAD_USER_INPUT']);
    expect(await codes('{ metric(name: "order-amount", window: minute) { count } }')).toEqual(['BAD_USER_INPUT']);
    expect(await codes('{ metric(name: "order-amount", window: hour, groupBy: ["colour"]) { count } }')).toEqual(['BAD_USER_INPUT']);
  });

  it('ordersAggregate counts current state per group and stops with LIMIT_EXCEEDED beyond its bound', async () => {
    const expected = handComputation(messages);
    const { data, errors } = await query<{ ordersAggregate: { group: { region: string }; count: number }[] }>(
      '{ ordersAggregate(groupBy: ["region"]) { group count } }',
    );
    expect(errors).toBeUndefined();
    expect(Object.fromEntries(data!.ordersAggregate.map((g) => [g.group.region, g.count]))).toEqual(expected.byRegion);
    // The same query under small bounds: too many groups, too many scanned entities.
    const schema = buildApiSchema(services.catalog.list());
    const bounded = (limits: { maxScan: number; maxGroups: number }) => {
      const small: ApiServices = { ...services, metrics: createMetricsReader({ db: harness.db, definitions: [], limits }) };
      return { services: small, principal: small.access.principalFor(undefined), loaders: createLoaders(small) };
    };
    expect(expected.live).toBeGreaterThan(40);
    const tooManyGroups = await graphql({
      schema,
      source: '{ ordersAggregate(groupBy: ["order_id"]) { count } }',
      contextValue: bounded({ maxScan: 10_000, maxGroups: 40 }),
    });
    expect(tooManyGroups.errors?.[0]?.originalError).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    const tooManyScanned = await graphql({ schema, source: '{ ordersAggregate { count } }', contextValue: bounded({ maxScan: 40, maxGroups: 1_000 }) });
    expect(tooManyScanned.errors?.[0]?.originalError).toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('metricUpdated pushes the new aggregate of a bucket when an order changes it', async () => {
    const schema = buildApiSchema(
      services.catalog.list(),
      withMetricSubscriptions(() => ({})),
    );
    const contextValue: ApiContext = { services, principal: services.access.principalFor(undefined), loaders: createLoaders(services) };
    const stream = (await subscribe({
      schema,
      document: parse('subscription { metricUpdated(name: "order-amount", window: hour, groupBy: []) { start count sum } }'),
      contextValue,
    })) as AsyncIterableIterator<ExecutionResult>;
    leftovers.add(async () => stream.return?.());
    clock = Date.UTC(2030, 0, 1, 12, 5);
    const more = demo.next(30).messages;
    messages.push(...more);
    await produce(kafka, topic, more);
    // Every push is kept (the last one per window is that window's aggregate) while the changes
    // are applied and the metrics consumer catches up: conditions, not a quiet period, end the wait.
    const latest = new Map<string, { start: string; count: number; sum: string | null }>();
    const errors: unknown[] = [];
    const collecting = (async () => {
      for await (const value of stream) {
        if (value.errors) errors.push(value.errors);
        const update = value.data?.metricUpdated as { start: string; count: number; sum: string | null } | undefined;
        if (update) latest.set(update.start, update);
      }
    })();
    await harness.waitForOutcomes(messages.length);
    const applied = harness.ingestion.stats.outcomes.applied;
    await waitFor('metrics caught up', () => metrics.stats.events >= applied, { timeoutMs: 120_000 });
    const stored = async () =>
      (
        await query<{ metric: { start: string; count: number; sum: string }[] }>(
          '{ metric(name: "order-amount", window: hour, groupBy: [], from: "2030-01-01T12:00:00Z", to: "2030-01-01T13:00:00Z") { start count sum } }',
        )
      ).data!.metric;
    // Pushes are execution results (objects without a prototype): compared as the JSON a client gets.
    const lastPushed = () => JSON.parse(JSON.stringify(latest.get('2030-01-01T12:00:00.000Z') ?? null)) as unknown;
    await waitFor('the last push of the window to equal its stored aggregate', async () => isDeepStrictEqual(await stored(), [lastPushed()]), {
      timeoutMs: 120_000,
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}: stored ${JSON.stringify(await stored())}, last pushed ${JSON.stringify(latest.get('2030-01-01T12:00:00.000Z'))}`);
    });
    expect(errors).toEqual([]);
    expect(latest.get('2030-01-01T12:00:00.000Z')?.count).toBeGreaterThan(0);
    await stream.return?.();
    await collecting;
  }, 300_000);
});
