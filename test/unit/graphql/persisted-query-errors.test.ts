import { ApolloServer, HeaderMap } from '@apollo/server';
import pino from 'pino';
import { createFormatError } from '../../../src/graphql/format-error';
import { withRefusalCodes } from '../../../src/graphql/limits/apollo-limits';

/**
 * Automatic persisted queries refused by Apollo (an unsupported version, a hash that does not
 * match the query) are the client's mistakes (issue 14 item 7): 400 with a client code, and no
 * error-level log with a stack.
 */
describe('persisted-query errors', () => {
  const logged: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) });
  const server = new ApolloServer({ typeDefs: 'type Query { hello: String }', formatError: withRefusalCodes(createFormatError(logger)) });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  const post = async (body: Record<string, unknown>) => {
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body },
      context: async () => ({}),
    });
    const text = response.body.kind === 'complete' ? response.body.string : '';
    return { status: response.status ?? 200, body: JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[] } };
  };

  it.each([
    ['an unsupported version', { query: '{ hello }', extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } } }],
    ['a hash that does not match the query', { query: '{ hello }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } }],
  ])('%s: 400 BAD_REQUEST, logged below error level', async (_what, body) => {
    logged.length = 0;
    const reply = await post(body);
    expect(reply.status).toBe(400);
    expect(reply.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
  });
});
