import { modelObject } from '../../../src/catalog/field-model';
import { createApiSchemaCheck } from '../../../src/graphql/api-schema-check';
import { fieldNameProblems } from '../../../src/graphql/subject/field-name-problems';

const problemsOf = (properties: Record<string, unknown>) => fieldNameProblems(modelObject({ type: 'object', properties }));

describe('canonical property names the API cannot serve as one field each', () => {
  it('refuses "." and a leading "$" at any depth: stored paths read "a.b" as "b" inside "a"', () => {
    expect(problemsOf({ 'ship.city': { type: 'string' } })).toEqual([
      'schema.properties.ship.city: a canonical property name cannot contain "." or start with "$" (stored paths read "a.b" as "b" inside "a")',
    ]);
    expect(problemsOf({ $price: { type: 'number' } })).toHaveLength(1);
    expect(problemsOf({ lines: { type: 'array', items: { type: 'object', properties: { 'unit.price': { type: 'string' } } } } })).toEqual([
      expect.stringMatching(/^schema\.properties\.lines\.items\.properties\.unit\.price: a canonical property name cannot contain/),
    ]);
  });

  it('refuses two names of one object served as one GraphQL field, and `_meta` at the top level', () => {
    expect(problemsOf({ 'a-b': { type: 'string' }, a_b: { type: 'number' } })).toEqual([
      'schema.properties: property "a_b" and property "a-b" are both served as the GraphQL field "a_b"',
    ]);
    expect(problemsOf({ email: { type: 'string', 'x-canonql-ref': { subject: 'customer', by: 'email', as: 'tier' } }, tier: { type: 'string' } })).toEqual([
      'schema.properties: property "tier" and the relation "tier" of "email" are both served as the GraphQL field "tier"',
    ]);
    expect(problemsOf({ _meta: { type: 'string' } })).toEqual([
      'schema.properties: property "_meta" and the entity metadata field `_meta` are both served as the GraphQL field "_meta"',
    ]);
    expect(problemsOf({ shipping: { type: 'object', properties: { 'x-y': { type: 'string' }, x_y: { type: 'string' } } } })).toHaveLength(1);
    // `_meta` inside an object, and the same name in two objects, are fine.
    expect(
      problemsOf({
        a: { type: 'object', properties: { _meta: { type: 'string' }, n: { type: 'string' } } },
        b: { type: 'object', properties: { n: { type: 'string' } } },
      }),
    ).toEqual([]);
  });

  it('refuses, at any depth, a name every JavaScript object inherits: a document without it would seem to hold it', () => {
    expect(problemsOf({ constructor: { type: ['string', 'null'] } })).toEqual([
      'schema.properties.constructor: "constructor" is a name every JavaScript object inherits (Object.prototype); a document without it would seem to hold it: name the property otherwise',
    ]);
    expect(problemsOf({ box: { type: 'object', properties: { toString: { type: 'string' }, valueOf: { type: 'integer' } } } })).toHaveLength(2);
    expect(problemsOf({ tags: { type: 'array', items: { type: 'object', properties: { hasOwnProperty: { type: 'string' } } } } })).toHaveLength(1);
    expect(problemsOf({ construct: { type: 'string' }, to_string: { type: 'string' } })).toEqual([]);
  });

  it("refuses a NUL in a name: the store cannot hold the key, and each record's write failed (the batch retried forever)", () => {
    expect(problemsOf({ o: { type: 'object', properties: { 'a\u0000b': { type: 'string' } } } })).toEqual([
      '"schema.properties.o.properties.a\\u0000b": a canonical property name cannot contain NUL (U+0000): the store cannot hold such a key, and every record would fail to be written',
    ]);
  });

  it('accepts the demo schemas and a canonical `id` (it is what the entity shows as `id`)', () => {
    expect(
      problemsOf({ id: { type: 'integer' }, 'order-id': { type: 'string' }, customer: { type: 'object', properties: { email: { type: 'string' } } } }),
    ).toEqual([]);
  });

  it('is what registration reports (the API check the schema registry asks)', () => {
    expect(createApiSchemaCheck().buildProblems('parcel', { type: 'object', properties: { 'a-b': { type: 'string' }, a_b: { type: 'string' } } })).toEqual([
      'schema.properties: property "a_b" and property "a-b" are both served as the GraphQL field "a_b"',
    ]);
  });
});
