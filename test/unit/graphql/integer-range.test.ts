import { GraphQLObjectType, GraphQLSchema, execute, parse, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { AppError, ErrorCode } from '../../../src/errors';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { integerOutOfRange } from '../../../src/graphql/scalars';

/**
 * A source can fill an `integer` field beyond what its GraphQL scalar holds (canonical validation
 * takes any JSON integer). The entity type answers such a value as a VALUE_OUT_OF_RANGE field error
 * in its place, with graphql-js (Apollo) and with graphql-jit (accepted queries) alike; it was the
 * scalar's serialize error, without a code: INTERNAL_SERVER_ERROR to the client.
 */
const served = buildApiSchema([
  {
    subject: 'tally',
    version: 1,
    schema: {
      type: 'object',
      properties: {
        big: { type: 'integer', format: 'int64' },
        small: { type: 'integer' },
        counts: { type: 'array', items: { type: 'integer', format: 'int64' } },
        matrix: { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
        nested: { type: 'object', properties: { small: { type: 'integer' } } },
        label: { type: 'string' },
      },
    },
  },
]);
const Tally = served.getType('Tally') as GraphQLObjectType;
const entity = (data: Record<string, unknown>) => ({
  _id: 't1',
  data,
  _meta: { version: 1, deleted: false, updatedAt: 0, createdAt: 0, specId: 's', specVersion: 1 },
});
const schema = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { tally: { type: Tally, resolve: (root) => root } } }) });
const document = parse('{ tally { label big small counts nested { small } } }');

const withGraphqlJs = (root: unknown) => execute({ schema, document, rootValue: root }) as ExecutionResult;
function withGraphqlJit(root: unknown): ExecutionResult {
  const compiled = compileQuery(schema, document);
  if (!isCompiledQuery(compiled)) throw new Error('not compiled');
  return compiled.query(root, {}, {}) as ExecutionResult;
}
const answer = (result: ExecutionResult) => ({
  data: result.data,
  errors: result.errors?.map((e) => ({
    path: e.path,
    original: e.originalError instanceof AppError ? [e.originalError.code, e.originalError.message] : e.message,
  })),
});

describe('an Int or Long value beyond its scalar', () => {
  it.each([
    ['graphql-js', withGraphqlJs],
    ['graphql-jit', withGraphqlJit],
  ])('is a VALUE_OUT_OF_RANGE field error in its place, the rest served (%s)', (_name, run) => {
    const result = run(entity({ label: 'x', big: 2 ** 53 + 2, small: 2 ** 31, counts: [1, -(2 ** 53), 3], nested: { small: -(2 ** 31) - 1 } }));
    expect(answer(result)).toEqual({
      data: { tally: { label: 'x', big: null, small: null, counts: [1, null, 3], nested: { small: null } } },
      errors: [
        {
          path: ['tally', 'big'],
          original: [ErrorCode.VALUE_OUT_OF_RANGE, 'Tally.big: 9007199254740994 is beyond what a Long holds exactly (±9007199254740991)'],
        },
        {
          path: ['tally', 'small'],
          original: [
            ErrorCode.VALUE_OUT_OF_RANGE,
            'Tally.small: 2147483648 is beyond a 32-bit Int (-2147483648 to 2147483647); "format": "int64" serves it as a Long',
          ],
        },
        {
          path: ['tally', 'counts', 1],
          original: [ErrorCode.VALUE_OUT_OF_RANGE, 'Tally.counts[1]: -9007199254740992 is beyond what a Long holds exactly (±9007199254740991)'],
        },
        {
          path: ['tally', 'nested', 'small'],
          original: [
            ErrorCode.VALUE_OUT_OF_RANGE,
            'TallyNested.small: -2147483649 is beyond a 32-bit Int (-2147483648 to 2147483647); "format": "int64" serves it as a Long',
          ],
        },
      ],
    });
  });

  it.each([
    ['graphql-js', withGraphqlJs],
    ['graphql-jit', withGraphqlJit],
  ])('the bounds themselves, null and absent are served as before (%s)', (_name, run) => {
    const bounds = { label: null, big: -(2 ** 53 - 1), small: -(2 ** 31), counts: [2 ** 53 - 1, null], nested: { small: 2 ** 31 - 1 } };
    expect(answer(run(entity(bounds)))).toEqual({ data: { tally: bounds }, errors: undefined });
    expect(answer(run(entity({})))).toEqual({ data: { tally: { label: null, big: null, small: null, counts: null, nested: null } }, errors: undefined });
  });

  it.each([
    ['graphql-js', (root: unknown) => execute({ schema, document: parse('{ tally { matrix } }'), rootValue: root }) as ExecutionResult],
    [
      'graphql-jit',
      (root: unknown) => {
        const compiled = compileQuery(schema, parse('{ tally { matrix } }'));
        if (!isCompiledQuery(compiled)) throw new Error('not compiled');
        return compiled.query(root, {}, {}) as ExecutionResult;
      },
    ],
  ])('in a list of lists, at its element (%s)', (_name, run) => {
    expect(answer(run(entity({ matrix: [[1], [2, 2 ** 31], null] })))).toEqual({
      data: { tally: { matrix: [[1], [2, null], null] } },
      errors: [
        {
          path: ['tally', 'matrix', 1, 1],
          original: [
            ErrorCode.VALUE_OUT_OF_RANGE,
            'Tally.matrix[1][1]: 2147483648 is beyond a 32-bit Int (-2147483648 to 2147483647); "format": "int64" serves it as a Long',
          ],
        },
      ],
    });
  });

  it('integerOutOfRange: only whole numbers beyond the scalar; anything else is left to serialize', () => {
    expect(integerOutOfRange('Long', 1e21)).toBe('1000000000000000000000 is beyond what a Long holds exactly (±9007199254740991)');
    expect(integerOutOfRange('Long', 2 ** 53 - 1)).toBeNull();
    expect(integerOutOfRange('Int', 2 ** 31 - 1)).toBeNull();
    expect(integerOutOfRange('Int', 1.5)).toBeNull();
    expect(integerOutOfRange('Int', '2147483648')).toBeNull();
  });
});
