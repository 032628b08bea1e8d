import { GraphQLID, GraphQLInt, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, execute, parse } from 'graphql';
import { modelObject } from '../../../src/catalog/field-model';
import { SHOWN_META_PATHS, entityFieldPaths, pageProjection } from '../../../src/graphql/subject/page-projection';

const fields = modelObject({
  properties: {
    'order-id': { type: 'string' },
    customer: { type: 'object', properties: { email: { type: 'string' } } },
    region: { type: 'string', 'x-canonql-ref': { subject: 'region', by: 'code', as: 'regionInfo' } },
  },
});

/**
 * An `orders` connection whose resolver records the projection its page would be read with, for
 * an entity of `entityFields` (the GraphQL types matter only as far as the queries are valid).
 */
function recordingSchema(seen: unknown[], entityFields: typeof fields, extra: readonly string[]): GraphQLSchema {
  const meta = new GraphQLObjectType({ name: 'Meta', fields: { version: { type: GraphQLInt } } });
  const node = new GraphQLObjectType({
    name: 'Order',
    fields: {
      id: { type: GraphQLID },
      order_id: { type: GraphQLString },
      customer: { type: new GraphQLObjectType({ name: 'OrderCustomer', fields: { email: { type: GraphQLString } } }) },
      region: { type: GraphQLString },
      regionInfo: { type: GraphQLString },
      _meta: { type: meta },
    },
  });
  const edge = new GraphQLObjectType({ name: 'OrderEdge', fields: { cursor: { type: GraphQLString }, node: { type: node } } });
  const connection = new GraphQLObjectType({
    name: 'OrderConnection',
    fields: { edges: { type: new GraphQLList(edge) }, totalCount: { type: GraphQLInt } },
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        orders: {
          type: connection,
          resolve: (_root, _args, _ctx, info) => {
            seen.push(pageProjection(info, entityFieldPaths(entityFields), extra));
            return { edges: [], totalCount: 0 };
          },
        },
      },
    }),
  });
}

async function projections(
  query: string,
  variableValues?: Record<string, unknown>,
  entityFields: typeof fields = fields,
  extra: readonly string[] = ['_k.created_at'],
): Promise<unknown[]> {
  const seen: unknown[] = [];
  const result = await execute({ schema: recordingSchema(seen, entityFields, extra), document: parse(query), variableValues });
  expect(result.errors).toBeUndefined();
  return seen;
}

// The list itself is asserted against the served schema in the entity-queries integration test.
const META = Object.fromEntries(SHOWN_META_PATHS.map((path) => [path, 1]));

describe('pageProjection', () => {
  it('reads the id, the selected fields by their stored keys, and the extra paths', async () => {
    expect(await projections('{ orders { edges { cursor node { id order_id } } } }')).toEqual([{ _id: 1, 'data.order-id': 1, '_k.created_at': 1 }]);
    expect(await projections('{ orders { edges { node { customer { email } } } } }')).toEqual([{ _id: 1, 'data.customer': 1, '_k.created_at': 1 }]);
  });

  it("reads a relation field's referring key, and _meta's shown parts", async () => {
    expect(await projections('{ orders { edges { node { regionInfo _meta { version } } } } }')).toEqual([
      { _id: 1, 'data.region': 1, ...META, '_k.created_at': 1 },
    ]);
  });

  it('follows aliases, fragments and inline fragments at every level, and leaves out what is skipped', async () => {
    expect(
      await projections(
        '{ orders { ...C } } fragment C on OrderConnection { e: edges { ... on OrderEdge { n: node { ...O x: region } } } } fragment O on Order { __typename o: order_id }',
      ),
    ).toEqual([{ _id: 1, 'data.order-id': 1, 'data.region': 1, '_k.created_at': 1 }]);
    expect(await projections('query Q($r: Boolean!) { orders { edges { node { order_id region @include(if: $r) } } } }', { r: false })).toEqual([
      { _id: 1, 'data.order-id': 1, '_k.created_at': 1 },
    ]);
  });

  it('names no path together with one inside it (a relation matched by a path inside a selected field)', async () => {
    // The store refuses {data.customer: 1, data.customer.email: 1}: the field read whole covers the path.
    expect(await projections('{ orders { edges { node { customer { email } } } } }', undefined, fields, ['data.customer.email'])).toEqual([
      { _id: 1, 'data.customer': 1 },
    ]);
    expect(await projections('{ orders { edges { node { order_id } } } }', undefined, fields, ['data.customer.email', 'data.customer'])).toEqual([
      { _id: 1, 'data.order-id': 1, 'data.customer': 1 },
    ]);
    expect(await projections('{ orders { edges { node { order_id } } } }', undefined, fields, ['data.customer.email'])).toEqual([
      { _id: 1, 'data.order-id': 1, 'data.customer.email': 1 },
    ]);
  });

  it('reads no entity field when the page shows no node; each aliased list its own', async () => {
    expect(await projections('{ orders { totalCount } }')).toEqual([{ _id: 1, '_k.created_at': 1 }]);
    expect(await projections('{ a: orders { edges { node { order_id } } } b: orders { edges { node { region } } } }')).toEqual([
      { _id: 1, 'data.order-id': 1, '_k.created_at': 1 },
      { _id: 1, 'data.region': 1, '_k.created_at': 1 },
    ]);
  });
});

describe('pageProjection of an entity with a canonical field named id', () => {
  it("reads that field's stored key for `id`, as the served field reads it", async () => {
    const withId = modelObject({ properties: { id: { type: 'string' }, order_id: { type: 'string' } } });
    expect(await projections('{ orders { edges { node { id } } } }', undefined, withId, [])).toEqual([{ _id: 1, 'data.id': 1 }]);
  });
});

describe('entityFieldPaths', () => {
  it('maps GraphQL field names to stored paths, relation fields to the key they refer by', () => {
    expect(Object.fromEntries(entityFieldPaths(fields)!)).toEqual({
      order_id: 'data.order-id',
      customer: 'data.customer',
      region: 'data.region',
      regionInfo: 'data.region',
    });
  });

  it('gives up (the whole documents are read) on a key a projection cannot name, or two keys under one name', () => {
    expect(entityFieldPaths(modelObject({ properties: { 'a.b': { type: 'string' } } }))).toBeNull();
    expect(entityFieldPaths(modelObject({ properties: { $a: { type: 'string' } } }))).toBeNull();
    expect(entityFieldPaths(modelObject({ properties: { 'a-b': { type: 'string' }, a_b: { type: 'string' } } }))).toBeNull();
    expect(pageProjection({} as never, null, ['_id'])).toBeNull();
  });
});
