import { fanOutDocument } from '../../support/fragment-fanout-probe';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { createLeftovers } from '../../support/test-env';
import { bearer, openAcked } from './auth-support';

/**
 * Hostile operations against a running canonql (ingest + api on the real stack), issue 14 items
 * 3, 4 and 7, over HTTP and graphql-ws: each is refused with its code, and after each one a
 * normal query is answered from the store and `/readyz` says ready.
 */
type Reply = { status: number; body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };

describe('hostile queries', () => {
  const leftovers = createLeftovers();
  let target: AppUnderTest;

  beforeAll(async () => {
    target = await startAppUnderTest('hostile-queries');
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  const post = async (body: unknown): Promise<Reply> => {
    const response = await fetch(target.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(TEST_ADMIN_KEY) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Reply['body'] };
  };
  const codeOf = (reply: Reply) => reply.body.errors?.[0]?.extensions?.code;
  /** After every probe: a normal query is answered from the store, and readiness is honest. */
  const stillServing = async () => {
    const reply = await post({ query: '{ orders(first: 1) { totalCount } }' });
    expect([reply.status, reply.body]).toEqual([200, { data: { orders: { totalCount: 0 } } }]);
    const ready = await fetch(`${target.app.url}/readyz`);
    expect(ready.status).toBe(200);
  };
  const lists = Array.from({ length: 30 }, (_, i) => `l${i}: orders(first: 100) { edges { node { id order_id region customer { email } } } }`).join(' ');

  it('a 30-level fragment fan-out over HTTP: COST_LIMIT_EXCEEDED, answered at once', async () => {
    const started = Date.now();
    const reply = await post({ query: fanOutDocument(30, '__typename') });
    expect([reply.status, codeOf(reply)]).toEqual([400, 'COST_LIMIT_EXCEEDED']);
    process.stdout.write(`30-level fan-out over HTTP refused in ${Date.now() - started} ms\n`);
    await stillServing();
  });

  it('a 30-level fragment fan-out over graphql-ws (query and subscription): an error for that operation, the socket stays', async () => {
    const socket = await openAcked(target.app.graphqlUrl, bearer(TEST_ADMIN_KEY));
    leftovers.add(async () => socket.close());
    for (const [id, query] of [
      ['q', fanOutDocument(30, '__typename')],
      ['s', fanOutDocument(30, 'orderChanged{op}', 'subscription')],
    ] as const) {
      socket.send({ id, type: 'subscribe', payload: { query } });
      const error = await socket.next('error', 20_000);
      expect(error.id).toBe(id);
      expect((error.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    }
    expect(socket.isOpen).toBe(true);
    await stillServing();
  });

  it('fragment spreads cannot push the cost estimator past its node limit to bypass the cost limit', async () => {
    const fragments = [
      'fragment F0 on Query { __typename }',
      ...Array.from({ length: 14 }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`),
    ].join('\n');
    expect(codeOf(await post({ query: `{ ${lists} }` }))).toBe('COST_LIMIT_EXCEEDED');
    expect(codeOf(await post({ query: `{ ${lists} ...F14 }\n${fragments}` }))).toBe('COST_LIMIT_EXCEEDED');
    await stillServing();
  });

  it('a document with a cheap and a costly operation: each checked on its own', async () => {
    const query = `query Cheap { __typename } query Costly { ${lists} }`;
    expect(await post({ query, operationName: 'Cheap' })).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    expect(codeOf(await post({ query, operationName: 'Costly' }))).toBe('COST_LIMIT_EXCEEDED');
    await stillServing();
  });

  it('persisted queries of an unsupported version or with a wrong hash: 400 BAD_REQUEST', async () => {
    for (const persistedQuery of [
      { version: 2, sha256Hash: 'abc' },
      { version: 1, sha256Hash: '0'.repeat(64) },
    ]) {
      const reply = await post({ query: '{ __typename }', extensions: { persistedQuery } });
      expect([reply.status, codeOf(reply)]).toEqual([400, 'BAD_REQUEST']);
    }
    await stillServing();
  });

  it('a where nested 1,000 deep in a variable: BAD_USER_INPUT over HTTP and graphql-ws (was INTERNAL_SERVER_ERROR, and a socket closed 4500)', async () => {
    const where = JSON.parse(`${'{"or":['.repeat(1000)}{"region":{"eq":"r1"}}${']}'.repeat(1000)}`) as unknown;
    const reply = await post({ query: 'query($w: OrderWhere) { orders(first: 1, where: $w) { totalCount } }', variables: { w: where } });
    expect([reply.status, codeOf(reply), reply.body.data]).toEqual([400, 'BAD_USER_INPUT', undefined]);
    const socket = await openAcked(target.app.graphqlUrl, bearer(TEST_ADMIN_KEY));
    leftovers.add(async () => socket.close());
    socket.send({
      id: 'deep',
      type: 'subscribe',
      payload: { query: 'subscription($w: OrderWhere) { orderChanged(where: $w) { op } }', variables: { w: where } },
    });
    const error = await socket.next('error', 20_000);
    expect([error.id, (error.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code]).toEqual(['deep', 'BAD_USER_INPUT']);
    expect(socket.isOpen).toBe(true);
    await stillServing();
  });

  it('a 1 MB contains: BAD_USER_INPUT before the store (which compiled it as a regular expression per document, holding its lock)', async () => {
    const reply = await post({
      query: 'query($w: OrderWhere) { orders(first: 1, where: $w) { totalCount } }',
      variables: { w: { region: { contains: 'a('.repeat(400_000) } } },
    });
    expect([reply.status, codeOf(reply)]).toEqual([200, 'BAD_USER_INPUT']);
    expect(reply.body.errors?.[0]?.message).toBe('where.region.contains: a text of 800000 characters; at most 1000 are allowed');
    await stillServing();
  });

  it('a graphql-ws message beyond CANONQL_MAX_BODY_BYTES: the socket is closed 1009 before it is read (an in list of a million values stalled the event loop for seconds)', async () => {
    const socket = await openAcked(target.app.graphqlUrl, bearer(TEST_ADMIN_KEY));
    leftovers.add(async () => socket.close());
    socket.send({
      id: 'big',
      type: 'subscribe',
      payload: {
        query: 'query($w: OrderWhere) { orders(first: 1, where: $w) { totalCount } }',
        variables: { w: { region: { in: Array.from({ length: 1_000_000 }, (_, i) => `r${i}`) } } },
      },
    });
    expect((await socket.closed).code).toBe(1009);
    await stillServing();
  });

  it('a chain of 5,000 fragment spreads: GRAPHQL_PARSE_FAILED over HTTP and graphql-ws (validation overflowed the stack: INTERNAL_SERVER_ERROR)', async () => {
    const fragments = Array.from({ length: 5_000 }, (_, i) => `fragment F${i} on Query { ${i + 1 < 5_000 ? `...F${i + 1}` : '__typename'} }`);
    const query = `query { ...F0 }\n${fragments.join('\n')}`;
    const reply = await post({ query });
    expect([reply.status, codeOf(reply)]).toEqual([400, 'GRAPHQL_PARSE_FAILED']);
    expect(reply.body.errors?.[0]?.message).toMatch(/20000 tokens/);
    const socket = await openAcked(target.app.graphqlUrl, bearer(TEST_ADMIN_KEY));
    leftovers.add(async () => socket.close());
    socket.send({ id: 'chain', type: 'subscribe', payload: { query } });
    const error = await socket.next('error', 20_000);
    expect((error.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    await stillServing();
  });

  it('a query nested 100,000 levels deep: refused as unreadable (400), the process unharmed', async () => {
    const query = `{ ${'orders { edges { node { '.repeat(1)}${'a { '.repeat(100_000)}b${' }'.repeat(100_000)} } } } }`;
    const reply = await post({ query });
    expect(reply.status).toBe(400);
    expect(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'DEPTH_LIMIT_EXCEEDED']).toContain(codeOf(reply));
    await stillServing();
  });
});
