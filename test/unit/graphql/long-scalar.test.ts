import { graphql, GraphQLObjectType, GraphQLSchema } from 'graphql';
import { modelObject } from '../../../src/catalog/field-model';
import { DecimalScalar, LongScalar } from '../../../src/graphql/scalars';
import { whereToMongo } from '../../../src/graphql/subject/list-query';
import { matchesWhere } from '../../../src/graphql/subject/where-matcher';
import { numberKey } from '../../../src/values/order-key';

describe('Long: canonical integers with format int64, beyond GraphQL’s 32-bit Int', () => {
  it('is what an integer with `format: int64` is served as; a plain integer stays Int', () => {
    const [long, int] = modelObject({ type: 'object', properties: { n: { type: 'integer', format: 'int64' }, m: { type: ['integer', 'null'] } } });
    expect(long).toMatchObject({ kind: 'scalar', scalar: 'Long' });
    expect(int).toMatchObject({ kind: 'scalar', scalar: 'Int' });
  });

  it('serializes and reads every whole number within ±(2^53−1), from numbers, bigints and digit strings', () => {
    expect(LongScalar.serialize(5_000_000_000)).toBe(5_000_000_000);
    expect(LongScalar.serialize(-9_007_199_254_740_991)).toBe(-9_007_199_254_740_991);
    expect(LongScalar.serialize(5_000_000_000n)).toBe(5_000_000_000);
    expect(LongScalar.serialize('5000000000')).toBe(5_000_000_000);
    expect(LongScalar.parseValue('9007199254740991')).toBe(9_007_199_254_740_991);
    expect(() => LongScalar.serialize(9_007_199_254_740_992)).toThrow(/Long cannot represent 9007199254740992/);
    expect(() => LongScalar.serialize(1.5)).toThrow(/Long cannot represent/);
    expect(() => LongScalar.parseValue('9007199254740993')).toThrow(/Long must be a whole number within ±9007199254740991/);
    expect(() => LongScalar.parseValue(1.5)).toThrow(/Long must be a whole number/);
  });

  it('takes integer literals beyond 32 bits in a query, and answers with the number', async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: { echo: { type: LongScalar, args: { n: { type: LongScalar } }, resolve: (_root, args: { n: number }) => args.n } },
      }),
    });
    expect(await graphql({ schema, source: '{ echo(n: 5000000000) }' })).toEqual({ data: { echo: 5_000_000_000 } });
    const refused = await graphql({ schema, source: '{ echo(n: 9007199254740993) }' });
    expect(refused.errors?.[0]?.message).toMatch(/Long must be a whole number within ±9007199254740991, got "9007199254740993"/);
  });

  it('filters by value through order keys, in the store filter and the matcher alike', () => {
    const fields = modelObject({ type: 'object', properties: { n: { type: 'integer', format: 'int64' } } });
    expect(whereToMongo({ n: { gt: 4_000_000_000 } }, fields)).toEqual({ '_k.n': { $gt: numberKey(4_000_000_000) } });
    expect(matchesWhere({ n: { gt: 4_000_000_000 } }, fields, { n: 5_000_000_000 })).toBe(true);
    expect(matchesWhere({ n: { in: [5_000_000_000] } }, fields, { n: 5_000_000_001 })).toBe(false);
  });
});

describe('Decimal inputs written as numbers', () => {
  it('reads a JSON number or a numeric literal in exponent form as its plain decimal text, with its digits', async () => {
    expect(DecimalScalar.parseValue(1e21)).toBe('1000000000000000000000');
    expect(DecimalScalar.parseValue(1e-7)).toBe('0.0000001');
    expect(DecimalScalar.parseValue(12.5)).toBe('12.5');
    expect(DecimalScalar.parseValue('12.50')).toBe('12.50');
    expect(() => DecimalScalar.parseValue('1e21')).toThrow(/Decimal must be a decimal string/);
    expect(() => DecimalScalar.parseValue(Number.NaN)).toThrow(/Decimal must be a decimal string/);
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: { echo: { type: DecimalScalar, args: { d: { type: DecimalScalar } }, resolve: (_root, args: { d: string }) => args.d } },
      }),
    });
    expect(await graphql({ schema, source: '{ echo(d: 1.5e3) }' })).toEqual({ data: { echo: '1500' } });
    expect(await graphql({ schema, source: '{ echo(d: 42) }' })).toEqual({ data: { echo: '42' } });
  });
});
