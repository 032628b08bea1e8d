import type { MongoClient } from 'mongodb';
import { stateCollectionName } from '../../../src/state/entity-store';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { testMongo } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { CUSTOMER_READER_KEY, RATE_KEY, READER_KEY, bearer, createCredentials, openAcked, openRaw, type Credentials } from './auth-support';

/**
 * Bad input against a running canonql (ingest + api on the real stack): every kind of abuse gets
 * its own code (HTTP status, `errors[0].extensions.code`, or websocket close code), is refused
 * before anything executes, and the service goes on serving everybody else (`stillServing`
 * after each case).
 */
type Reply = {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; details?: unknown } }[];
  };
};

const CHANGED = 'subscription { orderChanged { op key } }';

describe('bad input', () => {
  let app: AppUnderTest;
  let creds: Credentials;

  beforeAll(async () => {
    creds = await createCredentials();
    app = await startAppUnderTest('bad-input', {
      ...creds.env,
      CANONQL_REQUIRE_AUTH: 'true',
      CANONQL_RATE_LIMIT_PER_MINUTE: '100',
      CANONQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
      CANONQL_MAX_BODY_BYTES: '65536',
      // The served schema nests 8 deep at most (history → change → entity → relation → meta), so a bomb needs a lower bound.
      CANONQL_MAX_DEPTH: '6',
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const post = async (body: unknown, options: { key?: string | null; headers?: Record<string, string>; raw?: boolean } = {}): Promise<Reply> => {
    const key = options.key === undefined ? TEST_ADMIN_KEY : options.key;
    const response = await fetch(app.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: bearer(key) } : {}), ...options.headers },
      body: options.raw ? (body as string) : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as Reply['body'] };
  };
  const codeOf = (reply: Reply) => reply.body.errors?.[0]?.extensions?.code;

  /** Another caller is served normally, over the store. */
  const stillServing = async () => {
    const reply = await post({ query: '{ orders(first: 1) { totalCount } }' }, { key: READER_KEY });
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data).toEqual({ orders: { totalCount: 0 } });
  };

  it('depth bomb: DEPTH_LIMIT_EXCEEDED, through fragments too', async () => {
    const deep = '{ orderHistory(id: "x") { edges { node { node { customer { account { _meta { version } } } } } } } }';
    const viaFragments =
      'query { orderHistory(id: "x") { ...E } } fragment E on OrderChangeConnection { edges { node { node { ...C } } } } fragment C on Order { customer { account { _meta { version } } } }';
    for (const query of [deep, viaFragments]) {
      const reply = await post({ query });
      expect([reply.status, codeOf(reply)]).toEqual([400, 'DEPTH_LIMIT_EXCEEDED']);
      expect(reply.body.data).toBeUndefined();
    }
    // Introspection nesting is bounded by graphql-js itself (MaxIntrospectionDepthRule).
    let selection = 'name';
    for (let i = 0; i < 8; i += 1) selection = `fields { type { ${selection} } }`;
    const introspection = await post({ query: `{ __schema { types { ${selection} } } }` });
    expect([introspection.status, codeOf(introspection)]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
    await stillServing();
  });

  it('cost bomb: COST_LIMIT_EXCEEDED (lists cost their children times first)', async () => {
    const list = 'orders(first: 100) { edges { node { id order_id region customer { email account { id email } } } } }';
    const reply = await post({ query: `{ ${Array.from({ length: 30 }, (_, i) => `l${i}: ${list}`).join(' ')} }` });
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('COST_LIMIT_EXCEEDED');
    expect(reply.body.errors?.[0]?.extensions?.details).toEqual({ cost: 30_030, max: 20_000 });
    await stillServing();
  });

  it('alias flood: ALIAS_LIMIT_EXCEEDED', async () => {
    const reply = await post({ query: `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ')} }` });
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('ALIAS_LIMIT_EXCEEDED');
    // Ten aliases are an ordinary query.
    expect((await post({ query: `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: __typename`).join(' ')} }` })).status).toBe(200);
    await stillServing();
  });

  it('huge first: BAD_USER_INPUT, a field error with its path (200), literal or variable', async () => {
    const literal = await post({ query: '{ orders(first: 100000) { totalCount } }' });
    expect(literal.status).toBe(200);
    expect(codeOf(literal)).toBe('BAD_USER_INPUT');
    expect(literal.body.errors?.[0]?.path).toEqual(['orders']);
    // orders is non-null, so its error makes data null (null propagation); data is there, unlike a refusal's.
    expect(literal.body.data).toBeNull();
    const variable = await post({ query: 'query($n: Int) { orderHistory(id: "x", first: $n) { totalCount } }', variables: { n: 1_000_000 } });
    expect(variable.status).toBe(200);
    expect(codeOf(variable)).toBe('BAD_USER_INPUT');
    expect(variable.body.errors?.[0]?.path).toEqual(['orderHistory']);
    await stillServing();
  });

  it('oversized body: HTTP 413 PAYLOAD_TOO_LARGE', async () => {
    const reply = await post({ query: `{ __typename }  # ${'x'.repeat(100_000)}` });
    expect(reply.status).toBe(413);
    expect(codeOf(reply)).toBe('PAYLOAD_TOO_LARGE');
    await stillServing();
  });

  it('missing CSRF header: CSRF_BLOCKED (a GET without a preflight-forcing header)', async () => {
    const response = await fetch(`${app.app.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { authorization: bearer(TEST_ADMIN_KEY), accept: 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Reply['body']).errors?.[0]?.extensions?.code).toBe('CSRF_BLOCKED');
    // The same GET with the header Apollo asks for is served.
    const allowed = await fetch(`${app.app.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { authorization: bearer(TEST_ADMIN_KEY), accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(allowed.status).toBe(200);
    await stillServing();
  });

  it('malformed JSON: INVALID_JSON', async () => {
    const reply = await post('{"query": "{ __typename }"', { raw: true });
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('INVALID_JSON');
    await stillServing();
  });

  it('wrong types: BAD_USER_INPUT for variables, GRAPHQL_VALIDATION_FAILED for literals', async () => {
    const variables = await post({ query: 'query($id: ID!) { order(id: $id) { id } }', variables: { id: { not: 'an id' } } });
    expect(variables.status).toBe(400);
    expect(codeOf(variables)).toBe('BAD_USER_INPUT');
    const literal = await post({ query: '{ orders(first: "ten") { totalCount } }' });
    expect(literal.status).toBe(400);
    expect(codeOf(literal)).toBe('GRAPHQL_VALIDATION_FAILED');
    await stillServing();
  });

  it('unknown fields: GRAPHQL_VALIDATION_FAILED', async () => {
    const reply = await post({ query: '{ orders { edges { node { no_such_field } } } }' });
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('GRAPHQL_VALIDATION_FAILED');
    await stillServing();
  });

  it('batched operations are refused while batching is off: BATCHING_DISABLED', async () => {
    const reply = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(reply.status).toBe(400);
    expect(codeOf(reply)).toBe('BATCHING_DISABLED');
    await stillServing();
  });

  it('bad credentials: HTTP 401 UNAUTHENTICATED (wrong key, missing, bad JWT signature, expired JWT)', async () => {
    const query = { query: '{ __typename }' };
    const replies = {
      wrongKey: await post(query, { key: 'not-a-configured-key-at-all' }),
      missing: await post(query, { key: null }),
      badSignature: await post(query, { key: await creds.hs256({ role: 'reader' }, { secret: 'another-secret-of-at-least-32-characters!' }) }),
      expired: await post(query, { key: await creds.hs256({ role: 'reader' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }) }),
      notBearer: await post(query, { key: null, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
    };
    for (const [name, reply] of Object.entries(replies)) {
      expect([name, reply.status, codeOf(reply)]).toEqual([name, 401, 'UNAUTHENTICATED']);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="canonql"');
    }
    expect(replies.expired.body.errors?.[0]?.message).toBe('invalid JWT: expired');
    expect(replies.badSignature.body.errors?.[0]?.message).toBe('invalid JWT: signature does not verify');
    await stillServing();
  });

  it('a reader calling a mutation: HTTP 403 FORBIDDEN before execution', async () => {
    const reply = await post({ query: 'mutation { profileRawTopic(topic: "raw.never.created") }' }, { key: READER_KEY });
    expect(reply.status).toBe(403);
    expect(codeOf(reply)).toBe('FORBIDDEN');
    expect(reply.body.data).toBeUndefined();
    await stillServing();
  });

  it("scope violation: FORBIDDEN for a subject outside the reader's scope (query, aggregate, metric, subscription)", async () => {
    const own = await post({ query: '{ customers { totalCount } }' }, { key: CUSTOMER_READER_KEY });
    expect(own.body).toEqual({ data: { customers: { totalCount: 0 } } });
    for (const query of [
      '{ orders { totalCount } }',
      '{ order(id: "1") { id } }',
      '{ orderHistory(id: "1") { totalCount } }',
      '{ ordersAggregate { count } }',
      '{ metric(name: "order-amount", window: hour) { count } }',
    ]) {
      const reply = await post({ query }, { key: CUSTOMER_READER_KEY });
      expect([query, codeOf(reply)]).toEqual([query, 'FORBIDDEN']);
    }
    const socket = await openAcked(app.app.graphqlUrl, bearer(CUSTOMER_READER_KEY));
    socket.send({ id: 'o', type: 'subscribe', payload: { query: CHANGED } });
    // Refused when the subscription starts: one result carrying the error, then complete.
    expect(await socket.next('next')).toMatchObject({ id: 'o', payload: { errors: [{ extensions: { code: 'FORBIDDEN' } }] } });
    expect(await socket.next('complete')).toMatchObject({ id: 'o' });
    expect(socket.isOpen).toBe(true);
    socket.close();
    await stillServing();
  });

  it('rate limit: HTTP 429 RATE_LIMITED with Retry-After for that credential only', async () => {
    let limited: Reply | null = null;
    for (let i = 0; i < 150 && !limited; i += 1) {
      const reply = await post({ query: '{ __typename }' }, { key: RATE_KEY });
      if (reply.status === 429) limited = reply;
      else expect(reply.status).toBe(200);
    }
    expect(limited).not.toBeNull();
    expect(codeOf(limited!)).toBe('RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await stillServing();
  });

  it('too many subscriptions on one socket: TOO_MANY_SUBSCRIPTIONS for that subscribe, the connection stays', async () => {
    const socket = await openAcked(app.app.graphqlUrl, bearer(READER_KEY));
    for (const id of ['1', '2', '3']) socket.send({ id, type: 'subscribe', payload: { query: CHANGED } });
    socket.send({ id: '4', type: 'subscribe', payload: { query: CHANGED } });
    expect(await socket.next('error')).toMatchObject({ id: '4', payload: [{ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] });
    // The socket still works: one completed, another one fits.
    socket.send({ id: '1', type: 'complete' });
    socket.send({ id: '5', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await socket.next('next')).toMatchObject({ id: '5', payload: { data: { __typename: 'Query' } } });
    expect(socket.isOpen).toBe(true);
    socket.close();
    await stillServing();
  });

  describe('websocket protocol abuse (close codes)', () => {
    it('subscribe before connection_init: 4401', async () => {
      const socket = await openRaw(app.app.graphqlUrl);
      socket.send({ id: '1', type: 'subscribe', payload: { query: CHANGED } });
      expect((await socket.closed).code).toBe(4401);
      await stillServing();
    });

    it('a duplicate operation id: 4409', async () => {
      const socket = await openAcked(app.app.graphqlUrl, bearer(READER_KEY));
      socket.send({ id: 'same', type: 'subscribe', payload: { query: CHANGED } });
      socket.send({ id: 'same', type: 'subscribe', payload: { query: CHANGED } });
      expect((await socket.closed).code).toBe(4409);
      await stillServing();
    });

    it('a second connection_init: 4429', async () => {
      const socket = await openAcked(app.app.graphqlUrl, bearer(READER_KEY));
      socket.send({ type: 'connection_init', payload: { authorization: bearer(READER_KEY) } });
      expect((await socket.closed).code).toBe(4429);
      await stillServing();
    });

    it('no connection_init in time: 4408', async () => {
      const socket = await openRaw(app.app.graphqlUrl);
      const started = Date.now();
      expect((await socket.closed).code).toBe(4408);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
      await stillServing();
    });

    it('an unreadable message: 4400', async () => {
      const socket = await openAcked(app.app.graphqlUrl, bearer(READER_KEY));
      socket.send({ type: 'no-such-message-type' });
      expect((await socket.closed).code).toBe(4400);
      await stillServing();
    });

    it('bad or missing credentials in connection_init: 4401; a token without a canonql role: 4403', async () => {
      for (const authorization of [
        bearer('not-a-configured-key-at-all'),
        undefined,
        bearer(await creds.rs256({ role: 'reader' }, { key: creds.strangerKey })),
      ]) {
        const socket = await openRaw(app.app.graphqlUrl);
        socket.send({ type: 'connection_init', payload: authorization ? { authorization } : {} });
        expect((await socket.closed).code).toBe(4401);
      }
      const socket = await openRaw(app.app.graphqlUrl);
      socket.send({ type: 'connection_init', payload: { authorization: bearer(await creds.rs256({ role: 'guest' })) } });
      expect((await socket.closed).code).toBe(4403);
      await stillServing();
    });
  });
});

describe('bad input: introspection off, timeouts, batches', () => {
  // Two apps: the deadline case's is set artificially low (150 ms) so that an ad-hoc aggregate
  // certainly outlives it, which on a loaded machine any operation might; the other cases run on
  // an app with the default deadline, so only the deadline case depends on the deadline.
  let app: AppUnderTest;
  let deadlineApp: AppUnderTest;
  let mongo: MongoClient;

  beforeAll(async () => {
    app = await startAppUnderTest('bad-input-limits', {
      CANONQL_INTROSPECTION: 'false',
      CANONQL_BATCHED_HTTP: 'true',
      CANONQL_MAX_BATCH: '2',
    });
    deadlineApp = await startAppUnderTest('bad-input-deadline', { CANONQL_OPERATION_TIMEOUT_MS: '150' });
    mongo = await testMongo();
    // Enough current state that an ad-hoc aggregate over all of it takes longer than the deadline.
    const now = new Date();
    const docs = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        _id: `o${i}`,
        data: { order_id: `o${i}`, region: `r${i % 7}` },
        _meta: {
          version: 1,
          positions: {},
          position: '',
          specId: 's',
          specVersion: 1,
          sourceTsMs: null,
          createdAt: now,
          updatedAt: now,
          deleted: false,
          lastEventId: '',
        },
      }));
    await mongo
      .db(app.database)
      .collection(stateCollectionName('order'))
      .insertMany(docs(10) as never[]);
    const big = docs(60_000);
    const collection = mongo.db(deadlineApp.database).collection(stateCollectionName('order'));
    for (let i = 0; i < big.length; i += 10_000) await collection.insertMany(big.slice(i, i + 10_000) as never[]);
  });
  afterAll(async () => {
    for (const target of [app, deadlineApp]) {
      await target?.stop();
      if (target) await mongo?.db(target.database).dropDatabase();
    }
    await mongo?.close();
  });

  const postTo = async (target: AppUnderTest, body: unknown) => {
    const response = await fetch(target.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(TEST_ADMIN_KEY) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Reply['body'] & Reply['body'][] };
  };
  const post = (body: unknown) => postTo(app, body);
  const stillServing = async (target: AppUnderTest = app) => {
    // A timed-out operation's store work runs on (bounded by CANONQL_AGGREGATE_MAX_SCAN), and under
    // the low deadline a read may time out too while it does: wait until one is answered.
    const reply = await waitFor(
      'a read to be answered',
      async () => {
        const r = await postTo(target, { query: '{ order(id: "o1") { region } }' });
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(reply.body).toEqual({ data: { order: { region: 'r1' } } });
  };

  it('introspection: INTROSPECTION_DISABLED for __schema and __type; __typename still answers', async () => {
    for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Order") { name } }']) {
      const reply = await post({ query });
      expect([query, reply.status, reply.body.errors?.[0]?.extensions?.code]).toEqual([query, 400, 'INTROSPECTION_DISABLED']);
    }
    expect((await post({ query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
    await stillServing();
  });

  it('an operation past its deadline: HTTP 504 OPERATION_TIMEOUT, and the process serves on', async () => {
    const reply = await postTo(deadlineApp, { query: '{ ordersAggregate(groupBy: ["region"]) { count } }' });
    expect([reply.status, reply.body.errors?.[0]?.extensions?.code]).toEqual([504, 'OPERATION_TIMEOUT']);
    await stillServing(deadlineApp);
  });

  it('batches: served up to CANONQL_MAX_BATCH, BATCH_LIMIT_EXCEEDED beyond', async () => {
    const two = await post([{ query: '{ __typename }' }, { query: '{ order(id: "o2") { region } }' }]);
    expect(two.status).toBe(200);
    expect(two.body).toEqual([{ data: { __typename: 'Query' } }, { data: { order: { region: 'r2' } } }]);
    const three = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(three.status).toBe(400);
    expect(three.body.errors?.[0]?.extensions?.code).toBe('BATCH_LIMIT_EXCEEDED');
    await stillServing();
  });
});
