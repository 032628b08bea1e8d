import path from 'node:path';
import { readSchemaFiles } from '../../../src/catalog/schema-registry';
import { subjectNameProblems } from '../../../src/catalog/subject-name';
import { unsafePatterns } from '../../../src/catalog/canonical-schemas';
import { createSubjectCatalog } from '../../../src/catalog/subject-catalog';
import { buildServedSchema, candidateProblems } from '../../../src/graphql/served-schema';

/** Subject names against the API they generate (issue 14 item 5), checked on built candidate schemas. */
const SEEDS = readSchemaFiles(path.join(__dirname, '..', '..', '..', 'schema', 'canonical')).map((s) => ({ ...s, version: 1 }));
const PLAIN = { type: 'object', properties: { id: { type: 'string' }, first: { type: 'string' } } };
const entry = (subject: string, schema: Record<string, unknown> = PLAIN) => ({ subject, version: 1, schema });

describe('candidate API schema', () => {
  it.each([
    ['order_customer', /multiple types named "OrderCustomer"/],
    ['orders', /multiple types named "Order"/],
    ['order_history', /would replace Query\.orderHistory/],
    ['orders_aggregate', /would replace Query\.ordersAggregate/],
    ['subjects', /multiple types named "Subject"/],
    ['subject_statuses', /multiple types named "SubjectStatus"/],
    ['metric', /would replace Query\.metric/],
    ['entity_meta', /multiple types named "EntityMeta"/],
    ['catalogs', /multiple types named "Catalog"/],
  ])('refuses %s, naming what it would break', (subject, problem) => {
    expect(candidateProblems(SEEDS, entry(subject)).join('\n')).toMatch(problem);
  });

  it('accepts a new well-named subject, a new version of a seed, and a relation target appearing', () => {
    expect(candidateProblems(SEEDS, entry('parcel'))).toEqual([]);
    const customer = SEEDS.find((s) => s.subject === 'customer')!;
    const others = SEEDS.filter((s) => s.subject !== 'customer');
    expect(candidateProblems(others, { ...customer, version: 2 }, undefined, customer)).toEqual([]);
    // order relates to customer: registering customer turns order's JSON relation field into the Customer type.
    expect(candidateProblems(others, customer)).toEqual([]);
  });

  it('serves the largest valid set and reports the rest', () => {
    const { served, refused } = buildServedSchema([...SEEDS, entry('orders'), entry('order_customer'), entry('parcel')]);
    expect(served.map((s) => s.subject)).toEqual(['customer', 'order', 'parcel']);
    expect(refused.map((r) => r.subject)).toEqual(['order_customer', 'orders']);
  });

  it('serves a relation target whose name sorts after the subject that refers to it, and still refuses a collision', () => {
    const site = entry('site', { type: 'object', properties: { code: { type: 'string' }, name: { type: 'string' } } });
    const parcel = entry('parcel', {
      type: 'object',
      properties: { site_code: { type: 'string', 'x-canonql-ref': { subject: 'site', by: 'code', as: 'site' } } },
    });
    const { schema, served, refused } = buildServedSchema([parcel, site]);
    expect(refused).toEqual([]);
    expect(served.map((s) => s.subject)).toEqual(['parcel', 'site']);
    expect(String((schema.getType('Parcel') as import('graphql').GraphQLObjectType).getFields().site!.type)).toBe('Site');
    // A subject whose own types collide with one the others generate is still left out.
    const { refused: collided } = buildServedSchema([parcel, site, entry('parcels')]);
    expect(collided.map((r) => r.subject)).toEqual(['parcels']);
  });
});

describe('subject name rules', () => {
  it('refuses reserved names, names over 64 characters and non-identifiers', () => {
    expect(subjectNameProblems('parcel')).toEqual([]);
    expect(subjectNameProblems('constructor').join()).toMatch(/reserved/);
    expect(subjectNameProblems('prototype').join()).toMatch(/reserved/);
    expect(subjectNameProblems('subscription').join()).toMatch(/reserved/);
    expect(subjectNameProblems(`a${'b'.repeat(64)}`).join()).toMatch(/at most 64 characters, got 65/);
    expect(subjectNameProblems('Order').join()).toMatch(/lower-case identifier/);
    expect(subjectNameProblems('__proto__').join()).toMatch(/lower-case identifier/);
  });
});

describe('ReDoS-prone patterns', () => {
  it('finds nested quantifiers in pattern and patternProperties, at any depth', () => {
    const schema = {
      type: 'object',
      properties: {
        code: { type: 'string', pattern: '^(a+)+$' },
        safe: { type: 'string', pattern: '^[A-Z]{3}-\\d+$' },
        nested: { type: 'object', patternProperties: { '(x+x+)+y': {} } },
      },
    };
    expect(unsafePatterns(schema)).toEqual([
      expect.stringMatching(/^\/properties\/nested\/patternProperties: pattern "\(x\+x\+\)\+y"/),
      expect.stringMatching(/^\/properties\/code\/pattern: pattern "\^\(a\+\)\+\$" can take exponential time/),
    ]);
  });
});

describe('a catalog entry whose schema no longer compiles', () => {
  it('is left out and reported; the others are served; its documents are refused, not stored unvalidated', () => {
    const catalog = createSubjectCatalog();
    const redos = { ...PLAIN, properties: { ...PLAIN.properties, code: { type: 'string', pattern: '^(a+)+$' } } };
    expect(catalog.replaceAll([entry('parcel'), entry('voucher', redos)])).toBe(true);
    expect(catalog.list().map((s) => s.subject)).toEqual(['parcel']);
    expect(catalog.unserved()).toEqual([{ subject: 'voucher', reason: expect.stringMatching(/exponential time/) }]);
    expect(catalog.validate('voucher', { id: '1' })).toEqual([expect.stringMatching(/^\(root\): the schema of voucher is not in force/)]);
    expect(catalog.validate('parcel', { id: '1' })).toEqual([]);
  });
});
