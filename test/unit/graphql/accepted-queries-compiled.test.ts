import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import express from 'express';
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
} from 'graphql';
import { compileQuery } from 'graphql-jit';
import { AppError, ErrorCode } from '../../../src/errors';
import { createAccessPolicy } from '../../../src/graphql/access';
import type { ApiServices } from '../../../src/graphql/context';
import { MAX_COMPILED_CHARS, MAX_COMPILED_DOCUMENT_CHARS } from '../../../src/graphql/accepted-queries';
import { mountGraphqlEndpoint, type GraphqlEndpoint } from '../../../src/graphql/graphql-endpoint';
import { DEFAULT_API_LIMITS } from '../../../src/graphql/limits/api-limits';
import { DateTimeScalar, DecimalScalar, JSONScalar } from '../../../src/graphql/scalars';
import { SchemaGateway } from '../../../src/graphql/schema-gateway';
import { seededRandom } from '../../support/seeded-random';
import { testLogger } from '../../support/test-logger';

jest.mock('graphql-jit', () => {
  const actual = jest.requireActual<typeof import('graphql-jit')>('graphql-jit');
  return { ...actual, compileQuery: jest.fn(actual.compileQuery) };
});
const compiles = compileQuery as jest.MockedFunction<typeof compileQuery>;

/**
 * The accepted-query path runs an operation as compiled code (graphql-jit) from its second
 * request on. Every request here is sent twice to the real endpoint: the first is answered by
 * Apollo Server (graphql-js executes it), the second by the compiled code; the bytes must be the
 * same. The schema has what could answer differently: scalars whose output differs from the
 * resolved value (the service's DateTime, Decimal and JSON, and one that formats), enums with
 * internal values, an interface and a union (resolveType and isTypeOf), lists with null items
 * and lists of lists, async resolvers, resolvers reading `info`, aliases, `__typename`,
 * fragments, @skip/@include by variable, default arguments, and input objects in the document.
 * Then 200 random selections over a 300-row list (the shape of a `metric(...)` answer).
 */
const ADMIN = 'admin-key-0123456789';

const Money = new GraphQLScalarType({ name: 'Money', serialize: (value) => `${(value as number).toFixed(2)} EUR` });
const Kind = new GraphQLEnumType({ name: 'Kind', values: { SMALL: { value: 1 }, LARGE: { value: 2 }, OTHER: { value: 'other' } } });

interface Row {
  start: Date;
  dimensions: Record<string, unknown>;
  count: number;
  sum: string | null;
  avg: number | null;
  min: string | null;
  max: string | null;
  price: number | null;
  kind: number | string;
  tags: (string | null)[] | null;
  grid: (number | null)[][];
}

function rows(n: number): Row[] {
  const random = seededRandom(5);
  const text = ['eu-west', 'us-east', 'ap "south"', 'línea\n2', '\u2028sep', 'emoji 😀', '\\back'];
  return Array.from({ length: n }, (_, i) => {
    const count = 1 + Math.floor(random() * 5);
    const empty = random() < 0.1;
    return {
      start: new Date(Date.UTC(2024, 4, 1) + i * 3_600_000 + (i % 7)),
      dimensions: { region: text[i % text.length]!, product: i % 3 === 0 ? null : `sku-${i % 11}`, flag: i % 2 === 0, n: i / 3 },
      count,
      sum: empty ? null : `${i}.${String(i % 100).padStart(2, '0')}`,
      avg: empty ? null : (i + 0.5) / count,
      min: empty ? null : `-${i % 13}.5`,
      max: empty ? null : `${i * 1000}`,
      price: i % 4 === 0 ? null : i * 1.005,
      kind: [1, 2, 'other'][i % 3]!,
      tags: i % 5 === 0 ? null : [`t${i}`, null, text[i % text.length]!],
      grid: [[i, null], [], [i * 2]],
    };
  });
}
const ROWS = rows(300);

const Named: GraphQLInterfaceType = new GraphQLInterfaceType({
  name: 'Named',
  fields: { name: { type: new GraphQLNonNull(GraphQLString) } },
  resolveType: (value: { kind: string }) => (value.kind === 'person' ? 'Person' : 'Team'),
});
const Person = new GraphQLObjectType({
  name: 'Person',
  isTypeOf: (value: { kind: string }) => value.kind === 'person',
  interfaces: [Named],
  fields: { name: { type: new GraphQLNonNull(GraphQLString) }, age: { type: GraphQLInt } },
});
const Team = new GraphQLObjectType({
  name: 'Team',
  isTypeOf: (value: { kind: string }) => value.kind === 'team',
  interfaces: [Named],
  fields: { name: { type: new GraphQLNonNull(GraphQLString) }, size: { type: GraphQLInt } },
});
const Plain = new GraphQLObjectType({
  name: 'Plain',
  isTypeOf: (value: { kind: string }) => value.kind === 'plain',
  fields: { text: { type: GraphQLString } },
});
// No resolveType: each member's isTypeOf decides.
const Thing = new GraphQLUnionType({ name: 'Thing', types: [Person, Team, Plain] });

const Bucket = new GraphQLObjectType<Row>({
  name: 'Bucket',
  fields: {
    start: { type: new GraphQLNonNull(DateTimeScalar) },
    dimensions: { type: new GraphQLNonNull(JSONScalar) },
    count: { type: new GraphQLNonNull(GraphQLInt) },
    sum: { type: DecimalScalar },
    avg: { type: GraphQLFloat },
    min: { type: DecimalScalar },
    max: { type: DecimalScalar },
    price: { type: Money },
    kind: { type: new GraphQLNonNull(Kind) },
    tags: { type: new GraphQLList(GraphQLString) },
    grid: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(new GraphQLList(GraphQLInt)))) },
    // Reads what a resolver may read of `info`: the field's alias and the path.
    where: { type: GraphQLString, resolve: (_row, _args, _ctx, info) => `${info.fieldNodes[0]!.alias?.value ?? '-'}@${info.path.prev?.key}` },
    later: { type: GraphQLString, resolve: async (row) => (row.count % 2 === 0 ? null : `later ${row.count}`) },
  },
});

const Range: GraphQLInputObjectType = new GraphQLInputObjectType({
  name: 'Range',
  fields: () => ({ from: { type: GraphQLInt }, to: { type: GraphQLInt }, or: { type: new GraphQLList(new GraphQLNonNull(Range)) } }),
});

function makeSchema(): GraphQLSchema {
  const things = [
    { kind: 'person', name: 'Ann', age: 41 },
    { kind: 'team', name: 'Ops', size: 3 },
    { kind: 'plain', text: 'just text' },
  ];
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        buckets: {
          type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Bucket))),
          args: { first: { type: GraphQLInt, defaultValue: 300 }, kind: { type: Kind }, kinds: { type: new GraphQLList(new GraphQLNonNull(Kind)) } },
          resolve: async (_root, args: { first: number; kind?: number | string; kinds?: (number | string)[] }) =>
            ROWS.slice(0, args.first).filter((row) => (args.kind === undefined || row.kind === args.kind) && (!args.kinds || args.kinds.includes(row.kind))),
        },
        things: { type: new GraphQLList(Thing), resolve: () => [...things, null] },
        named: { type: new GraphQLList(new GraphQLNonNull(Named)), resolve: () => things.filter((t) => t.kind !== 'plain') },
        range: {
          type: GraphQLString,
          args: {
            range: { type: Range },
            id: { type: GraphQLID },
            on: { type: GraphQLBoolean },
            at: { type: DateTimeScalar },
            amount: { type: DecimalScalar },
          },
          resolve: (_root, args) => JSON.stringify(args),
        },
        broken: {
          type: GraphQLString,
          resolve: () => {
            throw new AppError(ErrorCode.NOT_FOUND, 'no');
          },
        },
      },
    }),
  });
}

function post(port: number, body: unknown): Promise<{ status: number; type: string | undefined; body: string }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), authorization: `Bearer ${ADMIN}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('accepted queries run as compiled code', () => {
  let server: http.Server;
  let endpoint: GraphqlEndpoint;
  let port: number;
  let viaApollo: jest.SpyInstance;

  beforeAll(async () => {
    viaApollo = jest.spyOn(ApolloServer.prototype, 'executeHTTPGraphQLRequest');
    const app = express();
    server = http.createServer(app);
    const services = { access: createAccessPolicy({ apiKeys: [{ key: ADMIN, role: 'admin', subjects: null }], requireAuth: true }) } as unknown as ApiServices;
    endpoint = await mountGraphqlEndpoint({
      app,
      httpServer: server,
      path: '/graphql',
      gateway: new SchemaGateway(makeSchema()),
      services,
      limits: { ...DEFAULT_API_LIMITS, rateLimitPerMinute: 0, operationTimeoutMs: 10_000 },
      logger: testLogger('warn'),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    viaApollo.mockRestore();
    await endpoint.stop().catch(() => undefined);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve(undefined)));
  });

  /** The first answer (Apollo, graphql-js), then the second (compiled), and how many of them Apollo answered. */
  async function twice(body: unknown) {
    const apolloBefore = viaApollo.mock.calls.length;
    const first = await post(port, body);
    const compilesBefore = compiles.mock.calls.length;
    const second = await post(port, body);
    return { first, second, apollo: viaApollo.mock.calls.length - apolloBefore, compiled: compiles.mock.calls.length - compilesBefore };
  }

  const BUCKETS = '{ buckets { start dimensions count sum avg min max } }';

  it.each([
    ['the metric answer shape', { query: BUCKETS }],
    ['scalars that format, enums with internal values, lists with nulls, lists of lists', { query: '{ buckets(first: 40) { price kind tags grid later } }' }],
    ['aliases, __typename, a resolver reading info', { query: '{ b: buckets(first: 9) { __typename at: start n: count where w2: where } __typename }' }],
    [
      'fragments, inline fragments, @skip/@include by variable',
      {
        query:
          'query Q($yes: Boolean!, $no: Boolean = false) { buckets(first: 20) { ...F count @include(if: $yes) sum @skip(if: $yes) ... on Bucket @include(if: $no) { max } } } fragment F on Bucket { start kind }',
        variables: { yes: true },
      },
    ],
    [
      'enum arguments: a literal and a list variable',
      { query: 'query($k: [Kind!]) { a: buckets(kind: LARGE) { count kind } b: buckets(kinds: $k) { kind } }', variables: { k: ['OTHER', 'SMALL'] } },
    ],
    [
      'an interface and a union, and a null in a list of a union',
      { query: '{ things { __typename ... on Named { name } ... on Person { age } ... on Team { size } ... on Plain { text } } named { name __typename } }' },
    ],
    [
      'an input object written in the document (a recursive type)',
      { query: '{ range(range: { from: 1, or: [{ to: 3 }, { or: [] }] }, id: 4, on: true, at: "2024-05-01T10:00:00.5+02:00", amount: 7.25) }' },
    ],
    [
      'leaf variables of every kind',
      {
        query: 'query($id: ID, $on: Boolean, $at: DateTime, $amount: Decimal) { range(id: $id, on: $on, at: $at, amount: $amount) }',
        variables: { id: 7, on: false, at: '2024-05-01T10:00:00Z', amount: '-0.10' },
      },
    ],
    ['one of two operations by name', { query: `query A ${BUCKETS} query B { things { __typename } }`, operationName: 'B' }],
  ])('%s: compiled on the second request, byte for byte the answer graphql-js gave', async (_name, body) => {
    const { first, second, apollo, compiled } = await twice(body);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body).errors).toBeUndefined();
    expect(second).toEqual(first);
    expect(apollo).toBe(1);
    expect(compiled).toBe(1);
  });

  it('compiles an operation once and keeps it with the document', async () => {
    const body = { query: '{ buckets(first: 3) { count } }' };
    const first = await post(port, body);
    const before = compiles.mock.calls.length;
    for (let i = 0; i < 4; i += 1) expect(await post(port, body)).toEqual(first);
    expect(compiles.mock.calls.length - before).toBe(1);
  });

  /** A query of exactly `chars` characters: `body` after a comment that pads it (comments count, as for any query text). */
  const padded = (body: string, chars: number) => `# ${'x'.repeat(chars - body.length - 3)}\n${body}`;

  it('leaves a document longer than MAX_COMPILED_DOCUMENT_CHARS to graphql-js (compiled code grows with the query), the answer the same', async () => {
    const long = await twice({ query: padded('{ buckets(first: 5) { count sum } }', MAX_COMPILED_DOCUMENT_CHARS + 1) });
    expect(long.second).toEqual(long.first);
    expect([long.apollo, long.compiled]).toEqual([1, 0]);
    const atLimit = await twice({ query: padded('{ buckets(first: 6) { count sum } }', MAX_COMPILED_DOCUMENT_CHARS) });
    expect(atLimit.second).toEqual(atLimit.first);
    expect([atLimit.apollo, atLimit.compiled]).toEqual([1, 1]);
  });

  it('keeps compiled code for at most MAX_COMPILED_CHARS of query text: the least recently run document loses it and compiles again', async () => {
    const count = Math.ceil(MAX_COMPILED_CHARS / MAX_COMPILED_DOCUMENT_CHARS) + 2;
    const queries = Array.from({ length: count }, (_, i) => padded(`{ buckets(first: ${i + 1}) { count } }`, MAX_COMPILED_DOCUMENT_CHARS));
    for (const query of queries) expect((await twice({ query })).compiled).toBe(1);
    const compilesOf = async (query: string) => {
      const before = compiles.mock.calls.length;
      const answer = await post(port, { query });
      expect(JSON.parse(answer.body).errors).toBeUndefined();
      return compiles.mock.calls.length - before;
    };
    // The newest ones still hold their code; the oldest lost it to the budget.
    expect(await compilesOf(queries[count - 1]!)).toBe(0);
    expect(await compilesOf(queries[0]!)).toBe(1);
  });

  it('leaves an input-object variable to graphql-js (graphql-jit does not finish compiling a recursive one), the answer the same', async () => {
    const { first, second, apollo, compiled } = await twice({
      query: 'query($r: Range) { range(range: $r) }',
      variables: { r: { from: 1, or: [{ to: 2, or: [{ from: 3 }] }] } },
    });
    expect(second).toEqual(first);
    expect(apollo).toBe(1);
    expect(compiled).toBe(0);
  });

  it('a compiled query with an error is answered by Apollo, as graphql-js answers it; the compiled code is kept', async () => {
    const body = { query: '{ broken buckets(first: 2) { count } }' };
    const { first, second, apollo } = await twice(body);
    expect(JSON.parse(first.body).errors[0].extensions.code).toBe('NOT_FOUND');
    expect(second).toEqual(first);
    expect(apollo).toBe(2);
    const before = compiles.mock.calls.length;
    expect(await post(port, body)).toEqual(first);
    expect(compiles.mock.calls.length - before).toBe(0);
  });

  it('200 random selections of the metric row shape: the compiled answer is graphql-js answer', async () => {
    const random = seededRandom(11);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const FIELDS = ['start', 'dimensions', 'count', 'sum', 'avg', 'min', 'max', 'price', 'kind', 'tags', 'grid', 'where', '__typename'];
    let differing = 0;
    for (let i = 0; i < 200; i += 1) {
      const fields = FIELDS.filter(() => random() < 0.5);
      if (fields.length === 0) fields.push(pick(FIELDS));
      const selection = fields.map((field, at) => (random() < 0.3 ? `a${at}_${field.replace(/_/g, '')}: ${field}` : field));
      if (random() < 0.3) selection.push(`...on Bucket { ${pick(FIELDS)} }`);
      const query = `{ buckets(first: ${1 + Math.floor(random() * 300)}) { ${selection.join(' ')} } }`;
      const { first, second, apollo } = await twice({ query });
      if (second.body !== first.body || apollo !== 1) differing += 1;
      expect([query, second]).toEqual([query, first]);
    }
    expect(differing).toBe(0);
  }, 120_000);
});
