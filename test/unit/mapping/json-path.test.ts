import { formatJsonPath, parseJsonPath, type PathSegment } from '../../../src/mapping/json-path';
import { compileGetter } from '../../../src/mapping/path-getter';
import { compileSetter } from '../../../src/mapping/path-setter';

const segments = (path: string): readonly PathSegment[] => {
  const parsed = parseJsonPath(path);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.segments;
};
const get = (path: string, value: unknown) => compileGetter(segments(path))(value);

describe('the JSONPath subset', () => {
  it('parses $, .name, [\'name\'], ["name"], [n] and [*]', () => {
    expect(segments('$')).toEqual([]);
    expect(segments('$.a[\'b c\']["d"][2][*].$oid')).toEqual([
      { kind: 'name', name: 'a' },
      { kind: 'name', name: 'b c' },
      { kind: 'name', name: 'd' },
      { kind: 'index', index: 2 },
      { kind: 'wildcard' },
      { kind: 'name', name: '$oid' },
    ]);
    expect(segments("$['it\\'s']")).toEqual([{ kind: 'name', name: "it's" }]);
  });

  it('spells paths canonically, bracketing names that are not identifiers', () => {
    expect(formatJsonPath(segments("$['items'][*]['unit price']"))).toBe("$.items[*]['unit price']");
  });

  it.each([
    ['$..sku', 'recursive descent ".." is not supported'],
    ['$.items.*', 'member wildcard ".*" is not supported'],
    ['$.items[?(@.qty > 1)]', 'filter expressions are not supported'],
    ['$.items[0:2]', 'array slices are not supported'],
    ['$.items[0,1]', 'unions are not supported'],
    ['$.items[-1]', 'negative indices are not supported'],
    ['$.items.length()', 'unexpected "("'],
    ['items.sku', 'must start with "$"'],
    ['$.', 'expected a member name'],
    ['$.items[0', 'unterminated "["'],
    ["$['a", "unterminated ['name']"],
    ['', 'is empty'],
    ["$['__proto__'].polluted", 'the member name "__proto__" is not allowed'],
  ])('rejects %s with a clear problem', (path, problem) => {
    const parsed = parseJsonPath(path);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toContain(problem);
  });
});

describe('compiled getters', () => {
  const order = { id: 7, customer: { email: 'a@b', tags: ['x'] }, items: [{ sku: 'A' }, { qty: 1 }, null], nil: null };

  it('read members and indices; no match is undefined, a null value is null', () => {
    expect(get('$.customer.email', order)).toBe('a@b');
    expect(get('$.customer.tags[0]', order)).toBe('x');
    expect(get('$.customer.tags[5]', order)).toBeUndefined();
    expect(get('$.missing.deeper', order)).toBeUndefined();
    expect(get('$.nil', order)).toBeNull();
    expect(get('$.nil.deeper', order)).toBeUndefined();
    expect(get('$', order)).toBe(order);
  });

  it('read [*] element-wise, one entry per element, undefined where an element has no value', () => {
    expect(get('$.items[*].sku', order)).toEqual(['A', undefined, undefined]);
    expect(get('$.customer[*]', order)).toBeUndefined();
    expect(get('$.m[*].n[*]', { m: [{ n: [1, 2] }, { n: [] }, {}] })).toEqual([[1, 2], [], undefined]);
  });

  it('read only own members: no prototype properties, no array length', () => {
    expect(get('$.constructor', {})).toBeUndefined();
    expect(get('$.items.length', order)).toBeUndefined();
  });
});

describe('compiled setters', () => {
  it('create nested objects on the way', () => {
    const doc: Record<string, unknown> = {};
    compileSetter(segments('$.customer.email'))(doc, 'x');
    compileSetter(segments('$.customer.name'))(doc, 'n');
    expect(doc).toEqual({ customer: { email: 'x', name: 'n' } });
  });

  it('write nothing for undefined, and null as null', () => {
    const doc: Record<string, unknown> = {};
    compileSetter(segments('$.a.b'))(doc, undefined);
    compileSetter(segments('$.c'))(doc, null);
    expect(doc).toEqual({ c: null });
  });

  it('fill one array element-wise from several mappings, keeping indices aligned', () => {
    const doc: Record<string, unknown> = {};
    compileSetter(segments('$.line_items[*].sku'))(doc, ['A', undefined, 'C']);
    compileSetter(segments('$.line_items[*].qty'))(doc, [1, 2, undefined]);
    compileSetter(segments('$.tags[*]'))(doc, ['x', undefined]);
    compileSetter(segments('$.grid[*][*].v'))(doc, [[1], [2, 3]]);
    expect(doc).toEqual({
      line_items: [{ sku: 'A', qty: 1 }, { qty: 2 }, { sku: 'C' }],
      tags: ['x', null],
      grid: [[{ v: 1 }], [{ v: 2 }, { v: 3 }]],
    });
  });
});
