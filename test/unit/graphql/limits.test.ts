import http from 'node:http';
import express from 'express';
import { buildSchema, parse } from 'graphql';
import request from 'supertest';
import { ANONYMOUS, createAccessPolicy, type Principal } from '../../../src/graphql/access';
import { withRefusalCodes } from '../../../src/graphql/limits/apollo-limits';
import { DEFAULT_API_LIMITS, type ApiLimits } from '../../../src/graphql/limits/api-limits';
import { httpGuards } from '../../../src/graphql/limits/http-guards';
import { documentDepth } from '../../../src/graphql/limits/document-limits';
import { checkOperation, DEFAULT_OPERATION_LIMITS, MAX_VARIABLES_DEPTH, type OperationLimits } from '../../../src/graphql/limits/operation-limits';
import { createRateLimiter } from '../../../src/graphql/limits/rate-limit';

const schema = buildSchema(`
  type Query { node(id: ID!): Node, nodes(first: Int = 20): [Node!]!, hello: String }
  type Mutation { touch: Boolean }
  type Node { id: ID!, name: String, parent: Node, children(first: Int = 5): [Node!]! }
`);
const ADMIN: Principal = { role: 'admin', authenticated: true };
const READER: Principal = { role: 'reader', authenticated: true };

const check = (query: string, limits: Partial<OperationLimits> = {}, options: { variables?: Record<string, unknown>; principal?: Principal } = {}) => {
  const error = checkOperation(
    { schema, document: parse(query), variables: options.variables ?? null, principal: options.principal ?? ADMIN },
    { ...DEFAULT_OPERATION_LIMITS, ...limits },
  );
  return error && { code: error.code, message: error.message, details: error.details };
};

describe('operation limits', () => {
  it('passes an ordinary query', () => {
    expect(check('{ nodes(first: 10) { id name parent { id } } hello }')).toBeNull();
  });

  it('depth: fields along the deepest path, fragments followed, ofType not counted', () => {
    expect(documentDepth(parse('{ hello }'))).toBe(1);
    expect(documentDepth(parse('{ node(id: 1) { parent { parent { id } } } }'))).toBe(4);
    expect(documentDepth(parse('{ node(id: 1) { ...F } } fragment F on Node { parent { ... on Node { parent { id } } } }'))).toBe(4);
    expect(documentDepth(parse('{ __type(name: "Node") { ofType { ofType { ofType { name } } } } }'))).toBe(2);
    // A fragment cycle (a validation error) does not loop.
    expect(documentDepth(parse('{ node(id: 1) { ...A } } fragment A on Node { parent { ...A } }'))).toBe(2);
    expect(check('{ node(id: 1) { parent { parent { id } } } }', { maxDepth: 3 })).toMatchObject({ code: 'DEPTH_LIMIT_EXCEEDED', details: { max: 3 } });
    expect(check('{ node(id: 1) { parent { parent { id } } } }', { maxDepth: 4 })).toBeNull();
  });

  it('cost: lists cost their children times first (defaults included)', () => {
    // nodes(first: 10) { id children { id } }: 1 + 10 × (id 1 + children (1 + 5 × 1)) = 71
    expect(check('{ nodes(first: 10) { id children { id } } }', { maxCost: 70 })).toMatchObject({
      code: 'COST_LIMIT_EXCEEDED',
      details: { cost: 71, max: 70 },
    });
    expect(check('{ nodes(first: 10) { id children { id } } }', { maxCost: 71 })).toBeNull();
    // With variables, each request is costed with its own values.
    const query = 'query($n: Int) { nodes(first: $n) { id } }';
    expect(check(query, { maxCost: 50 }, { variables: { n: 10 } })).toBeNull();
    expect(check(query, { maxCost: 50 }, { variables: { n: 60 } })).toMatchObject({ code: 'COST_LIMIT_EXCEEDED' });
  });

  it('page size: a first beyond CANONQL_MAX_PAGE_SIZE or below 0 is not refused here but costed at the page size (its resolver refuses it, a field error)', () => {
    expect(check('{ nodes(first: 101) { id } }')).toBeNull();
    expect(check('{ nodes(first: -1) { id } }')).toBeNull();
    // 1 + 100 (the page size, not 10^9) × 1
    expect(check('query($n: Int) { nodes(first: $n) { id } }', { maxCost: 100 }, { variables: { n: 1e9 } })).toMatchObject({
      code: 'COST_LIMIT_EXCEEDED',
      details: { cost: 101, max: 100 },
    });
    expect(check('query($n: Int) { nodes(first: $n) { id } }', { maxCost: 101 }, { variables: { n: 1e9 } })).toBeNull();
  });

  it('aliases: counted over the whole document', () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: hello`).join(' ')} }`;
    expect(check(aliased(3), { maxAliases: 3 })).toBeNull();
    expect(check(aliased(4), { maxAliases: 3 })).toMatchObject({ code: 'ALIAS_LIMIT_EXCEEDED', details: { aliases: 4, max: 3 } });
  });

  it('introspection: __schema and __type refused when off, __typename always answered', () => {
    expect(check('{ __schema { queryType { name } } }', { introspection: false })).toMatchObject({ code: 'INTROSPECTION_DISABLED' });
    expect(check('{ __type(name: "Node") { name } }', { introspection: false })).toMatchObject({ code: 'INTROSPECTION_DISABLED' });
    expect(check('{ __typename hello }', { introspection: false })).toBeNull();
    expect(check('{ __schema { queryType { name } } }')).toBeNull();
  });

  it('mutations need the admin role: UNAUTHENTICATED anonymous, FORBIDDEN reader', () => {
    expect(check('mutation { touch }', {}, { principal: ANONYMOUS })).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(check('mutation { touch }', {}, { principal: READER })).toMatchObject({ code: 'FORBIDDEN' });
    expect(check('mutation { touch }')).toBeNull();
  });

  it(`variables nested deeper than ${MAX_VARIABLES_DEPTH} levels: BAD_USER_INPUT before anything coerces them`, () => {
    const nested = (depth: number) => {
      let value: unknown = [];
      for (let i = 1; i < depth; i += 1) value = i % 2 ? [value] : { w: value };
      return value;
    };
    const query = 'query($w: ID) { node(id: $w) { id } }';
    // The variables object is one level: {w: <99 levels>} is 100.
    expect(check(query, {}, { variables: { w: nested(MAX_VARIABLES_DEPTH - 1) } })).toBeNull();
    for (const depth of [MAX_VARIABLES_DEPTH, 10_000]) {
      expect(check(query, {}, { variables: { w: nested(depth) } })).toEqual({
        code: 'BAD_USER_INPUT',
        message: `the variables nest objects and lists deeper than ${MAX_VARIABLES_DEPTH} levels`,
        details: { maxDepth: MAX_VARIABLES_DEPTH },
      });
    }
  });

  it('a cached verdict follows the limits it was computed with', () => {
    const document = parse('{ node(id: 1) { parent { id } } }');
    const op = { schema, document, principal: ADMIN };
    expect(checkOperation(op, { ...DEFAULT_OPERATION_LIMITS })).toBeNull();
    expect(checkOperation(op, { ...DEFAULT_OPERATION_LIMITS, maxDepth: 2 })?.code).toBe('DEPTH_LIMIT_EXCEEDED');
  });
});

describe('rate limiter (token bucket)', () => {
  it("allows a minute's allowance at once, then one per refill interval", () => {
    const limiter = createRateLimiter({ perMinute: 60 });
    for (let i = 0; i < 60; i += 1) expect(limiter.take('k', 1, 0).allowed).toBe(true);
    expect(limiter.take('k', 1, 0)).toEqual({ allowed: false, retryAfterMs: 1000 });
    expect(limiter.take('other', 1, 0).allowed).toBe(true);
    expect(limiter.take('k', 1, 999).allowed).toBe(false);
    expect(limiter.take('k', 1, 2000).allowed).toBe(true);
  });

  it('0 means no limit; a cost above the allowance takes a full bucket', () => {
    const off = createRateLimiter({ perMinute: 0 });
    for (let i = 0; i < 1000; i += 1) expect(off.take('k').allowed).toBe(true);
    const limiter = createRateLimiter({ perMinute: 5 });
    expect(limiter.take('k', 50, 0).allowed).toBe(true);
    expect(limiter.take('k', 1, 0).allowed).toBe(false);
  });

  it('holds a bounded number of buckets', () => {
    const limiter = createRateLimiter({ perMinute: 10, maxKeys: 100 });
    for (let i = 0; i < 1000; i += 1) limiter.take(`ip:${i}`, 1, i);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });
});

describe('formatError wrapper', () => {
  const inner = jest.fn(() => ({ message: 'inner', extensions: { code: 'INTERNAL_SERVER_ERROR' } }));
  const format = withRefusalCodes(inner);

  it('passes refusal codes with their details, names a CSRF block, leaves the rest to the inner formatter', () => {
    expect(format({ message: 'too deep', extensions: { code: 'DEPTH_LIMIT_EXCEEDED', details: { max: 3 } } }, null)).toEqual({
      message: 'too deep',
      extensions: { code: 'DEPTH_LIMIT_EXCEEDED', details: { max: 3 } },
    });
    expect(
      format({ message: 'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF).', extensions: { code: 'BAD_REQUEST' } }, null)
        .extensions?.code,
    ).toBe('CSRF_BLOCKED');
    expect(format({ message: 'boom', extensions: { code: 'SOMETHING' } }, null)).toEqual({ message: 'inner', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(inner).toHaveBeenCalledTimes(1);
  });
});

describe('HTTP guards', () => {
  const serve = (
    limits: Partial<ApiLimits>,
    handler: express.RequestHandler = (req, res) => {
      res.json({ ok: true, body: req.body as unknown });
    },
  ) => {
    const app = express();
    const guards = httpGuards({
      access: createAccessPolicy({ apiKeys: [{ key: 'a-key-0123456789abc', role: 'reader', subjects: null }], requireAuth: true }),
      limits: { ...DEFAULT_API_LIMITS, ...limits },
    });
    app.use('/graphql', ...guards.before, handler, guards.errorHandler);
    return http.createServer(app);
  };
  const auth = { authorization: 'Bearer a-key-0123456789abc' };

  it('401 with WWW-Authenticate for a missing or unknown credential', async () => {
    const server = serve({});
    const missing = await request(server).post('/graphql').send({ query: '{ a }' });
    expect([missing.status, missing.body.errors[0].extensions.code, missing.headers['www-authenticate']]).toEqual([
      401,
      'UNAUTHENTICATED',
      'Bearer realm="canonql"',
    ]);
    expect((await request(server).post('/graphql').set({ authorization: 'Bearer wrong' }).send({})).status).toBe(401);
    expect((await request(server).post('/graphql').set(auth).send({ query: '{ a }' })).body).toEqual({ ok: true, body: { query: '{ a }' } });
  });

  it('413, INVALID_JSON, batches, 429 with Retry-After', async () => {
    const server = serve({ maxBodyBytes: 2048, rateLimitPerMinute: 5, batching: true, maxBatch: 2 });
    const big = await request(server)
      .post('/graphql')
      .set(auth)
      .send({ query: 'x'.repeat(5000) });
    expect([big.status, big.body.errors[0].extensions.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const bad = await request(server).post('/graphql').set(auth).set('content-type', 'application/json').send('{"query":');
    expect([bad.status, bad.body.errors[0].extensions.code]).toEqual([400, 'INVALID_JSON']);
    const batch = await request(server).post('/graphql').set(auth).send([{}, {}, {}]);
    expect([batch.status, batch.body.errors[0].extensions.code]).toEqual([400, 'BATCH_LIMIT_EXCEEDED']);
    // 3 requests so far; 2 more fit the bucket of 5, the next is refused.
    await request(server).post('/graphql').set(auth).send({});
    await request(server).post('/graphql').set(auth).send({});
    const limited = await request(server).post('/graphql').set(auth).send({});
    expect([limited.status, limited.body.errors[0].extensions.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('OPERATION_TIMEOUT at the deadline; the late answer is dropped', async () => {
    const server = serve({ operationTimeoutMs: 50 }, (_req, res, next) => {
      setTimeout(() => {
        try {
          res.setHeader('content-type', 'application/json');
          res.end('{"late":true}');
        } catch (error) {
          next(error);
        }
      }, 200);
    });
    const reply = await request(server).post('/graphql').set(auth).send({});
    expect([reply.status, reply.body.errors[0].extensions.code]).toEqual([504, 'OPERATION_TIMEOUT']);
    await new Promise((resolve) => setTimeout(resolve, 250));
  });
});
