import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import express from 'express';
import { buildSchema, parse, type GraphQLSchema } from 'graphql';
import { AppError, ErrorCode } from '../../../src/errors';
import { createAccessPolicy } from '../../../src/graphql/access';
import { acceptedQueries } from '../../../src/graphql/accepted-queries';
import type { ApiContext, ApiServices } from '../../../src/graphql/context';
import { mountGraphqlEndpoint, type GraphqlEndpoint } from '../../../src/graphql/graphql-endpoint';
import { DEFAULT_API_LIMITS } from '../../../src/graphql/limits/api-limits';
import { SchemaGateway } from '../../../src/graphql/schema-gateway';
import { createServiceMetrics, type ServiceMetrics } from '../../../src/observability/service-metrics';
import { testLogger } from '../../support/test-logger';

/**
 * The accepted-query path (src/graphql/accepted-queries.ts) on the real endpoint: every request
 * form is sent twice, the first time answered by Apollo Server (the document is new), the second
 * by the accepted-query path where it applies. Both answers must be the same (status, headers
 * except the request id, body), the operation must be recorded the same way, and every form the
 * path must not answer (refusals, errors, mutations, persisted queries, a changed schema, a
 * stopping server) must reach Apollo again.
 */
const ADMIN = 'admin-key-0123456789';
const READER = 'reader-key-0123456789';

const SDL = `
  type Order { id: ID! total: Int! lines: [Line!]! customer: Customer }
  type Line { sku: String! qty: Int! }
  type Customer { email: String! orders: [Order!]! }
  type Query { order(id: ID!): Order hello(name: String = "you"): String! broken: String nonNull: Int! }
  type Mutation { touch: Int! }
`;

function schemaWith(resolved: { count: number }): GraphQLSchema {
  const schema = buildSchema(SDL);
  const order = (id: string) =>
    id === 'missing' ? null : { id, total: id.length, lines: [{ sku: `s-${id}`, qty: 2 }], customer: { email: `${id}@example.com`, orders: [] as unknown[] } };
  const query = schema.getQueryType()!.getFields();
  query.order!.resolve = (_root, args: { id: string }) => {
    resolved.count += 1;
    return order(args.id);
  };
  query.hello!.resolve = (_root, args: { name: string }) => `hello ${args.name}`;
  query.broken!.resolve = () => {
    resolved.count += 1;
    throw new AppError(ErrorCode.NOT_FOUND, 'no such thing');
  };
  query.nonNull!.resolve = () => null;
  schema.getMutationType()!.getFields().touch!.resolve = () => 1;
  return schema;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(port: number, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), authorization: `Bearer ${ADMIN}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const { date: _date, 'x-request-id': _id, ...rest } = res.headers;
          resolve({ status: res.statusCode ?? 0, headers: rest, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('accepted queries answered without Apollo pipeline', () => {
  let server: http.Server;
  let endpoint: GraphqlEndpoint;
  let gateway: SchemaGateway;
  let metrics: ServiceMetrics;
  let port: number;
  const resolved = { count: 0 };
  let viaApollo: jest.SpyInstance;
  let finished: jest.SpyInstance;

  beforeEach(async () => {
    resolved.count = 0;
    viaApollo = jest.spyOn(ApolloServer.prototype, 'executeHTTPGraphQLRequest');
    metrics = createServiceMetrics({ defaultMetrics: false });
    finished = jest.spyOn(metrics, 'operationFinished');
    gateway = new SchemaGateway(schemaWith(resolved));
    const app = express();
    server = http.createServer(app);
    const services = {
      access: createAccessPolicy({
        apiKeys: [
          { key: ADMIN, role: 'admin', subjects: null },
          { key: READER, role: 'reader', subjects: null },
        ],
        requireAuth: true,
      }),
    } as unknown as ApiServices;
    endpoint = await mountGraphqlEndpoint({
      app,
      httpServer: server,
      path: '/graphql',
      gateway,
      services,
      metrics,
      limits: { ...DEFAULT_API_LIMITS, maxDepth: 4, batching: true, rateLimitPerMinute: 0, operationTimeoutMs: 10_000 },
      logger: testLogger('warn'),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    viaApollo.mockRestore();
    await endpoint.stop().catch(() => undefined);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve(undefined)));
  });

  /** Sends `body` twice; returns both replies and how many of the two Apollo answered. */
  async function twice(body: unknown, headers?: Record<string, string>) {
    const before = viaApollo.mock.calls.length;
    const first = await post(port, body, headers);
    const second = await post(port, body, headers);
    return { first, second, apollo: viaApollo.mock.calls.length - before };
  }

  const ORDER = 'query Order($id: ID!) { order(id: $id) { id total lines { sku qty } customer { email } } }';

  it.each([
    ['a named query with variables', { query: ORDER, variables: { id: 'o-1' } }, {}],
    ['the same with its operation name', { query: ORDER, variables: { id: 'o-2' }, operationName: 'Order' }, {}],
    ['variables null', { query: '{ hello }', variables: null }, {}],
    ['an anonymous query, a default argument', { query: '{ hello a: hello(name: "x") }' }, {}],
    ['a null result', { query: ORDER, variables: { id: 'missing' } }, {}],
    ['one of two operations by name', { query: `${ORDER} query Hi { hello }`, operationName: 'Hi' }, {}],
    ['Accept: application/graphql-response+json', { query: ORDER, variables: { id: 'o-3' } }, { accept: 'application/graphql-response+json' }],
    ['Accept: */*', { query: ORDER, variables: { id: 'o-4' } }, { accept: '*/*' }],
    ['Accept preferring JSON by weight', { query: ORDER, variables: { id: 'o-5' } }, { accept: 'application/graphql-response+json;q=0.5, application/json' }],
    ['another key in the body', { query: ORDER, variables: { id: 'o-6' }, other: 1 }, {}],
  ])('%s: the second request is answered without Apollo, the same as the first', async (_name, body, headers) => {
    const { first, second, apollo } = await twice(body, headers);
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    expect(apollo).toBe(1);
    // Both recorded as Apollo's metrics plugin records them: operation label, type, outcome.
    const calls = finished.mock.calls.slice(-2);
    expect(calls[1]!.slice(0, 3)).toEqual(calls[0]!.slice(0, 3));
    expect(calls[1]![2]).toBe('ok');
  });

  it.each([
    ['an execution error (coded)', { query: '{ broken }' }, {}],
    ['a non-null violation', { query: '{ nonNull }' }, {}],
    ['variables that do not coerce', { query: ORDER, variables: { id: { not: 'an id' } } }, {}],
    ['a missing variable', { query: ORDER }, {}],
    ['the depth limit', { query: '{ order(id: "x") { customer { orders { customer { orders { id } } } } } }' }, {}],
    ['a mutation', { query: 'mutation { touch }' }, {}],
    ['persisted-query extensions', { query: '{ hello }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }, {}],
    ['variables as a string', { query: '{ hello }', variables: '{}' }, {}],
    ['an operation name that is not a string', { query: '{ hello }', operationName: 1 }, {}],
    ['an unknown operation name', { query: ORDER, operationName: 'Nope', variables: { id: 'x' } }, {}],
    ['an Accept header Apollo refuses', { query: '{ hello }' }, { accept: 'text/html' }],
    ['a batch', [{ query: '{ hello }' }], {}],
  ])('%s: both requests reach Apollo, same answer', async (_name, body, headers) => {
    const { first, second, apollo } = await twice(body, headers);
    expect(second).toEqual(first);
    expect(apollo).toBe(2);
  });

  it('a query that fails runs again through Apollo, which answers and records the error', async () => {
    await post(port, { query: '{ broken }' });
    resolved.count = 0;
    const reply = await post(port, { query: '{ broken }' });
    expect(JSON.parse(reply.body).errors[0].extensions.code).toBe('NOT_FOUND');
    // Once on the accepted-query path (the error sends it to Apollo), once in Apollo.
    expect(resolved.count).toBe(2);
    expect(finished.mock.calls.at(-1)![2]).toBe('error');
  });

  it("the caller's rights are checked per request: a reader's admin-only operation is refused by Apollo", async () => {
    const admin = await twice({ query: '{ hello }' });
    expect(admin.apollo).toBe(1);
    const before = viaApollo.mock.calls.length;
    const reader = await post(port, { query: 'mutation { touch }' }, { authorization: `Bearer ${READER}` });
    expect(reader.status).toBe(403);
    expect(viaApollo.mock.calls.length - before).toBe(1);
  });

  it('a new schema: the document goes through Apollo again', async () => {
    expect((await twice({ query: '{ hello }' })).apollo).toBe(1);
    gateway.update(schemaWith(resolved));
    expect((await twice({ query: '{ hello }' })).apollo).toBe(1);
  });

  it('after stop (Apollo is stopping) the path answers nothing', async () => {
    const accepted = acceptedQueries({ schema: () => gateway.current(), limits: DEFAULT_API_LIMITS, headers: [] });
    const hooks = await accepted.plugin.requestDidStart!({} as never);
    const document = parse('{ hello }');
    await hooks!.didResolveOperation!({ source: '{ hello }', request: { query: '{ hello }' }, document, schema: gateway.current() } as never);
    const req = { headers: {} } as IncomingMessage;
    const context = async () => ({ principal: { role: 'admin', authenticated: true, id: 'a', subjects: null } }) as unknown as ApiContext;
    expect((await accepted.answer({ query: '{ hello }' }, req, context))?.status).toBe(200);
    accepted.stop();
    expect(await accepted.answer({ query: '{ hello }' }, req, context)).toBeNull();
  });

  it('a context that cannot be made is left to Apollo', async () => {
    const accepted = acceptedQueries({ schema: () => gateway.current(), limits: DEFAULT_API_LIMITS, headers: [] });
    const hooks = await accepted.plugin.requestDidStart!({} as never);
    await hooks!.didResolveOperation!({
      source: '{ hello }',
      request: { query: '{ hello }' },
      document: parse('{ hello }'),
      schema: gateway.current(),
    } as never);
    const failing = async (): Promise<ApiContext> => {
      throw new Error('no context');
    };
    expect(await accepted.answer({ query: '{ hello }' }, { headers: {} } as IncomingMessage, failing)).toBeNull();
  });
});
