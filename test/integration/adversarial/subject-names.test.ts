import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { createLeftovers } from '../../support/test-env';

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
  'order_customer', 'orders', 'order_history', 'orders_aggregate', 'subjects', 'metric', 'subscription',
  'constructor', 'prototype', `x${'a'.repeat(4_999)}`,
];

describe('subject names', () => {
  const leftovers = createLeftovers();
  let target: AppUnderTest;

  beforeAll(async () => {
    target = await startAppUnderTest('subject-names');
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  const register = (subject: string) => target.gql<{ registerCanonicalSchema: { version: number } }>(
    'mutation($n: String!, $s: JSON!) { registerCanonicalSchema(subject: $n, schema: $s) { version } }', { n: subject, s: SCHEMA });
  const dryRun = (subject: string) => target.ok<{ schemaCompatibility: { compatible: boolean; problems: string[] } }>(
    'query($n: String!, $s: JSON!) { schemaCompatibility(subject: $n, schema: $s) { compatible problems } }', { n: subject, s: SCHEMA });
  /** The API answers as before: the fixed part and the seed subjects' fields. */
  const apiIntact = async () => {
    expect(await target.ok('{ orders(first: 1) { totalCount } }')).toEqual({ orders: { totalCount: 0 } });
    const subjects = await target.ok<{ subjects: { name: string }[] }>('{ subjects { name } }');
    expect(subjects.subjects.map((s) => s.name).sort()).toEqual(['customer', 'order']);
    expect((await fetch(`${target.app.url}/readyz`)).status).toBe(200);
  };

  it.failing.each(HOSTILE_NAMES.map((name) => [name.length > 100 ? `${name.slice(0, 12)}… (${name.length} characters)` : name, name]))(
    'refuses %s with BAD_USER_INPUT, in the dry run too',
    async (_label, name) => {
      const reply = await register(name);
      expect(reply.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((await dryRun(name)).schemaCompatibility.compatible).toBe(false);
      await apiIntact();
    },
  );

  it.failing('serves a well-named subject after the refusals', async () => {
    await target.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s) { version } }', { s: SCHEMA });
    expect(await target.ok('{ parcels(first: 1) { totalCount } }')).toEqual({ parcels: { totalCount: 0 } });
  });
});
