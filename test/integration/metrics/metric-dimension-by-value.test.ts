import { graphql, parse, subscribe, type ExecutionResult } from 'graphql';
import { createEventLog } from '../../../src/events/event-log';
import { createAccessPolicy } from '../../../src/graphql/access';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { createLoaders, type ApiContext, type ApiServices } from '../../../src/graphql/context';
import { withMetricSubscriptions } from '../../../src/graphql/metrics/metric-subscription';
import { createMetricsReader, type MetricsReader } from '../../../src/metrics/metric-reader';
import { createRollupStore, type RollupStore } from '../../../src/metrics/rollup-store';
import { createEntityStore } from '../../../src/state/entity-store';
import { compiledMetric, entityChange } from '../../support/metrics-world';
import { databasePerTest } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * A metric query keeping a dimension of a Decimal, Int, Long, Float or DateTime field merges, at
 * read time, the buckets whose values are equal by value ("12.5", "12.50", "12.500"; one instant in
 * several offsets): rollups keep each spelling's bucket as written, and a query used to return a
 * row per spelling (count, sum, min and max split). The row shows the spelling with the most
 * fractional digits, then the first in code-unit order of its JSON text, as `<plural>Aggregate`.
 * A String dimension stays by its text ("007" and "7" are two rows). Real store: the rollups are
 * written by the rollup store from entity states, read through GraphQL and its subscriptions.
 */
const SUBJECT = 'reading';
const SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Reading',
  type: 'object',
  properties: {
    tag: { type: ['string', 'null'] },
    code: { type: ['string', 'null'] },
    amount: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
    at: { type: ['string', 'null'], format: 'date-time' },
    n: { type: ['integer', 'null'], format: 'int64' },
    price: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
    ts: { type: ['string', 'null'], format: 'date-time' },
  },
};
const READINGS = compiledMetric({
  name: 'readings',
  subject: SUBJECT,
  measure: { field: 'price' },
  dimensions: ['amount', 'at', 'code', 'tag', 'n'],
  time: { field: 'ts' },
  windows: ['hour'],
});
const AMOUNTS = compiledMetric({
  name: 'amounts',
  subject: SUBJECT,
  measure: { field: 'price' },
  dimensions: ['amount'],
  time: { field: 'ts' },
  windows: ['hour'],
});

const H = 3_600_000;
const T = Date.UTC(2024, 2, 1, 10);
const IN_T = new Date(T + 5 * 60_000).toISOString();
const IN_NEXT = new Date(T + H + 5 * 60_000).toISOString();

/** One instant, 2024-03-01T10:00:00Z, in four spellings; 12.5 in three scales; 7 in two. */
const ENTITIES: Record<string, Record<string, unknown>> = {
  r0: { tag: 'a', code: '007', amount: '12.5', at: '2024-03-01T12:00:00+02:00', n: 5, price: '1.10', ts: IN_T },
  r1: { tag: 'a', code: '7', amount: '12.50', at: '2024-03-01T10:00:00Z', n: 5, price: '2.2', ts: IN_T },
  r2: { tag: 'b', code: '7', amount: '12.500', at: '2024-03-01T10:00:00.000Z', n: '5', price: '3', ts: IN_T },
  r3: { tag: 'b', amount: '7', at: '2024-03-01T04:30:00.000000-05:30', n: '9007199254740993', price: '4.00', ts: IN_T },
  r4: { tag: 'a', code: '7', amount: '7.0', at: '2024-03-01T11:00:00Z', n: 6, price: '4.0', ts: IN_T },
  r5: { tag: 'a', price: '0.5', ts: IN_T },
  r6: { tag: 'a', amount: '12.5', price: '9', ts: IN_NEXT },
};

type Row = { start: string; dimensions: Record<string, unknown>; count: number; sum: string | null; min: string | null; max: string | null; avg: unknown };
const FIELDS = 'start dimensions count sum min max avg';
const row = (start: number, dimensions: Record<string, unknown>, count: number, sum: string, min: string, max: string): Row => ({
  start: new Date(start).toISOString(),
  dimensions,
  count,
  sum,
  min,
  max,
  avg: expect.closeTo(Number(sum) / count, 12),
});

describe('metric dimensions merge by value at read time (real store)', () => {
  const db = databasePerTest('metric_dim_value');
  let store: RollupStore;
  let reader: MetricsReader;
  let context: ApiContext;

  const schema = () =>
    buildApiSchema(
      context.services.catalog.list(),
      withMetricSubscriptions(() => ({})),
    );

  /** Writes the entities' contributions to both metrics, in `order` (each order one arrival order of the buckets). */
  async function setUp(order: readonly string[]) {
    store = createRollupStore(db());
    await store.ensureIndexes();
    for (const key of order) {
      for (const metric of [READINGS, AMOUNTS]) await store.apply(metric, [entityChange(key, 1, ENTITIES[key]!)]);
    }
    await store.intentsClosed();
    reader = createMetricsReader({
      db: db(),
      definitions: [READINGS.definition, AMOUNTS.definition],
      limits: { maxScan: 1000, maxGroups: 1000 },
      pollIntervalMs: 50,
    });
    const services: ApiServices = {
      catalog: { list: () => [{ subject: SUBJECT, version: 1, schema: SCHEMA }] },
      db: db(),
      store: createEntityStore(db()),
      eventLog: createEventLog(db()),
      maxPageSize: 100,
      access: createAccessPolicy([]),
      metrics: reader,
    };
    context = { services, principal: services.access.principalFor(undefined), loaders: createLoaders(services) };
  }
  afterEach(() => reader?.stop());

  async function query<T = Row[]>(source: string): Promise<T> {
    const result = await graphql({ schema: schema(), source, contextValue: context });
    expect(result.errors).toBeUndefined();
    return JSON.parse(JSON.stringify(Object.values(result.data!)[0])) as T;
  }

  const forward = Object.keys(ENTITIES);
  const backward = [...forward].reverse();

  it.each([
    ['in arrival order', forward],
    ['in reverse order', backward],
  ])('one row per Decimal value, in the spelling of the largest scale, aggregates exact (%s)', async (_, order) => {
    await setUp(order);
    const expected = [
      row(T, { amount: '12.500' }, 3, '6.30', '1.10', '3'),
      row(T, { amount: '7.0' }, 2, '8.00', '4.00', '4.00'),
      row(T, { amount: null }, 1, '0.5', '0.5', '0.5'),
      row(T + H, { amount: '12.5' }, 1, '9', '9', '9'),
    ];
    expect(await query(`{ metric(name: "readings", window: hour, groupBy: ["amount"]) { ${FIELDS} } }`)).toEqual(expected);
    expect(await query(`{ readingsMetric(name: "readings", window: hour, groupBy: ["amount"]) { ${FIELDS} } }`)).toEqual(expected);
    // A metric whose only dimension is the Decimal: no groupBy keeps it.
    expect(await query(`{ metric(name: "amounts", window: hour) { ${FIELDS} } }`)).toEqual(expected);
  });

  it.each([
    ['in arrival order', forward],
    ['in reverse order', backward],
  ])('one row per instant, whatever the offset or the fractional digits; several kept dimensions each by value (%s)', async (_, order) => {
    await setUp(order);
    expect(await query(`{ metric(name: "readings", window: hour, groupBy: ["at"], to: "2024-03-01T11:00:00Z") { ${FIELDS} } }`)).toEqual([
      row(T, { at: '2024-03-01T04:30:00.000000-05:30' }, 4, '10.30', '1.10', '4.00'),
      row(T, { at: '2024-03-01T11:00:00Z' }, 1, '4.0', '4.0', '4.0'),
      row(T, { at: null }, 1, '0.5', '0.5', '0.5'),
    ]);
    expect(await query(`{ readingsMetric(name: "readings", window: hour, groupBy: ["amount", "at"], to: "2024-03-01T11:00:00Z") { ${FIELDS} } }`)).toEqual([
      row(T, { amount: '12.500', at: '2024-03-01T10:00:00.000Z' }, 3, '6.30', '1.10', '3'),
      row(T, { amount: '7', at: '2024-03-01T04:30:00.000000-05:30' }, 1, '4.00', '4.00', '4.00'),
      row(T, { amount: '7.0', at: '2024-03-01T11:00:00Z' }, 1, '4.0', '4.0', '4.0'),
      row(T, { amount: null, at: null }, 1, '0.5', '0.5', '0.5'),
    ]);
    // A Long held as a number and as digit text is one value (of equal scale: the first JSON text, "5").
    expect(await query(`{ metric(name: "readings", window: hour, groupBy: ["n"], to: "2024-03-01T11:00:00Z") { ${FIELDS} } }`)).toEqual([
      row(T, { n: '5' }, 3, '6.30', '1.10', '3'),
      row(T, { n: '9007199254740993' }, 1, '4.00', '4.00', '4.00'),
      row(T, { n: 6 }, 1, '4.0', '4.0', '4.0'),
      row(T, { n: null }, 1, '0.5', '0.5', '0.5'),
    ]);
  });

  it('keeps a String dimension by its text, and merges the rows a `where` by value on the dimension matches', async () => {
    await setUp(forward);
    expect(await query(`{ metric(name: "readings", window: hour, groupBy: ["code"], to: "2024-03-01T11:00:00Z") { ${FIELDS} } }`)).toEqual([
      row(T, { code: '007' }, 1, '1.10', '1.10', '1.10'),
      row(T, { code: '7' }, 3, '9.2', '2.2', '4.0'),
      row(T, { code: null }, 2, '4.50', '0.5', '4.00'),
    ]);
    const matched = [row(T, { amount: '12.500' }, 3, '6.30', '1.10', '3'), row(T + H, { amount: '12.5' }, 1, '9', '9', '9')];
    expect(await query(`{ metric(name: "readings", window: hour, groupBy: ["amount"], where: {amount: {eq: "12.5000"}}) { ${FIELDS} } }`)).toEqual(matched);
    expect(await query(`{ readingsMetric(name: "readings", window: hour, groupBy: ["amount"], where: {amount: {eq: "12.5"}}) { ${FIELDS} } }`)).toEqual(
      matched,
    );
  });

  it.each([
    ['metricUpdated without groupBy', 'metricUpdated(name: "amounts", window: hour)'],
    ['metricUpdated with groupBy', 'metricUpdated(name: "readings", window: hour, groupBy: ["amount"])'],
    ['<plural>MetricUpdated with groupBy', 'readingsMetricUpdated(name: "readings", window: hour, groupBy: ["amount"], where: {amount: {gte: "10"}})'],
  ])('%s pushes the merged row when one spelling’s bucket changes', async (_, field) => {
    await setUp(forward);
    const stream = (await subscribe({
      schema: schema(),
      document: parse(`subscription { ${field} { ${FIELDS} } }`),
      contextValue: context,
    })) as AsyncIterableIterator<ExecutionResult>;
    try {
      const pushed: Row[] = [];
      const collecting = (async () => {
        for await (const value of stream) {
          expect(value.errors).toBeUndefined();
          pushed.push(JSON.parse(JSON.stringify(Object.values(value.data!)[0])) as Row);
        }
      })();
      // r1 ("12.50") changes its price: only that spelling's bucket is rewritten.
      const metric = field.includes('amounts') ? AMOUNTS : READINGS;
      await store.apply(metric, [entityChange('r1', 2, { ...ENTITIES.r1, price: '2.25' })]);
      await store.intentsClosed();
      await waitFor('a push', () => pushed.length > 0, { timeoutMs: 10_000 });
      expect(pushed[0]).toEqual(row(T, { amount: '12.500' }, 3, '6.35', '1.10', '3'));
      await stream.return?.();
      await collecting;
    } finally {
      await stream.return?.();
    }
  });
});
