import fs from 'node:fs';
import path from 'node:path';
import { compileSpec } from '../../../src/mapping/compile-spec';
import { listTransforms } from '../../../src/mapping/transforms/transform-registry';
import { validateSpec } from '../../../src/mapping/validate-spec';
import { appErrorOf, SEED_ORDER_SPEC, specWith } from './mapping-test-helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const SPECS = path.join(ROOT, 'specs');
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));
const problemsOf = (input: unknown): string[] => {
  const result = validateSpec(input);
  return result.ok ? [] : result.problems;
};

describe('validateSpec', () => {
  it.each(fs.readdirSync(SPECS).filter((f) => f.endsWith('.json')))('accepts specs/%s', (file) => {
    expect(problemsOf(readJson(path.join(SPECS, file)))).toEqual([]);
  });

  it('keeps specs/order.json exactly the seed spec of the platform design', () => {
    expect(readJson(path.join(SPECS, 'order.json'))).toEqual(SEED_ORDER_SPEC);
  });

  it('returns the spec when it is valid', () => {
    const spec = specWith([{ src: '$.a', dst: '$.b' }]);
    expect(validateSpec(spec)).toEqual({ ok: true, spec });
  });

  it('lists every problem of a bad spec at once, each with its location', () => {
    const problems = problemsOf({
      mappingId: 'orders v2',
      version: 0,
      source: { type: 'kafka' },
      target: { subject: 'canonical.sales-order.v1' },
      deleteMode: 'purge',
      key: { fields: ['$.orderNumber'] },
      fieldMappings: [
        { src: '$.orderId', dst: '$.order_id', transform: 'string' },
        { src: '$.email', dst: '$.customer.email', trasform: 'lowercase' },
        { src: '$.customer.email', dst: '$.email', transform: 'lowercse' },
        { src: '$.total', dst: '$.total', transform: { name: 'decimal', args: { scale: 'two', mode: 'x' } } },
        { src: '$.status', dst: '$.status', transform: { name: 'enum' } },
        { src: '$..sku', dst: '$.skus' },
        { src: '$.items[*].sku', dst: '$.line_items.sku' },
        { src: '$.name', dst: '$.order_id' },
        { src: '$.x', dst: '$.y', when: { src: '$.s', equals: 1, in: [1] } },
        { src: '$.c', dst: '$.customer' },
        { src: '$.d', dst: '$.items[0].sku' },
        { dst: '$.nothing', transform: 'trim' },
      ],
      defaults: { 'items[*].x': 1 },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'mappingId: must match pattern "^[A-Za-z0-9][A-Za-z0-9._-]*$"',
        'version: must be >= 1',
        'source.topic: is required',
        'deleteMode: must be one of "soft", "hard"',
        'fieldMappings[1]: unknown property "trasform"',
        'fieldMappings[8].when: must NOT have more than 2 properties (a condition has "src" and exactly one operator)',
        'target.subject: "canonical.sales-order.v1" names subject "sales-order", which is not an identifier (a letter, then letters, digits or _)',
        'fieldMappings[2].transform: unknown transform "lowercse" (did you mean "lowercase"?)',
        'fieldMappings[3].transform.args: decimal: unknown argument "mode" (known: scale, rounding)',
        'fieldMappings[3].transform.args: decimal: argument "scale" must be an integer',
        'fieldMappings[4].transform.args: enum: argument "map" is required',
        'fieldMappings[5].src: JSONPath "$..sku": recursive descent ".." is not supported',
        'fieldMappings[6]: src "$.items[*].sku" has 1 [*] but dst "$.line_items.sku" has 0; element-wise mapping needs the same number',
        'fieldMappings[7].dst: "$.order_id" is also written by fieldMappings[0], which has no "when"; only the last mapping of a dst may omit it',
        'fieldMappings[1].dst: "$.customer.email" is inside "$.customer", which fieldMappings[9] writes whole',
        'fieldMappings[10].dst: [n] is not supported in a destination (use [*] to map arrays element-wise)',
        'fieldMappings[11].src: is required unless the first transform is default, concat or coalesce',
        'defaults["items[*].x"]: must be a path of field names (no [*], [n] or numeric parts)',
        'fieldMappings[10].dst: [n] is not supported in a destination (use [*] to map arrays element-wise)',
        'key.fields[0]: "$.orderNumber" is not produced by any field mapping or default',
      ]),
    );
    expect(problems).toHaveLength(19);
  });

  it('rejects unsupported JSONPath wherever a path appears', () => {
    const problems = problemsOf(
      specWith(
        [
          { src: '$.items[?(@.qty>1)].sku', dst: '$.a' },
          { src: '$.b', dst: '$.c[0:1]' },
          { src: '$.d', dst: '$.e', when: { src: '$.items[*].x', exists: true } },
          { dst: '$.f', transform: { name: 'concat', args: { srcs: ['$.g', '$.h.*'] } } },
        ],
        { key: { fields: ['$..a'] } },
      ),
    );
    expect(problems).toEqual([
      'fieldMappings[0].src: JSONPath "$.items[?(@.qty>1)].sku": filter expressions are not supported (supported: $, .name, [\'name\'], [n], [*])',
      'fieldMappings[1].dst: JSONPath "$.c[0:1]": array slices are not supported (supported: $, .name, [\'name\'], [n], [*])',
      'fieldMappings[2].when.src: must not use [*] (a condition tests one value of the record)',
      'fieldMappings[3].transform.args: concat: srcs[1]: JSONPath "$.h.*": member wildcard ".*" is not supported (use [*] on arrays)',
      'key.fields[0]: JSONPath "$..a": recursive descent ".." is not supported',
    ]);
  });

  it('checks arguments of transforms in a chain, locating each step', () => {
    expect(problemsOf(specWith([{ src: '$.a', dst: '$.b', transform: ['trim', { name: 'round', args: { scale: 101 } }, 'lowercase', 'upper'] }]))).toEqual([
      'fieldMappings[0].transform[1].args: round: scale must be between 0 and 100, got 101',
      'fieldMappings[0].transform[3]: unknown transform "upper" (did you mean "uppercase"?)',
    ]);
  });

  it('lets mappings share a dst as conditional alternatives, the last one unconditional', () => {
    const spec = specWith([
      { src: '$.a', dst: '$.x', when: { src: '$.kind', equals: 'A' } },
      { src: '$.b', dst: '$.x' },
    ]);
    expect(problemsOf(spec)).toEqual([]);
  });

  it('refuses a source topic Kafka would refuse (a subscription to one fails the whole ingestion consumer)', () => {
    const withSource = (source: Record<string, unknown>) => ({ ...SEED_ORDER_SPEC, source: { ...SEED_ORDER_SPEC.source, ...source } });
    for (const bad of ['bad topic!', 'x'.repeat(250), '.', '..', 'café.orders']) {
      expect(problemsOf(withSource({ topic: bad }))).toEqual([expect.stringContaining('source.topic')]);
      expect(problemsOf(withSource({ topics: ['ok.topic', bad] }))).toEqual([expect.stringContaining('source.topics[1]')]);
    }
    for (const good of ['canonql.public.customers', 'a-b_c.9', '...', 'x'.repeat(249)]) {
      expect(problemsOf(withSource({ topic: good }))).toEqual([]);
    }
  });

  it('answers non-objects with a problem instead of throwing', () => {
    expect(problemsOf(null)).toEqual(['(root): must be object']);
    expect(problemsOf('spec')).toEqual(['(root): must be object']);
  });

  it('makes compileSpec throw SPEC_INVALID with every problem in details', () => {
    const error = appErrorOf(() =>
      compileSpec(
        specWith([
          { src: '$.a', dst: '$.b', transform: 'lowercse' },
          { src: '$..c', dst: '$.d' },
        ]),
      ),
    );
    expect(error.code).toBe('SPEC_INVALID');
    expect(error.details).toEqual([
      'fieldMappings[0].transform: unknown transform "lowercse" (did you mean "lowercase"?)',
      'fieldMappings[1].src: JSONPath "$..c": recursive descent ".." is not supported',
    ]);
    expect(error.message).toContain('mapping spec "test-spec" is invalid');
  });
});

describe('schema/mapping-spec.schema.json', () => {
  const schema = readJson(path.join(ROOT, 'schema', 'mapping-spec.schema.json')) as Record<string, unknown>;

  it('gives every property a title and a description, so editors can explain it', () => {
    const missing: string[] = [];
    const visit = (node: unknown, where: string): void => {
      if (node === null || typeof node !== 'object') return;
      const properties = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
      for (const [name, property] of Object.entries(properties ?? {})) {
        if (typeof property.title !== 'string' || typeof property.description !== 'string') missing.push(`${where}.${name}`);
      }
      for (const [key, child] of Object.entries(node)) visit(child, `${where}/${key}`);
    };
    visit(schema, '');
    expect(missing).toEqual([]);
  });

  it('offers exactly the registered transform names for autocompletion', () => {
    const names = (schema.$defs as Record<string, { examples: string[] }>).transformName!.examples;
    expect([...names].sort()).toEqual(
      listTransforms()
        .map((t) => t.name)
        .sort(),
    );
  });
});
