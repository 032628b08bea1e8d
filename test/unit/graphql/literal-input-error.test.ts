import { GraphQLError, parse, validate } from 'graphql';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { createFormatError } from '../../../src/graphql/format-error';
import { literalInputError } from '../../../src/graphql/literal-input-error';
import { subjectNames } from '../../../src/graphql/naming';
import { testLogger } from '../../support/test-logger';
import { VALUE_SCHEMA } from '../../support/value-oracle';

/**
 * A malformed Decimal or DateTime literal in a document is BAD_USER_INPUT naming the argument
 * path and the value, like the same value in a variable: over HTTP (the endpoint's formatError)
 * and over graphql-ws (the guard that validates subscriptions), both through literalInputError.
 */
const schema = buildApiSchema([{ subject: 'value_probe', version: 1, schema: VALUE_SCHEMA }]);
const names = subjectNames('value_probe');

function refusal(query: string) {
  const document = parse(query);
  const errors = validate(schema, document);
  expect(errors).toHaveLength(1);
  const literal = literalInputError(errors[0]!, document);
  return literal && { message: literal.message, extensions: literal.extensions };
}

describe('a malformed Decimal or DateTime literal', () => {
  it.each([
    [`{ ${names.list}(where: { amount: { gt: "12,50" } }) { totalCount } }`, 'where.amount.gt', '12,50', /Decimal must be/],
    [`{ ${names.list}(where: { amount: { in: ["1.5", "1e"] } }) { totalCount } }`, 'where.amount.in[1]', '1e', /Decimal must be/],
    [
      `{ ${names.list}(where: { or: [{ s: { eq: "x" } }, { at: { lte: "2024-03-01 10:00" } }] }) { totalCount } }`,
      'where.or[1].at.lte',
      '2024-03-01 10:00',
      /DateTime must be/,
    ],
    [
      `{ ${names.list}(where: { at: { gt: "2024-03-01T10:00:00.1234567891Z" } }) { totalCount } }`,
      'where.at.gt',
      '2024-03-01T10:00:00.1234567891Z',
      /at most 9 fractional digits/,
    ],
    [`{ ${names.list}(where: { amount: { eq: true } }) { totalCount } }`, 'where.amount.eq', 'true', /Decimal must be/],
    [`query($w: ${names.type}Where = { at: { lt: "yesterday" } }) { ${names.list}(where: $w) { totalCount } }`, '$w.at.lt', 'yesterday', /DateTime must be/],
    ['{ metric(name: "m", window: hour, from: "2024-13-01T00:00:00Z") { count } }', 'from', '2024-13-01T00:00:00Z', /DateTime must be/],
  ])('%s: BAD_USER_INPUT naming %s and the value', (query, argument, value, why) => {
    const error = refusal(query);
    expect(error).toEqual({ message: expect.stringContaining(`at "${argument}"`), extensions: { code: 'BAD_USER_INPUT', argument, value } });
    expect(error!.message).toMatch(why);
    expect(error!.message).toContain(JSON.stringify(value === 'true' ? true : value));
  });

  it('leaves other validation errors alone (an unknown field is GRAPHQL_VALIDATION_FAILED)', () => {
    const document = parse(`{ ${names.list}(where: { nope: { eq: "1" } }) { totalCount } }`);
    const [error] = validate(schema, document);
    expect(literalInputError(error!, document)).toBeNull();
  });

  it('reads the argument path from the error alone (Apollo formats the error without the document)', () => {
    const document = parse(`{ ${names.list}(where: { amount: { lt: "1,5" } }) { totalCount } }`);
    const [scalarError] = validate(schema, document);
    // What Apollo hands formatError: its ValidationError wrapping the scalar's error.
    const wrapped = new GraphQLError(scalarError!.message, {
      nodes: scalarError!.nodes ?? null,
      originalError: scalarError,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const formatted = createFormatError(testLogger())({ message: wrapped.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, wrapped);
    expect(formatted).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'where.amount.lt', value: '1,5' } });
    expect(formatted.message).toBe(
      'Argument "where" has an invalid value at "where.amount.lt": Decimal must be a decimal string such as "-1234.50" (at most 1000 significant digits), got "1,5"',
    );
  });
});
