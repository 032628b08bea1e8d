import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { loadConfig } from '../../../src/config';
import { AppError } from '../../../src/errors';
import {
  ANONYMOUS,
  createAccessPolicy,
  parseApiKeys,
  principalOfClaims,
  requireAdmin,
  requireSubjectRead,
  type AccessPolicy,
} from '../../../src/graphql/access';

const SECRET = 'unit-test-hs256-secret-of-32-chars-or-more';

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parseApiKeys', () => {
  it('reads roles and subject scopes', () => {
    expect(parseApiKeys('aaaaaaaaaaaaaaaa1=reader, bbbbbbbbbbbbbbbb2=reader:order|customer ,cccccccccccccccc3=admin')).toEqual({
      grants: [
        { key: 'aaaaaaaaaaaaaaaa1', role: 'reader', subjects: null },
        { key: 'bbbbbbbbbbbbbbbb2', role: 'reader', subjects: ['order', 'customer'] },
        { key: 'cccccccccccccccc3', role: 'admin', subjects: null },
      ],
      problems: [],
    });
  });

  it('reports every bad entry without echoing a key', () => {
    const { problems } = parseApiKeys('nokeyrole,x=superuser,yyyyyyyyyyyyyyyy=admin:order,zzzzzzzzzzzzzzzz=reader:,short=reader');
    expect(problems).toEqual([
      'CANONQL_API_KEYS entry 1 must be key=admin, key=reader or key=reader:subject|subject',
      'CANONQL_API_KEYS entry 2 must be key=admin, key=reader or key=reader:subject|subject',
      'CANONQL_API_KEYS entry 3: an admin key reads every subject (no :subjects)',
      'CANONQL_API_KEYS entry 4: reader: needs at least one subject',
      'CANONQL_API_KEYS entry 5: keys must be at least 16 characters',
    ]);
    expect(problems.join(' ')).not.toContain('yyyy');
  });
});

describe('access policy', () => {
  let policy: AccessPolicy;
  let esKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    esKey = pair.privateKey;
    policy = createAccessPolicy({
      apiKeys: [
        { key: 'admin-key-0123456789', role: 'admin', subjects: null },
        { key: 'scoped-key-0123456789', role: 'reader', subjects: ['order'] },
      ],
      jwt: { secret: SECRET, jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] }, issuer: 'iss', audience: 'canonql' },
    });
  });
  const hs = (claims: Record<string, unknown>, exp: string | number = '1m', secret = SECRET) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('iss')
      .setAudience('canonql')
      .setSubject('u1')
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));

  it('API keys: admin, scoped reader; a stable non-secret id', async () => {
    const admin = await policy.authenticate('Bearer admin-key-0123456789');
    expect(admin).toMatchObject({ role: 'admin', authenticated: true, subjects: null });
    expect(admin.id).toMatch(/^key:[0-9a-f]{12}$/);
    expect(admin.id).not.toContain('admin-key');
    const scoped = await policy.authenticate('bearer   scoped-key-0123456789 ');
    expect(scoped.role).toBe('reader');
    expect([...scoped.subjects!]).toEqual(['order']);
  });

  it('no credential: anonymous, or UNAUTHENTICATED when required', async () => {
    expect(await policy.authenticate(undefined)).toBe(ANONYMOUS);
    const strict = createAccessPolicy({ apiKeys: [], requireAuth: true });
    expect(await rejection(strict.authenticate(undefined))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await rejection(strict.authenticate(''))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a wrong credential is refused, never downgraded to anonymous', async () => {
    expect(await rejection(policy.authenticate('Bearer nope'))).toEqual({ code: 'UNAUTHENTICATED', message: 'unknown credential' });
    expect(await rejection(policy.authenticate('Token admin-key-0123456789'))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('HS256 JWT: claims give role and scope; expiry, audience and secret are checked', async () => {
    expect(await policy.authenticate(`Bearer ${await hs({ role: 'admin' })}`)).toMatchObject({ role: 'admin', id: 'jwt:iss/u1' });
    const reader = await policy.authenticate(`Bearer ${await hs({ subjects: ['customer'] })}`);
    expect([reader.role, [...reader.subjects!]]).toEqual(['reader', ['customer']]);
    expect(await rejection(policy.authenticate(`Bearer ${await hs({}, Math.floor(Date.now() / 1000) - 1)}`))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'invalid JWT: expired',
    });
    expect((await rejection(policy.authenticate(`Bearer ${await hs({}, '1m', 'z'.repeat(40))}`))).message).toBe('invalid JWT: signature does not verify');
    const otherAudience = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('iss')
      .setAudience('other')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(SECRET));
    expect((await rejection(policy.authenticate(`Bearer ${otherAudience}`))).message).toBe('invalid JWT: claim "aud" is not accepted');
  });

  it('JWKS JWT (ES256) verifies; alg none or an algorithm without a configured key is refused', async () => {
    const es = await new SignJWT({ role: 'reader' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('iss')
      .setAudience('canonql')
      .setExpirationTime('1m')
      .sign(esKey);
    expect(await policy.authenticate(`Bearer ${es}`)).toMatchObject({ role: 'reader', authenticated: true });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"role":"admin"}').toString('base64url')}.`;
    expect(await rejection(policy.authenticate(`Bearer ${none}`))).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'JWT algorithm "none" is not accepted by this server',
    });
    const keysOnly = createAccessPolicy({ apiKeys: [] });
    expect((await rejection(keysOnly.authenticate(`Bearer ${await hs({})}`))).message).toBe('unknown credential');
  });

  it('principalOfClaims: unknown role or malformed subjects are FORBIDDEN; admin ignores subjects', () => {
    expect(() => principalOfClaims({ role: 'root' })).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => principalOfClaims({ subjects: 42 })).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(principalOfClaims({ role: 'admin', subjects: ['order'] }).subjects).toBeNull();
    expect([...principalOfClaims({ subjects: 'order  customer' }).subjects!]).toEqual(['order', 'customer']);
  });

  it('legacy key list and principalFor (no verification of JWTs, never throws)', () => {
    const legacy = createAccessPolicy(['legacy-admin-key']);
    expect(legacy.principalFor('Bearer legacy-admin-key')).toMatchObject({ role: 'admin', authenticated: true });
    expect(legacy.principalFor('Bearer other')).toBe(ANONYMOUS);
    expect(legacy.principalFor(undefined)).toBe(ANONYMOUS);
    expect(legacy.hasCredentials).toBe(true);
    expect(createAccessPolicy([]).hasCredentials).toBe(false);
  });

  it('requireAdmin and requireSubjectRead', () => {
    expect(() => requireAdmin(ANONYMOUS)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => requireAdmin({ role: 'reader', authenticated: true })).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => requireAdmin({ role: 'admin', authenticated: true })).not.toThrow();
    const scoped = { role: 'reader' as const, authenticated: true, subjects: new Set(['order']) };
    expect(() => requireSubjectRead(scoped, 'order')).not.toThrow();
    expect(() => requireSubjectRead(scoped, 'customer')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => requireSubjectRead(ANONYMOUS, 'customer')).not.toThrow();
  });
});

describe('auth and limit settings', () => {
  const base = { CANONQL_MODE: 'test' };
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      return (error as AppError).details as string[];
    }
  };

  it('production: credential required, introspection off, rate limited; development/test: open', () => {
    const production = loadConfig({ CANONQL_MODE: 'production', CANONQL_ADMIN_KEYS: 'k' });
    expect(production.api.auth.requireAuth).toBe(true);
    expect(production.api.limits).toMatchObject({ introspection: false, rateLimitPerMinute: 1200 });
    const test = loadConfig(base);
    expect(test.api.auth.requireAuth).toBe(false);
    expect(test.api.limits).toMatchObject({
      introspection: true,
      rateLimitPerMinute: 0,
      maxDepth: 12,
      maxCost: 20000,
      maxAliases: 50,
      batching: false,
      maxBatch: 10,
      maxBodyBytes: 1048576,
      maxSubscriptionsPerConnection: 100,
      operationTimeoutMs: 30000,
      maxPageSize: 100,
      maxSubscriberBacklog: 1000,
    });
    expect(loadConfig({ ...base, CANONQL_MAX_SUBSCRIBER_BACKLOG: '20000' }).api.limits.maxSubscriberBacklog).toBe(20000);
    expect(problemsOf({ ...base, CANONQL_MAX_SUBSCRIBER_BACKLOG: '0' }).join('\n')).toMatch(/CANONQL_MAX_SUBSCRIBER_BACKLOG/);
    expect(loadConfig({ ...base, CANONQL_REQUIRE_AUTH: 'true', CANONQL_INTROSPECTION: 'false' }).api).toMatchObject({
      auth: { requireAuth: true },
      limits: { introspection: false },
    });
  });

  it('production without any credential refuses to start; an ingest-only process needs none', () => {
    expect(problemsOf({ CANONQL_MODE: 'production' })).toContain(
      'no credentials configured: production mode needs CANONQL_ADMIN_KEYS, CANONQL_API_KEYS, CANONQL_JWT_SECRET or CANONQL_JWT_JWKS_FILE',
    );
    expect(problemsOf({ CANONQL_MODE: 'production', CANONQL_ROLES: 'ingest' })).toEqual([]);
    expect(problemsOf({ CANONQL_MODE: 'production', CANONQL_JWT_SECRET: SECRET })).toEqual([]);
    expect(problemsOf({ CANONQL_MODE: 'production', CANONQL_API_KEYS: 'a-reader-key-of-16+=reader' })).toEqual([]);
  });

  it('admin keys and API keys become grants', () => {
    const config = loadConfig({ ...base, CANONQL_ADMIN_KEYS: 'a1,a2', CANONQL_API_KEYS: 'a-reader-key-of-16+=reader:order' });
    expect(config.api.auth.apiKeys).toEqual([
      { key: 'a1', role: 'admin', subjects: null },
      { key: 'a2', role: 'admin', subjects: null },
      { key: 'a-reader-key-of-16+', role: 'reader', subjects: ['order'] },
    ]);
  });

  it('reports bad values all at once', () => {
    expect(
      problemsOf({
        ...base,
        CANONQL_JWT_SECRET: 'short',
        CANONQL_JWT_JWKS_FILE: '/no/such/jwks.json',
        CANONQL_MAX_DEPTH: '0',
        CANONQL_INTROSPECTION: 'maybe',
        CANONQL_RATE_LIMIT_PER_MINUTE: '-1',
      }),
    ).toEqual([
      'CANONQL_JWT_SECRET must be at least 32 characters (HS256 needs a 256-bit key)',
      'CANONQL_JWT_JWKS_FILE "/no/such/jwks.json" is not a readable JSON Web Key Set ({"keys": [...]})',
      'CANONQL_MAX_DEPTH must be an integer of at least 1',
      'CANONQL_INTROSPECTION must be true or false',
      'CANONQL_RATE_LIMIT_PER_MINUTE must be an integer of at least 0',
    ]);
    expect(problemsOf({ ...base, CANONQL_JWT_ISSUER: 'x' })).toEqual([
      'CANONQL_JWT_ISSUER/CANONQL_JWT_AUDIENCE are set but neither CANONQL_JWT_SECRET nor CANONQL_JWT_JWKS_FILE',
    ]);
  });
});
