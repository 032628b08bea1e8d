import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { buildSchema } from 'graphql';
import { createAccessPolicy } from '../../../src/graphql/access';
import type { ApiContext } from '../../../src/graphql/context';
import { graphqlHttpListener } from '../../../src/graphql/graphql-http';
import { DEFAULT_API_LIMITS, type ApiLimits } from '../../../src/graphql/limits/api-limits';
import { httpGuards } from '../../../src/graphql/limits/http-guards';
import { testLogger } from '../../support/test-logger';

/**
 * The GraphQL path's node:http listener (src/graphql/graphql-http.ts) against the express chain it
 * stands in front of: for every request form, the same status, error code, media type and body, and
 * the forms it does not answer reach the express app untouched.
 */
const KEY = 'a-key-0123456789abc';
const LIMITS: ApiLimits = { ...DEFAULT_API_LIMITS, maxBodyBytes: 2048, rateLimitPerMinute: 1000, batching: false };

type Reply = { status: number; type: string | undefined; requestId: string | undefined; body: string; by: string | undefined };
interface Sent {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent without Content-Length (chunked). */
  chunked?: boolean;
}

function send(port: number, sent: Sent): Promise<Reply> {
  const body = sent.body ?? '';
  const headers: Record<string, string | number> = { authorization: `Bearer ${KEY}`, ...sent.headers };
  if (!sent.chunked && sent.method !== 'GET') headers['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: sent.method ?? 'POST', path: sent.path ?? '/graphql', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'],
          requestId: res.headers['x-request-id'] as string | undefined,
          body: Buffer.concat(chunks).toString('utf8'),
          by: res.headers['x-answered-by'] as string | undefined,
        }),
      );
    });
    req.on('error', reject);
    if (sent.chunked) for (let at = 0; at < body.length; at += 512) req.write(body.slice(at, at + 512));
    req.end(sent.method === 'GET' ? undefined : sent.chunked ? undefined : body);
  });
}

describe('GraphQL over HTTP ahead of express', () => {
  const servers: http.Server[] = [];
  let apollo: ApolloServer<ApiContext>;
  let viaExpress: number;
  let viaListener: number;

  const listen = async (server: http.Server) => {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return (server.address() as AddressInfo).port;
  };

  /** The express chain of the endpoint (graphql-endpoint.ts), marking the answers it gives. */
  const expressApp = (limits: ApiLimits) => {
    const guards = httpGuards({ access: createAccessPolicy({ apiKeys: [{ key: KEY, role: 'reader', subjects: null }], requireAuth: true }), limits });
    const app = express();
    app.use((_req, res, next) => {
      res.setHeader('x-answered-by', 'express');
      next();
    });
    app.use('/graphql', ...guards.before, expressMiddleware(apollo, { context: async () => ({}) as ApiContext }), guards.errorHandler);
    return { app, guards };
  };

  /** The express chain alone, and the listener in front of the same chain: their ports. */
  const serve = async (limits: ApiLimits) => {
    const reference = await listen(http.createServer(expressApp(limits).app));
    const { app, guards } = expressApp(limits);
    const listener = graphqlHttpListener({
      path: '/graphql',
      apollo,
      checks: guards.checks,
      maxBodyBytes: limits.maxBodyBytes,
      context: async () => ({}) as ApiContext,
      next: app,
      logger: testLogger(),
    });
    return { reference, listener: await listen(http.createServer(listener)) };
  };

  beforeAll(async () => {
    apollo = new ApolloServer<ApiContext>({
      schema: buildSchema('type Query { hello(name: String): String, slow: String }'),
      rootValue: {
        hello: ({ name }: { name?: string }) => `hello ${name ?? 'world'}`,
        slow: () => new Promise((resolve) => setTimeout(() => resolve('late'), 400)),
      },
    });
    await apollo.start();
    ({ reference: viaExpress, listener: viaListener } = await serve(LIMITS));
  });
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await apollo.stop();
  });

  const json = { 'content-type': 'application/json' };
  const graphqlResponse = { ...json, accept: 'application/graphql-response+json' };
  const query = JSON.stringify({ query: 'query Hello($name: String) { hello(name: $name) }', variables: { name: 'x' } });

  it('answers a plain JSON POST itself, with the same status, media type and body as the express chain', async () => {
    const cases: [string, Sent][] = [
      ['a query', { headers: json, body: query }],
      ['charset utf-8, query string', { path: '/graphql?op=1', headers: { 'content-type': 'application/json; charset=UTF-8' }, body: query }],
      ['chunked', { headers: json, body: query, chunked: true }],
      ['graphql-response+json', { headers: graphqlResponse, body: query }],
      ['a byte order mark', { headers: json, body: `\uFEFF${query}` }],
      ['empty body', { headers: json, body: '' }],
      ['no query', { headers: json, body: '{}' }],
      ['parse error', { headers: json, body: JSON.stringify({ query: '{ hello(' }) }],
      ['not JSON', { headers: graphqlResponse, body: '{"query":' }],
      ['JSON but not an object', { headers: json, body: '42' }],
      ['null', { headers: json, body: ' null' }],
      ['too large by Content-Length', { headers: json, body: JSON.stringify({ query: `{ hello } #${'x'.repeat(3000)}` }) }],
      ['too large, chunked', { headers: json, body: JSON.stringify({ query: `{ hello } #${'x'.repeat(3000)}` }), chunked: true }],
      ['a batch while batching is off', { headers: json, body: `[${query},${query}]` }],
      ['no credential', { headers: { ...json, authorization: '' }, body: query }],
      ['an unknown credential', { headers: { ...graphqlResponse, authorization: 'Bearer nope' }, body: query }],
      ['a sane request id', { headers: { ...json, 'x-request-id': 'req-42' }, body: query }],
    ];
    for (const [name, sent] of cases) {
      const [reference, answer] = [await send(viaExpress, sent), await send(viaListener, sent)];
      expect(reference.by).toBe('express');
      expect([name, answer.by, answer.status, answer.type, JSON.parse(answer.body)]).toEqual([
        name,
        undefined,
        reference.status,
        reference.type,
        JSON.parse(reference.body),
      ]);
      expect(answer.requestId).toBeDefined();
      if (sent.headers?.['x-request-id']) expect(answer.requestId).toBe(sent.headers['x-request-id']);
    }
  });

  it('hands every other form of request to the express app', async () => {
    const cases: [string, Sent][] = [
      ['GET', { method: 'GET', path: `/graphql?query=${encodeURIComponent('{ hello }')}`, headers: { 'apollo-require-preflight': 'true' } }],
      ['another charset', { headers: { 'content-type': 'application/json; charset=utf-16le' }, body: query }],
      ['gzip', { headers: { ...json, 'content-encoding': 'gzip' }, body: zlib.gzipSync(query) }],
      ['text/plain (CSRF prevention)', { headers: { 'content-type': 'text/plain' }, body: query }],
      ['another media type', { headers: { 'content-type': 'application/graphql+json' }, body: query }],
      ['a path below the endpoint', { path: '/graphql/x', headers: json, body: query }],
      ['another path', { path: '/graphqlx', headers: json, body: query }],
    ];
    for (const [name, sent] of cases) {
      const [reference, answer] = [await send(viaExpress, sent), await send(viaListener, sent)];
      expect([name, answer.by, answer.status, answer.body]).toEqual([name, 'express', reference.status, reference.body]);
    }
  });

  it('answers OPERATION_TIMEOUT at the deadline, as the express chain does, and drops the late answer', async () => {
    const { reference, listener } = await serve({ ...LIMITS, operationTimeoutMs: 50 });
    const sent: Sent = { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ slow }' }) };
    const [expected, answer] = await Promise.all([send(reference, sent), send(listener, sent)]);
    expect([answer.by, answer.status, answer.type, JSON.parse(answer.body)]).toEqual([undefined, 504, expected.type, JSON.parse(expected.body)]);
    expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('OPERATION_TIMEOUT');
    // The resolver finishes later; the listener then writes nothing, and serves the next request.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await send(listener, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ hello }' }) })).status).toBe(200);
  });
});
