import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';

/**
 * HTTP status codes of the GraphQL endpoint, over real HTTP against a running canonql (ingest +
 * api on the real stack), for both media types a client may accept. The mapping
 * (docs/graphql-api.md#http-status-codes): a request refused before execution (unreadable,
 * invalid, over a limit, variables that do not coerce) is 400 with no `data`; a missing or wrong
 * credential is 401, a reader's credential where the admin role is needed 403, both before
 * execution and with no `data`; an error raised while a field executes (an argument value outside
 * its rules, a bad cursor, NOT_FOUND) is 200 with `data` and the field's `path`. The same class,
 * the same status, whichever `Accept` was sent.
 */
const READER = 'http-status-reader-key-0123456789';
const JSON_TYPE = 'application/json';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

type Body = { data?: Record<string, unknown> | null; errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[] };
type Reply = { status: number; type: string | null; challenge: string | null; cacheControl: string | null; body: Body };

describe('HTTP status per GraphQL over HTTP', () => {
  let app: AppUnderTest;

  beforeAll(async () => {
    app = await startAppUnderTest('http-status', { CANONQL_API_KEYS: `${READER}=reader` });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const post = async (accept: string, body: unknown, key: string | null = TEST_ADMIN_KEY): Promise<Reply> => {
    const response = await fetch(app.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      challenge: response.headers.get('www-authenticate'),
      cacheControl: response.headers.get('cache-control'),
      body: (await response.json()) as Body,
    };
  };
  const codeOf = (reply: Reply) => reply.body.errors?.[0]?.extensions?.code;

  describe.each([JSON_TYPE, GRAPHQL_RESPONSE])('Accept: %s', (accept) => {
    const expectType = (reply: Reply) => expect(reply.type).toBe(`${accept}; charset=utf-8`);

    it('request errors: 400, no data (parse, validation, variables that do not coerce, limits, unreadable body)', async () => {
      const cases: [string, unknown, string][] = [
        ['parse', { query: '{ orders(' }, 'GRAPHQL_PARSE_FAILED'],
        ['validation', { query: '{ nope }' }, 'GRAPHQL_VALIDATION_FAILED'],
        ['variables', { query: 'query($n: Int) { orders(first: $n) { totalCount } }', variables: { n: 'ten' } }, 'BAD_USER_INPUT'],
        ['literal', { query: '{ order(id: "x", asOf: "yesterday") { id } }' }, 'BAD_USER_INPUT'],
        ['aliases', { query: `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ')} }` }, 'ALIAS_LIMIT_EXCEEDED'],
        ['json', '{"query": "{ __typename }"', 'INVALID_JSON'],
      ];
      for (const [name, body, code] of cases) {
        const reply = await post(accept, body);
        expect([name, reply.status, codeOf(reply), reply.body.data]).toEqual([name, 400, code, undefined]);
        expectType(reply);
      }
    });

    it('field errors: 200 with data and the path, the same for a page too large, a bad cursor and an unknown subject', async () => {
      const cases: [string, string, (string | number)[], string][] = [
        ['first too large', '{ orders(first: 100000) { totalCount } }', ['orders'], 'BAD_USER_INPUT'],
        ['bad cursor', '{ orders(after: "garbage") { totalCount } }', ['orders'], 'BAD_USER_INPUT'],
        ['history page too large', '{ orderHistory(id: "x", first: 100000) { totalCount } }', ['orderHistory'], 'BAD_USER_INPUT'],
        ['unknown subject', '{ catalog { subjectStatus(subject: "no_such_subject") { subject } } }', ['catalog', 'subjectStatus'], 'NOT_FOUND'],
      ];
      for (const [name, query, path, code] of cases) {
        const reply = await post(accept, { query });
        expect([name, reply.status, codeOf(reply), reply.body.errors?.[0]?.path]).toEqual([name, 200, code, path]);
        expect(reply.body).toHaveProperty('data');
        expect(reply.cacheControl).toBe('no-store');
        expectType(reply);
      }
      // A non-null field's error makes `data` null (graphql's null propagation): still a response with `data`, still 200.
      const propagated = await post(accept, { query: '{ orders(first: 100000) { totalCount } customers(first: 1) { totalCount } }' });
      expect([propagated.status, codeOf(propagated), propagated.body.data]).toEqual([200, 'BAD_USER_INPUT', null]);
    });

    it('no credential where the admin role is needed: 401 with a challenge, no data, for an admin-only query field and a mutation alike', async () => {
      const cases: [string, string][] = [
        ['admin-only query field', '{ catalog { deadLetters { id } } }'],
        ['admin-only argument', '{ catalog { schemaSubjects(includeDeleted: true) { subject } } }'],
        ['deprecated root alias', '{ deadLetters { id } }'],
        ['mutation', 'mutation { deactivateMappingSpec(id: "no-such-spec") }'],
      ];
      for (const [name, query] of cases) {
        const reply = await post(accept, { query }, null);
        expect([name, reply.status, codeOf(reply), reply.body.data, reply.challenge]).toEqual([
          name,
          401,
          'UNAUTHENTICATED',
          undefined,
          'Bearer realm="canonql"',
        ]);
        expectType(reply);
      }
      // A credential that is sent but unknown: 401 as well, refused before the body is read.
      const unknown = await post(accept, { query: '{ __typename }' }, 'not-a-configured-key-at-all');
      expect([unknown.status, codeOf(unknown), unknown.challenge]).toEqual([401, 'UNAUTHENTICATED', 'Bearer realm="canonql"']);
      expectType(unknown);
    });

    it("a reader's credential where the admin role is needed: 403, no data, query field and mutation alike", async () => {
      for (const query of ['{ catalog { deadLetters { id } } }', 'mutation { deactivateMappingSpec(id: "no-such-spec") }']) {
        const reply = await post(accept, { query }, READER);
        expect([query, reply.status, codeOf(reply), reply.body.data]).toEqual([query, 403, 'FORBIDDEN', undefined]);
        expectType(reply);
      }
    });

    it('success: 200, and the open parts of the catalog need no credential', async () => {
      const reply = await post(accept, { query: '{ orders(first: 1) { totalCount } catalog { subjects { name } schemaSubjects { subject } } }' }, null);
      expect(reply.status).toBe(200);
      expect(reply.body.errors).toBeUndefined();
      expect(reply.body.data).toMatchObject({
        orders: { totalCount: 0 },
        catalog: { subjects: expect.arrayContaining([expect.objectContaining({ name: 'order' })]) },
      });
      // Answers are never cached by a client or a proxy: no field carries a cache hint.
      expect(reply.cacheControl).toBe('no-store');
      expectType(reply);
    });
  });
});
