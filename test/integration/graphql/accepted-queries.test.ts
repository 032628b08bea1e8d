import { ApolloServer } from '@apollo/server';
import { startApiHarness, type ApiHarness } from '../../support/api-harness';
import { DEMO_EMAILS as EMAILS, demoOrderChange, oid, pgChange, produce } from '../../support/debezium-messages';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { testKafka, uniqueName } from '../../support/test-env';

/**
 * The accepted-query path (src/graphql/accepted-queries.ts) on the served schema over real state:
 * each request is sent twice, first answered by Apollo Server (a document it has not seen), then
 * again; the two answers are the same (status, media type, cache-control, body), and the second
 * skips Apollo exactly when the query succeeded. The benchmark's queries, navigation, history,
 * as-of, filters, enums, aliases, and the coded errors (page too large, bad cursor, variables).
 */
const order = demoOrderChange;

describe('accepted queries over real state', () => {
  const kafka = testKafka();
  const ordersTopic = uniqueName('raw.mongo.orders');
  const customersTopic = uniqueName('raw.pg.customers');
  let ingest: IngestionHarness;
  let api: ApiHarness;
  let viaApollo: jest.SpyInstance;

  beforeAll(async () => {
    ingest = await startIngestionHarness([specFromFile('order.json', ordersTopic), specFromFile('customer.json', customersTopic)]);
    await produce(
      kafka,
      customersTopic,
      EMAILS.map((email, i) =>
        pgChange({
          op: 'c',
          key: { id: i + 1 },
          lsn: 100 + i,
          after: { id: i + 1, email, name: `Customer ${i + 1}`, balance: '10.50', tier: ['gold', 'silver', 'bronze'][i] },
        }),
      ),
    );
    await produce(kafka, ordersTopic, [...Array.from({ length: 12 }, (_, k) => order(k, 1)), order(1, 2, 'b@x.io')]);
    await ingest.waitForOutcomes(3 + 13);
    api = await startApiHarness(ingest.db);
    viaApollo = jest.spyOn(ApolloServer.prototype, 'executeHTTPGraphQLRequest');
  });
  afterAll(async () => {
    viaApollo?.mockRestore();
    await api?.stop();
    await ingest?.stop();
  });

  const post = async (body: unknown, accept?: string) => {
    const response = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}`, ...(accept ? { accept } : {}) },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      cacheControl: response.headers.get('cache-control'),
      body: await response.text(),
    };
  };
  const twice = async (body: unknown, accept?: string) => {
    const before = viaApollo.mock.calls.length;
    const first = await post(body, accept);
    const second = await post(body, accept);
    return { first, second, apollo: viaApollo.mock.calls.length - before };
  };

  it.each([
    [
      'order(id), the benchmark query',
      { query: 'query Order($id: ID!) { order(id: $id) { id order_id currency customer { email } line_items { sku } } }', variables: { id: oid(3) } },
    ],
    [
      'orders(first: 20) with totalCount',
      { query: '{ orders(first: 20) { totalCount edges { cursor node { id order_id currency } } pageInfo { hasNextPage endCursor } } }' },
    ],
    ['a page without totalCount', { query: '{ orders(first: 5) { edges { cursor node { id order_id } } pageInfo { hasNextPage endCursor } } }' }],
    ['a missing order', { query: 'query($id: ID!) { order(id: $id) { id } }', variables: { id: oid(999) } }],
    [
      'history and metadata',
      { query: `{ orderHistory(id: "${oid(1)}", first: 3) { totalCount edges { node { op version changedFields sourceTs node { customer { email } } } } } }` },
    ],
    [
      'a filter, aliases',
      { query: '{ a: orders(where: { customer: { email: { eq: "b@x.io" } } }) { totalCount } b: orders(first: 2) { edges { node { id } } } }' },
    ],
  ])('%s: the same answer twice, the second without Apollo', async (_name, body) => {
    // A different query text per media type (a trailing space): a document Apollo has not seen yet.
    for (const [accept, text] of [[undefined, body.query] as const, ['application/graphql-response+json', `${body.query} `] as const]) {
      const { first, second, apollo } = await twice({ ...body, query: text }, accept);
      expect(first.status).toBe(200);
      expect(JSON.parse(first.body).errors).toBeUndefined();
      expect(second).toEqual(first);
      expect(apollo).toBe(1);
    }
  });

  it.each([
    ['page too large', { query: '{ orders(first: 100000) { totalCount } }' }],
    ['bad cursor', { query: '{ orders(after: "garbage") { totalCount } }' }],
    ['variables that do not coerce', { query: 'query($n: Int) { orders(first: $n) { totalCount } }', variables: { n: 'ten' } }],
  ])('%s: the same coded answer twice, both from Apollo', async (_name, body) => {
    const { first, second, apollo } = await twice(body);
    expect(JSON.parse(first.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(second).toEqual(first);
    expect(apollo).toBe(2);
  });
});
