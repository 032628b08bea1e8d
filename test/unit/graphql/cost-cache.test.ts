import { buildSchema, parse } from 'graphql';
import type { Principal } from '../../../src/graphql/access';
import { checkOperation, DEFAULT_OPERATION_LIMITS } from '../../../src/graphql/limits/operation-limits';

/**
 * The cost of one parsed document is computed once unless a variable feeds a page size (`first`)
 * or an @include/@skip condition; the same document with other variables is then checked anew.
 */
const schema = buildSchema(`
  type Query { node(id: ID!): Node, nodes(first: Int = 20): [Node!]! }
  type Node { id: ID!, children(first: Int = 5): [Node!]! }
`);
const READER: Principal = { role: 'reader', authenticated: true };
const limits = { ...DEFAULT_OPERATION_LIMITS, maxCost: 500, maxPageSize: 100 };
const check = (document: ReturnType<typeof parse>, variables: Record<string, unknown>) =>
  checkOperation({ schema, document, variables, principal: READER }, limits)?.code ?? null;

describe('operation cost, cached per document', () => {
  it('checks a document whose variables feed `first` on every request', () => {
    const document = parse('query($n: Int) { nodes(first: $n) { id children(first: 10) { id } } }');
    expect(check(document, { n: 2 })).toBeNull();
    expect(check(document, { n: 90 })).toBe('COST_LIMIT_EXCEEDED');
    // Beyond the page size: costed at it (1 + 100 × 12), refused for its cost; the resolver would refuse the page.
    expect(check(document, { n: 1000 })).toBe('COST_LIMIT_EXCEEDED');
    expect(check(document, { n: 2 })).toBeNull();
  });

  it('checks a document whose variables feed @include on every request', () => {
    const document = parse('query($deep: Boolean!) { nodes(first: 50) { id children(first: 20) @include(if: $deep) { id } } }');
    expect(check(document, { deep: false })).toBeNull();
    expect(check(document, { deep: true })).toBe('COST_LIMIT_EXCEEDED');
  });

  it('reuses the verdict of a document whose variables do not change its cost', () => {
    const cheap = parse('query($id: ID!) { node(id: $id) { id children { id } } }');
    expect(check(cheap, { id: '1' })).toBeNull();
    expect(check(cheap, { id: '2' })).toBeNull();
    const costly = parse('query($id: ID!) { node(id: $id) { id } nodes(first: 100) { children(first: 10) { id } } }');
    expect(check(costly, { id: '1' })).toBe('COST_LIMIT_EXCEEDED');
    expect(check(costly, { id: '2' })).toBe('COST_LIMIT_EXCEEDED');
  });
});
