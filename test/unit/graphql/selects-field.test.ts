import { GraphQLBoolean, GraphQLInt, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, execute, parse } from 'graphql';
import { selectsField } from '../../../src/graphql/subject/selects-field';

/** A connection-shaped field whose resolver records whether the query selected `totalCount` below it. */
function recordingSchema(seen: boolean[]): GraphQLSchema {
  const connection = new GraphQLObjectType({
    name: 'ThingConnection',
    fields: { totalCount: { type: GraphQLInt }, names: { type: new GraphQLList(GraphQLString) }, nested: { type: GraphQLBoolean } },
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        things: {
          type: connection,
          resolve: (_root, _args, _ctx, info) => {
            seen.push(selectsField(info, 'totalCount'));
            return { totalCount: 1, names: ['a'], nested: true };
          },
        },
      },
    }),
  });
}

async function selected(query: string, variableValues?: Record<string, unknown>): Promise<boolean[]> {
  const seen: boolean[] = [];
  const result = await execute({ schema: recordingSchema(seen), document: parse(query), variableValues });
  expect(result.errors).toBeUndefined();
  return seen;
}

describe('selectsField', () => {
  it('sees a field selected directly, under an alias, or in a fragment', async () => {
    expect(await selected('{ things { totalCount names } }')).toEqual([true]);
    expect(await selected('{ things { count: totalCount } }')).toEqual([true]);
    expect(await selected('{ things { ...F } } fragment F on ThingConnection { totalCount }')).toEqual([true]);
    expect(await selected('{ things { ... on ThingConnection { totalCount } } }')).toEqual([true]);
    expect(await selected('{ things { ...A } } fragment A on ThingConnection { ...B } fragment B on ThingConnection { totalCount }')).toEqual([true]);
  });

  it('does not see a field the query leaves out or skips', async () => {
    expect(await selected('{ things { names } }')).toEqual([false]);
    expect(await selected('{ things { totalCount @skip(if: true) names } }')).toEqual([false]);
    expect(await selected('query Q($n: Boolean!) { things { totalCount @include(if: $n) names } }', { n: false })).toEqual([false]);
    expect(await selected('query Q($n: Boolean!) { things { totalCount @include(if: $n) names } }', { n: true })).toEqual([true]);
    expect(await selected('{ things { ... @skip(if: true) { totalCount } names } }')).toEqual([false]);
    expect(await selected('{ things { ...F @skip(if: true) names } } fragment F on ThingConnection { totalCount }')).toEqual([false]);
  });

  it('looks only at the fields right below, one resolver call per aliased field', async () => {
    expect(await selected('{ a: things { totalCount } b: things { names } }')).toEqual([true, false]);
  });
});
