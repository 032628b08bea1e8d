import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { CUSTOMER_READER_KEY, JWT_SECRET, READER_KEY, bearer, createCredentials, openAcked, openRaw, type Credentials } from './auth-support';

/**
 * Authentication and roles against a running canonql: API keys with roles and subject scopes,
 * JWTs verified offline (HS256 secret, RS256 from a JWKS file; issuer checked), over HTTP and in
 * graphql-ws `connection_init`; anonymous access open or refused by CANONQL_REQUIRE_AUTH; a
 * production process with no credential configured does not start.
 */
type Body = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };

const READ = '{ orders(first: 1) { totalCount } customers(first: 1) { totalCount } }';
const MUTATE = 'mutation { profileRawTopic(topic: "raw.auth.never.created") }';

describe('authentication and roles', () => {
  let creds: Credentials;
  let app: AppUnderTest;

  beforeAll(async () => {
    creds = await createCredentials();
    app = await startAppUnderTest('auth', creds.env);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const post = async (query: string, authorization?: string): Promise<{ status: number; body: Body }> => {
    const response = await fetch(app.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const code = (reply: { body: Body }) => reply.body.errors?.[0]?.extensions?.code;
  /** A mutation that passed authorization fails later for its own reason (no such topic), never for the role. */
  const passedRole = (reply: { status: number; body: Body }) => reply.status === 200 && !['UNAUTHENTICATED', 'FORBIDDEN'].includes(code(reply) ?? '');

  it('API keys: readers read, only admins mutate; CANONQL_ADMIN_KEYS keeps working', async () => {
    expect((await post(READ, bearer(READER_KEY))).body).toEqual({ data: { orders: { totalCount: 0 }, customers: { totalCount: 0 } } });
    const readerMutates = await post(MUTATE, bearer(READER_KEY));
    expect([readerMutates.status, code(readerMutates)]).toEqual([403, 'FORBIDDEN']);
    expect(passedRole(await post(MUTATE, bearer(TEST_ADMIN_KEY)))).toBe(true);
  });

  it('anonymous callers read when auth is not required, and get 401 for a mutation', async () => {
    expect((await post(READ)).body.errors).toBeUndefined();
    const anonymousMutates = await post(MUTATE);
    expect([anonymousMutates.status, code(anonymousMutates)]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('a reader scoped to customer reads customers only', async () => {
    expect((await post('{ customers { totalCount } }', bearer(CUSTOMER_READER_KEY))).body).toEqual({ data: { customers: { totalCount: 0 } } });
    const orders = await post('{ orders { totalCount } }', bearer(CUSTOMER_READER_KEY));
    expect(code(orders)).toBe('FORBIDDEN');
    expect(orders.body.errors?.[0]?.message).toBe('this credential may not read subject "order"');
    // Metric definitions over subjects it may not read are not listed.
    const definitions = await post('{ metricDefinitions { name subject } }', bearer(CUSTOMER_READER_KEY));
    expect(definitions.body).toEqual({ data: { metricDefinitions: [] } });
    const readable = await post('{ metricDefinitions { name } }', bearer(READER_KEY));
    expect(readable.body.data?.metricDefinitions).toEqual(expect.arrayContaining([{ name: expect.any(String) }]));
  });

  describe('JWT', () => {
    it('HS256: role and subjects from the claims', async () => {
      const admin = await creds.hs256({ sub: 'ops', role: 'admin' });
      expect(passedRole(await post(MUTATE, bearer(admin)))).toBe(true);
      const reader = await creds.hs256({ sub: 'analyst' });
      expect((await post(READ, bearer(reader))).body.errors).toBeUndefined();
      expect(code(await post(MUTATE, bearer(reader)))).toBe('FORBIDDEN');
      const scoped = await creds.hs256({ sub: 'crm', role: 'reader', subjects: ['customer'] });
      expect((await post('{ customers { totalCount } }', bearer(scoped))).body.errors).toBeUndefined();
      expect(code(await post('{ orders { totalCount } }', bearer(scoped)))).toBe('FORBIDDEN');
      const spaceSeparated = await creds.hs256({ sub: 'crm', subjects: 'customer order' });
      expect((await post(READ, bearer(spaceSeparated))).body.errors).toBeUndefined();
    });

    it('JWKS RS256: valid, signed by a key not in the set, expired', async () => {
      expect(passedRole(await post(MUTATE, bearer(await creds.rs256({ role: 'admin' }))))).toBe(true);
      expect((await post(READ, bearer(await creds.rs256({ role: 'reader' })))).body.errors).toBeUndefined();
      const refused = {
        stranger: await post(READ, bearer(await creds.rs256({ role: 'admin' }, { key: creds.strangerKey }))),
        expired: await post(READ, bearer(await creds.rs256({ role: 'admin' }, { expiresIn: Math.floor(Date.now() / 1000) - 10 }))),
      };
      expect(refused.stranger.status).toBe(401);
      expect(refused.stranger.body.errors?.[0]).toMatchObject({ message: 'invalid JWT: signature does not verify', extensions: { code: 'UNAUTHENTICATED' } });
      expect(refused.expired.status).toBe(401);
      expect(refused.expired.body.errors?.[0]?.message).toBe('invalid JWT: expired');
    });

    it('HS256: wrong issuer, missing exp, a wrong secret, an unknown role', async () => {
      const secret = new TextEncoder().encode(JWT_SECRET);
      const otherIssuer = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://elsewhere')
        .setExpirationTime('5m')
        .sign(secret);
      const noExpiry = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test').sign(secret);
      const wrongIssuer = await post(READ, bearer(otherIssuer));
      expect([wrongIssuer.status, wrongIssuer.body.errors?.[0]?.message]).toEqual([401, 'invalid JWT: claim "iss" is not accepted']);
      const missingExp = await post(READ, bearer(noExpiry));
      expect([missingExp.status, missingExp.body.errors?.[0]?.message]).toEqual([401, 'invalid JWT: claim "exp" is missing']);
      const wrongSecret = await post(READ, bearer(await creds.hs256({ role: 'admin' }, { secret: 'x'.repeat(40) })));
      expect([wrongSecret.status, code(wrongSecret)]).toEqual([401, 'UNAUTHENTICATED']);
      const guest = await post(READ, bearer(await creds.hs256({ role: 'guest' })));
      expect([guest.status, code(guest)]).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('websockets', () => {
    it('connection_init carries the credential: a valid one is acknowledged, a bad one closes 4401, a role-less token 4403', async () => {
      const ok = await openAcked(app.app.graphqlUrl, bearer(await creds.rs256({ role: 'reader' })));
      ok.send({ id: '1', type: 'subscribe', payload: { query: '{ orders { totalCount } }' } });
      expect(await ok.next('next')).toMatchObject({ id: '1', payload: { data: { orders: { totalCount: 0 } } } });
      ok.close();

      const expired = await openRaw(app.app.graphqlUrl);
      expired.send({ type: 'connection_init', payload: { authorization: bearer(await creds.hs256({}, { expiresIn: Math.floor(Date.now() / 1000) - 5 })) } });
      expect(await expired.closed).toEqual({ code: 4401, reason: 'UNAUTHENTICATED: invalid JWT: expired' });

      const guest = await openRaw(app.app.graphqlUrl);
      guest.send({ type: 'connection_init', payload: { authorization: bearer(await creds.hs256({ role: 'guest' })) } });
      expect((await guest.closed).code).toBe(4403);
    });

    it('a mutation over the socket needs the admin role too', async () => {
      const reader = await openAcked(app.app.graphqlUrl, bearer(READER_KEY));
      reader.send({ id: 'm', type: 'subscribe', payload: { query: MUTATE } });
      expect(await reader.next('error')).toMatchObject({ id: 'm', payload: [{ extensions: { code: 'FORBIDDEN' } }] });
      reader.close();
    });

    it('graphql-ws clients pass the credential in connectionParams', async () => {
      const client = createClient({
        url: app.app.graphqlUrl.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: bearer(CUSTOMER_READER_KEY) },
      });
      try {
        const result = await new Promise<unknown>((resolve, reject) => {
          client.subscribe({ query: '{ customers { totalCount } }' }, { next: resolve, error: reject, complete: () => undefined });
        });
        expect(result).toEqual({ data: { customers: { totalCount: 0 } } });
      } finally {
        await client.dispose();
      }
    });
  });
});

describe('secure by default', () => {
  it('CANONQL_REQUIRE_AUTH: anonymous HTTP gets 401 UNAUTHENTICATED, an anonymous websocket closes 4401', async () => {
    const app = await startAppUnderTest('auth-required', { CANONQL_REQUIRE_AUTH: 'true' });
    try {
      const anonymous = await fetch(app.app.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as Body).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await app.ok('{ __typename }')).toEqual({ __typename: 'Query' });
      const socket = await openRaw(app.app.graphqlUrl);
      socket.send({ type: 'connection_init', payload: {} });
      expect((await socket.closed).code).toBe(4401);
    } finally {
      await app.stop();
    }
  });

  it('production with no credential configured refuses to start (CONFIG_INVALID naming it)', async () => {
    await expect(startAppUnderTest('auth-production', { CANONQL_MODE: 'production', CANONQL_ADMIN_KEYS: '' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      details: expect.arrayContaining([expect.stringContaining('no credentials configured')]),
    });
  });

  it('production defaults: credential required, introspection off', async () => {
    const app = await startAppUnderTest('auth-production-ok', { CANONQL_MODE: 'production' });
    try {
      const anonymous = await app.gql('{ __typename }', {}, { admin: false });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await app.gql('{ __schema { queryType { name } } }')).errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
      expect(await app.ok('{ __typename }')).toEqual({ __typename: 'Query' });
    } finally {
      await app.stop();
    }
  });
});
