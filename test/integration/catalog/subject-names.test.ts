import { SCHEMA_SUBJECTS_COLLECTION, SCHEMA_VERSIONS_COLLECTION } from '../../../src/catalog/schema-registry';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { createLeftovers, testMongo, uniqueName } from '../../support/test-env';

/**
 * Subject names that would collide with generated or fixed API names (issue 14 item 5): each
 * registration is refused with BAD_USER_INPUT (and the dry run calls it incompatible), and after
 * all of them the API still answers as before and a well-named subject is served.
 */
const SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { id: { type: 'string' }, first: { type: 'string' } },
  required: ['id'],
};
const HOSTILE_NAMES = [
  'order_customer',
  'orders',
  'order_history',
  'orders_aggregate',
  'subjects',
  'metric',
  'subscription',
  'constructor',
  'prototype',
  `x${'a'.repeat(4_999)}`,
];

describe('subject names', () => {
  const leftovers = createLeftovers();
  let target: AppUnderTest;

  beforeAll(async () => {
    target = await startAppUnderTest('subject-names');
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  const register = (subject: string) =>
    target.gql<{ registerCanonicalSchema: { version: number } }>(
      'mutation($n: String!, $s: JSON!) { registerCanonicalSchema(subject: $n, schema: $s) { version } }',
      { n: subject, s: SCHEMA },
    );
  const dryRun = (subject: string) =>
    target.ok<{ schemaCompatibility: { compatible: boolean; problems: string[] } }>(
      'query($n: String!, $s: JSON!) { schemaCompatibility(subject: $n, schema: $s) { compatible problems } }',
      { n: subject, s: SCHEMA },
    );
  /** The API answers as before: the fixed part and the seed subjects' fields. */
  const apiIntact = async () => {
    expect(await target.ok('{ orders(first: 1) { totalCount } }')).toEqual({ orders: { totalCount: 0 } });
    const subjects = await target.ok<{ subjects: { name: string }[] }>('{ subjects { name } }');
    const names = subjects.subjects.map((s) => s.name);
    expect(names).toContain('customer');
    expect(names).toContain('order');
    for (const name of HOSTILE_NAMES) expect(names).not.toContain(name);
    expect((await fetch(`${target.app.url}/readyz`)).status).toBe(200);
  };

  it.each(HOSTILE_NAMES.map((name) => [name.length > 100 ? `${name.slice(0, 12)}… (${name.length} characters)` : name, name]))(
    'refuses %s with BAD_USER_INPUT, in the dry run too',
    async (_label, name) => {
      const reply = await register(name);
      expect(reply.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((await dryRun(name)).schemaCompatibility.compatible).toBe(false);
      await apiIntact();
    },
  );

  it('serves a well-named subject after the refusals', async () => {
    await target.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s) { version } }', { s: SCHEMA });
    expect(await target.ok('{ parcels(first: 1) { totalCount } }')).toEqual({ parcels: { totalCount: 0 } });
  });

  it('refuses a property named as every JavaScript object inherits (each document without it was dead-lettered as "must be string")', async () => {
    const inherited = { ...SCHEMA, properties: { ...SCHEMA.properties, constructor: { type: ['string', 'null'] } } };
    const reply = await target.gql('mutation($s: JSON!) { registerCanonicalSchema(subject: "gizmo", schema: $s) { version } }', { s: inherited });
    expect(reply.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(reply.errors?.[0]?.extensions?.details).toEqual([
      'schema.properties.constructor: "constructor" is a name every JavaScript object inherits (Object.prototype); a document without it would seem to hold it: name the property otherwise',
    ]);
    await apiIntact();
  });

  it('refuses a registered `pattern` that can take exponential time to match (ReDoS), in the dry run too', async () => {
    const redos = { ...SCHEMA, properties: { ...SCHEMA.properties, code: { type: 'string', pattern: '^(a+)+$' } } };
    const reply = await target.gql('mutation($s: JSON!) { registerCanonicalSchema(subject: "voucher", schema: $s) { version } }', { s: redos });
    expect(reply.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(reply.errors?.[0]?.extensions?.details)).toMatch(/exponential time/);
    const safe = { ...SCHEMA, properties: { ...SCHEMA.properties, code: { type: 'string', pattern: '^[A-Z]{3}-[0-9]+$' } } };
    await target.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "voucher", schema: $s) { version } }', { s: safe });
    await apiIntact();
  });
});

describe('a catalog holding colliding or unsafe subjects (stored before these checks)', () => {
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  it('does not keep the process from starting: the valid subjects are served, the others reported', async () => {
    const mongo = await testMongo();
    leftovers.add(() => mongo.close());
    const database = uniqueName('poisoned_catalog');
    const db = mongo.db(database);
    const stored = (subject: string, schema: Record<string, unknown>) => ({
      _id: `${subject}#1`,
      subject,
      version: 1,
      schemaJson: JSON.stringify(schema),
      origin: 'api',
      registeredAt: new Date(),
    });
    const redos = { ...SCHEMA, properties: { ...SCHEMA.properties, code: { type: 'string', pattern: '(x+x+)+y' } } };

    // A first start seeds the file subjects (order, customer); the colliding ones come after, as in a store written before these checks.
    await (await startAppUnderTest('poisoned-catalog', { MONGODB_DATABASE: database })).stop();
    await db
      .collection(SCHEMA_VERSIONS_COLLECTION)
      .insertMany([stored('orders', SCHEMA), stored('order_customer', SCHEMA), stored('voucher', redos), stored('parcel', SCHEMA)] as never[]);
    await db.collection(SCHEMA_SUBJECTS_COLLECTION).insertMany(
      ['orders', 'order_customer', 'voucher', 'parcel'].map((subject) => ({
        _id: subject,
        compatibility: null,
        deprecated: false,
        deprecationReason: null,
        deleted: false,
        updatedAt: new Date(),
      })) as never[],
    );

    const target = await startAppUnderTest('poisoned-catalog', { MONGODB_DATABASE: database });
    leftovers.add(() => target.stop());
    expect(await target.ok('{ orders(first: 1) { totalCount } parcels(first: 1) { totalCount } }')).toEqual({
      orders: { totalCount: 0 },
      parcels: { totalCount: 0 },
    });
    expect((await fetch(`${target.app.url}/readyz`)).status).toBe(200);
    for (const subject of ['orders', 'order_customer', 'voucher']) {
      const status = await target.gql('query($s: String!) { subjectStatus(subject: $s) { subject } }', { s: subject });
      expect(status.errors?.[0]?.extensions?.code).toBe('SCHEMA_INVALID');
      expect(status.errors?.[0]?.message).toMatch(new RegExp(`subject "${subject}" is registered but not served`));
    }
  });
});
