import { createClient, type Client } from 'graphql-ws';
import type { Kafka, Producer } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import WebSocket from 'ws';
import { modelObject } from '../../../src/catalog/field-model';
import { canonicalTopic, type CanonicalEvent } from '../../../src/events/canonical-event';
import { ensureTopics } from '../../../src/infra/kafka-topics';
import { subjectNames } from '../../../src/graphql/naming';
import { orderKeyIndexFields } from '../../../src/graphql/subject/list-query';
import { createEntityStore, type StoredEntity } from '../../../src/state/entity-store';
import { firstStoredEntity } from '../../support/stored-entity';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { seededRandom } from '../../support/seeded-random';
import { createLeftovers, testConfig, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { addDec, formatDec, toDec } from '../../../src/values/decimal';
import { VALUE_FIELDS, VALUE_SCHEMA, compareValues, oracleMatches, oracleOrder, randomDocument, randomFilter, type Op } from '../../support/value-oracle';

/**
 * The property of test/unit/values/values-by-value.test.ts on the real servers, through a running
 * canonql (ingest + api, metrics on): random values of every ordered type (decimals of mixed scale,
 * negative, zero with a scale, beyond 2^53, tiny fractions; DateTimes without a fraction, with ms,
 * µs or ns, in several offsets) are stored by the entity store and published as canonical events
 * on Kafka. For random filters in the subject's typed `where`, what a live `<subject>Changed`
 * subscription delivers over graphql-ws, the list (paged by cursor in random orderings), the
 * aggregate count, the metric (whose dimensions are the value fields) and the oracle comparing by
 * value all name the same entities. Seeded, so a failure reproduces.
 */
jest.setTimeout(600_000);

const SUBJECT = 'value_probe';
const METRIC = 'value-probe-count';
const names = subjectNames(SUBJECT);
const fields = modelObject(VALUE_SCHEMA);
const FILTERS = 36;
const BASE_TS = Date.UTC(2024, 2, 1, 10);

/** One live subscription: the changes it delivered, in order. */
class LiveSubscription {
  readonly received: { op: string; key: string; cursor: string; node: Record<string, unknown> | null }[] = [];
  error: unknown = null;
  constructor(client: Client, options: { where?: Record<string, unknown>; after?: string; includeSnapshot?: boolean }) {
    client.subscribe<Record<string, LiveSubscription['received'][number]>>(
      {
        query: `subscription($where: ${names.type}Where, $after: String, $snapshot: Boolean) {
          ${names.changed}(where: $where, after: $after, includeSnapshot: $snapshot) { op key cursor node { id ${VALUE_FIELDS.join(' ')} } }
        }`,
        variables: { where: options.where ?? null, after: options.after ?? null, snapshot: options.includeSnapshot ?? false },
      },
      {
        next: (value) => {
          if (value.errors) this.error = value.errors;
          else this.received.push(value.data![names.changed]!);
        },
        error: (error) => {
          this.error = error;
        },
        complete: () => undefined,
      },
    );
  }
}

describe('values compare by value on the real servers: live subscription, list, aggregate, metric and oracle agree', () => {
  const leftovers = createLeftovers();
  const kafka: Kafka = testKafka();
  let target: AppUnderTest;
  let mongo: MongoClient;
  let db: Db;
  let ws: Client;
  let producer: Producer;
  const rng = seededRandom(1202);
  const docs = Array.from({ length: 300 }, (_, i) => ({ id: `e${String(i).padStart(4, '0')}`, data: randomDocument(rng) }));
  const first = docs[0]!;
  const filters = Array.from({ length: FILTERS }, () => randomFilter(rng));
  const subscriptions: LiveSubscription[] = [];
  /** `<plural>MetricUpdated` with the subject's typed where: the dimensions of each bucket update it delivered. */
  const metricUpdates: Record<string, unknown>[] = [];
  let metricUpdateError: unknown = null;

  const api = {
    query: <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => target.gql<T>(query, variables),
  };

  const stored = (d: (typeof docs)[number], i: number): StoredEntity =>
    firstStoredEntity(d.id, d.data, { time: new Date(BASE_TS + i), position: String(i + 1), eventId: d.id });
  const event = (d: (typeof docs)[number], i: number): CanonicalEvent => ({
    id: `${d.id}-1`,
    subject: SUBJECT,
    key: d.id,
    op: 'CREATE',
    version: 1,
    before: null,
    after: d.data,
    changedFields: Object.keys(d.data).sort(),
    spec: { id: 't', version: 1 },
    source: { topic: 'raw', partition: 0, offset: String(i), position: String(i + 1), connector: 'test', op: 'c', snapshot: false },
    sourceTsMs: BASE_TS + i,
    ingestedAt: new Date(BASE_TS + i).toISOString(),
  });

  beforeAll(async () => {
    const prefix = `${uniqueName('canonical')}.`;
    target = await startAppUnderTest('values_live', { CANONQL_CANONICAL_TOPIC_PREFIX: prefix });
    leftovers.add(() => target.stop());
    mongo = new MongoClient(testConfig.mongo.uri);
    await mongo.connect();
    leftovers.add(() => mongo.close());
    db = mongo.db(target.database);
    const topic = canonicalTopic(SUBJECT, prefix);
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    const publish = (items: readonly (typeof docs)[number][], from: number) =>
      producer.send({ topic, acks: -1, messages: items.map((d, i) => ({ key: d.id, value: JSON.stringify(event(d, from + i)) })) });

    await target.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "value_probe", schema: $s, expectedVersion: 0) { version } }', {
      s: { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'ValueProbe', ...VALUE_SCHEMA },
    });
    await waitFor('the subject served', async () => !(await api.query(`{ ${names.list}(first: 1) { totalCount } }`)).errors, { timeoutMs: 30000 });
    // A count-only metric whose dimensions are the value fields: its `where` compares them by value.
    await target.ok('mutation($d: JSON!) { registerMetricDefinition(definition: $d, activate: true) { version } }', {
      d: {
        name: METRIC,
        version: 1,
        subject: SUBJECT,
        dimensions: VALUE_FIELDS.map((field) => ({ name: field, field })),
        time: { changeTime: true },
        windows: ['day'],
      },
    });
    await waitFor(
      'the metric backfilled',
      async () => {
        const result = await api.query<{ metricDefinitions: { name: string; backfill: { state: string } | null }[] }>(
          '{ metricDefinitions { name backfill { state } } }',
        );
        return result.data?.metricDefinitions.find((d) => d.name === METRIC)?.backfill?.state === 'done';
      },
      { timeoutMs: 60000 },
    );

    const store = createEntityStore(db);
    await store.ensureOrderKeyIndexes(SUBJECT, orderKeyIndexFields(fields));
    ws = createClient({
      url: target.app.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    leftovers.add(async () => ws.dispose());

    // The first entity is stored, not yet published: an unfiltered subscription with its snapshot
    // sees it, and the snapshot's cursor is where the filtered subscriptions start, so none of them
    // can miss an event published afterwards, however late it registers.
    await store.writeMany(SUBJECT, [{ key: first.id, expectedVersion: null, next: stored(first, 0) }]);
    const everything = new LiveSubscription(ws, { includeSnapshot: true });
    const start = await waitFor('the snapshot of the first entity', () => everything.received.find((r) => r.op === 'SNAPSHOT')?.cursor, { timeoutMs: 60000 });
    for (const { field, op, operand } of filters) subscriptions.push(new LiveSubscription(ws, { where: { [field]: { [op]: operand } }, after: start }));

    const rest = docs.slice(1);
    await store.writeMany(
      SUBJECT,
      rest.map((d, i) => ({ key: d.id, expectedVersion: null, next: stored(d, i + 1) })),
    );
    ws.subscribe<Record<string, { dimensions: Record<string, unknown> }>>(
      {
        query: `subscription($where: ${names.type}Where) { ${names.metricUpdated}(name: "${METRIC}", window: day, where: $where) { dimensions count } }`,
        variables: { where: { amount: { gt: '0' } } },
      },
      {
        next: (value) => {
          if (value.errors) metricUpdateError = value.errors;
          else metricUpdates.push(value.data![names.metricUpdated]!.dimensions);
        },
        error: (error) => {
          metricUpdateError = error;
        },
        complete: () => undefined,
      },
    );
    // Opened before the changes: it sees the rewrite of each of their buckets.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await publish(docs, 0);
    await waitFor(
      'every change delivered to the unfiltered subscription',
      () => {
        // The first entity came as its SNAPSHOT; its CREATE (the same version) is not repeated.
        const created = new Set(everything.received.map((r) => r.key)).size;
        if (everything.error) throw new Error(JSON.stringify(everything.error));
        if (created < docs.length)
          throw new Error(`${created} of ${docs.length} delivered; ops: ${[...new Set(everything.received.map((r) => r.op))].join(', ')}`);
        return true;
      },
      {
        timeoutMs: 120000,
      },
    );
    await waitFor(
      'the metric to count every entity',
      async () => {
        const result = await api.query<Record<string, { count: number }[]>>(`{ ${names.metric}(name: "${METRIC}", window: day) { count } }`);
        return result.data?.[names.metric]?.reduce((n, b) => n + b.count, 0) === docs.length;
      },
      { timeoutMs: 120000 },
    );
  });
  afterAll(() => leftovers.dispose());

  async function listAll(
    where: Record<string, unknown>,
    orderBy: { field: string; direction: 'ASC' | 'DESC' },
  ): Promise<{ ids: string[]; totalCount: number; values: unknown[] }> {
    const ids: string[] = [];
    const values: unknown[] = [];
    let totalCount = -1;
    let after: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      const response: {
        data?: Record<string, { totalCount: number; edges: { cursor: string; node: Record<string, unknown> }[]; pageInfo: { hasNextPage: boolean } }>;
        errors?: unknown;
      } = await api.query(
        `query($where: ${names.type}Where, $orderBy: ${names.type}OrderBy, $after: String) {
          ${names.list}(where: $where, orderBy: $orderBy, first: 9, after: $after) { totalCount edges { cursor node { id ${VALUE_FIELDS.join(' ')} } } pageInfo { hasNextPage } }
        }`,
        { where, orderBy, after },
      );
      expect(response.errors).toBeUndefined();
      const connection = response.data![names.list]!;
      totalCount = connection.totalCount;
      ids.push(...connection.edges.map((e) => e.node.id as string));
      values.push(...connection.edges.map((e) => e.node));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.edges.at(-1)!.cursor;
    }
    return { ids, totalCount, values };
  }

  it('returns every value exactly as written (scale, digits and offset kept)', async () => {
    const { values } = await listAll({}, { field: 'id', direction: 'ASC' });
    expect(values).toEqual(docs.map((d) => ({ id: d.id, ...Object.fromEntries(VALUE_FIELDS.map((f) => [f, d.data[f] ?? null])) })));
  });

  it('a live subscription delivers, and the list, the aggregate and the metric answer, the entities the oracle matches, for random typed filters', async () => {
    const exact = (d: (typeof docs)[number]) => ({ id: d.id, ...Object.fromEntries(VALUE_FIELDS.map((f) => [f, d.data[f] ?? null])) });
    const expectations = filters.map(({ field, op, operand }) => docs.filter((d) => oracleMatches(d.data, field, op, operand)));
    expect(expectations.filter((m) => m.length > 0 && m.length < docs.length).length).toBeGreaterThan(FILTERS / 2);
    await waitFor(
      'each filtered subscription to deliver as many changes as the oracle matches',
      () => subscriptions.every((sub, i) => sub.error !== null || sub.received.length >= expectations[i]!.length),
      { timeoutMs: 120000 },
    );
    // Every change has reached the unfiltered subscription; a change a filtered one should not get
    // would arrive with the rest: one more second to see it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let i = 0; i < filters.length; i += 1) {
      const { field, op, operand } = filters[i]!;
      const where = { [field]: { [op]: operand } };
      const matching = expectations[i]!;
      const sortField = VALUE_FIELDS[i % VALUE_FIELDS.length]!;
      const direction = i % 2 === 0 ? 'ASC' : 'DESC';
      const context = JSON.stringify({ where, sortField, direction });
      const subscription = subscriptions[i]!;
      expect({ context, error: subscription.error }).toEqual({ context, error: null });
      // Delivered in publication order, each entity once, exactly as written.
      expect({ context, delivered: subscription.received.map((r) => [r.op, r.node]) }).toEqual({
        context,
        delivered: matching.map((d) => ['CREATE', exact(d)]),
      });

      const expected = oracleOrder(matching, sortField, direction === 'ASC' ? 1 : -1);
      const listed = await listAll(where, { field: sortField, direction });
      expect({ context, ids: listed.ids, total: listed.totalCount }).toEqual({ context, ids: expected, total: expected.length });

      const aggregate = await api.query<Record<string, { count: number }[]>>(
        `query($where: ${names.type}Where) { ${names.aggregate}(where: $where) { count } }`,
        {
          where,
        },
      );
      expect({ context, errors: aggregate.errors }).toEqual({ context, errors: undefined });
      expect({ context, count: aggregate.data![names.aggregate]!.reduce((n, g) => n + g.count, 0) }).toEqual({ context, count: expected.length });

      // The subject's own typed where, as the list and the aggregate take it.
      const metric = await api.query<Record<string, { count: number }[]>>(
        `query($where: ${names.type}Where) { ${names.metric}(name: "${METRIC}", window: day, where: $where) { count } }`,
        { where },
      );
      if ((op as Op) === 'exists') {
        // A bucket holds null for a dimension that was null or absent: `exists` cannot be answered and is refused.
        expect({ context, code: metric.errors?.[0]?.extensions?.code }).toEqual({ context, code: 'BAD_USER_INPUT' });
      } else {
        expect({ context, errors: metric.errors }).toEqual({ context, errors: undefined });
        expect({ context, count: metric.data![names.metric]!.reduce((n, b) => n + b.count, 0) }).toEqual({ context, count: expected.length });
      }
    }
  });

  it("follows a metric live with the subject's typed where: only buckets it matches, by value, and every one of them", async () => {
    const key = (dims: Record<string, unknown>) => JSON.stringify(['amount', 'at', 'n', 'f', 's'].map((f) => dims[f] ?? null));
    const expected = new Set(docs.filter((d) => oracleMatches(d.data, 'amount', 'gt', '0')).map((d) => key(d.data)));
    await waitFor('an update of every matching bucket', () => new Set(metricUpdates.map(key)).size >= expected.size || metricUpdateError !== null, {
      timeoutMs: 60000,
    });
    expect(metricUpdateError).toBeNull();
    expect(new Set(metricUpdates.map(key))).toEqual(expected);
  });

  it('refuses, naming it, a metric name that is not active or aggregates another subject, and a filter on what no dimension reads', async () => {
    const unknown = await api.query(`{ ${names.metric}(name: "no-such-metric", window: day) { count } }`);
    expect(unknown.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringContaining(`active metrics of ${SUBJECT}: ${METRIC}`),
    });
    const other = await api.query(`{ ${names.metric}(name: "order-amount", window: hour) { count } }`);
    expect(other.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/aggregates order, not value_probe/) });
    // Every field of the subject is a dimension here; `id` is not.
    const noDimension = await api.query(`{ ${names.metric}(name: "${METRIC}", window: day, where: { id: { eq: "e0001" } }) { count } }`);
    expect(noDimension.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringMatching(/where\.id: metric "value-probe-count" has no dimension of that field \(its dimensions read amount, at, n, f, s\)/),
    });
  });

  it('aggregates by value: sum, min and max of a Decimal keep the scale, equal to the oracle', async () => {
    const response = await api.query<Record<string, { count: number; sum: string; min: string; max: string }[]>>(
      `{ ${names.aggregate}(measure: "amount") { count sum min max } }`,
    );
    expect(response.errors).toBeUndefined();
    const [group] = response.data![names.aggregate]!;
    const amounts = docs.map((d) => d.data.amount).filter((a): a is string => typeof a === 'string');
    const sum = amounts.reduce((acc, a) => addDec(acc, toDec(a)!), toDec('0')!);
    expect(group!.sum).toBe(formatDec(sum));
    expect(group!.sum.split('.')[1]?.length ?? 0).toBe(Math.max(...amounts.map((a) => a.split('.')[1]?.length ?? 0)));
    const sorted = [...amounts].sort((a, b) => compareValues('amount', a, b));
    expect(compareValues('amount', group!.min, sorted[0])).toBe(0);
    expect(compareValues('amount', group!.max, sorted.at(-1))).toBe(0);
  });

  it('refuses a malformed Decimal or DateTime literal or variable with BAD_USER_INPUT naming the argument path and the value', async () => {
    const literal = await api.query(`{ ${names.list}(where: { amount: { gt: "12,50" } }) { totalCount } }`);
    expect(literal.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'where.amount.gt', value: '12,50' } })]);
    expect(literal.errors?.[0]?.message).toMatch(/at "where\.amount\.gt".*"12,50"/);
    const inDefault = await api.query(
      `query($w: ${names.type}Where = { at: { in: ["2024-03-01T10:00:00Z", "noon"] } }) { ${names.list}(where: $w) { totalCount } }`,
    );
    expect(inDefault.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: '$w.at.in[1]', value: 'noon' } })]);
    const variable = await api.query(`query($w: ${names.type}Where) { ${names.list}(where: $w) { totalCount } }`, {
      w: { at: { lt: '2024-03-01T10:00:00.1234567891Z' } },
    });
    expect(variable.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(variable.errors?.[0]?.message).toMatch(/"\$w".*at "w\.at\.lt".*2024-03-01T10:00:00\.1234567891Z/);
  });
});
