import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db, MongoClient } from 'mongodb';
import request from 'supertest';
import { startApp, type App } from '../../../src/app';
import { createSchemaRegistry, SCHEMA_VERSIONS_COLLECTION } from '../../../src/catalog/schema-registry';
import { createApiSchemaCheck } from '../../../src/graphql/api-schema-check';
import { loadConfig } from '../../../src/config';
import { startApiHarness } from '../../support/api-harness';
import { interceptMethod } from '../../support/intercepted-db';
import type { GqlResult } from '../../support/graphql-result';
import { createLeftovers, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { testLogger } from '../../support/test-logger';

/**
 * The canonical schema registry against the real store, through GraphQL only, on whole apps
 * (src/app.ts wiring): file seed, live registration, every violation listed, CONFLICT,
 * credentials, compatibility levels, deprecate/delete, restart, and a second process following
 * a registration through the catalog revision.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const KEY = 'schema-registry-test-key';
const logger = testLogger('warn');

describe('canonical schema registry', () => {
  const leftovers = createLeftovers();
  const database = uniqueName('schema_registry');
  const schemaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-schemas-'));
  let client: MongoClient;
  let db: Db;
  let first: App;
  let second: App;

  const start = () =>
    startApp(
      loadConfig({
        ...process.env,
        CANONQL_MODE: 'test',
        CANONQL_ROLES: 'api',
        CANONQL_HTTP_PORT: '0',
        MONGODB_DATABASE: database,
        CANONQL_ADMIN_KEYS: KEY,
        CANONQL_CATALOG_POLL_MS: '100',
        CANONQL_SCHEMA_DIR: schemaDir,
        // No mapping specs: this suite is about schemas (the seed specs would also tie it to their subjects).
        CANONQL_SPECS_DIR: path.join(schemaDir, 'no-specs'),
        CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
        CANONQL_DEMO_FEED: 'false',
      }),
      logger,
    );

  const gql = async (app: App, query: string, variables: Record<string, unknown> = {}, key: string | null = KEY): Promise<GqlResult> => {
    let call = request(app.url).post('/graphql').set('content-type', 'application/json');
    if (key !== null) call = call.set('authorization', `Bearer ${key}`);
    return (await call.send({ query, variables })).body as GqlResult;
  };
  const ok = (result: GqlResult) => {
    expect(result.errors).toBeUndefined();
    return result.data!;
  };

  const REGISTER =
    'mutation($subject: String!, $schema: JSON!, $expected: Int) { registerCanonicalSchema(subject: $subject, schema: $schema, expectedVersion: $expected) { subject version created } }';
  const shipmentV1 = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    description: 'A shipment.',
    additionalProperties: false,
    properties: {
      shipmentId: { type: 'string' },
      status: { type: 'string', enum: ['PENDING', 'SHIPPED', 'DELIVERED'] },
      weightKg: { type: ['number', 'null'], minimum: 0 },
    },
    required: ['shipmentId'],
  };
  const shipmentV2 = { ...shipmentV1, properties: { ...shipmentV1.properties, carrier: { type: ['string', 'null'], description: 'Who carries it.' } } };

  beforeAll(async () => {
    fs.mkdirSync(path.join(schemaDir, 'canonical'));
    for (const file of ['customer.schema.json', 'order.schema.json']) {
      fs.copyFileSync(path.join(ROOT, 'schema', 'canonical', file), path.join(schemaDir, 'canonical', file));
    }
    client = await testMongo();
    db = client.db(database);
    leftovers.add(() => client.close());
    leftovers.add(() => db.dropDatabase());
    leftovers.add(async () => fs.rmSync(schemaDir, { recursive: true, force: true }));
    first = await start();
    leftovers.add(() => first.stop());
  });
  afterAll(() => leftovers.dispose());

  it('seeds version 1 of each file schema into the store', async () => {
    const data = ok(await gql(first, '{ schemaVersions(subject: "customer") { version origin schema } subjects { name version deprecated } }'));
    expect(data.schemaVersions).toHaveLength(1);
    expect(data.schemaVersions[0]).toMatchObject({ version: 1, origin: 'file' });
    expect(data.schemaVersions[0].schema).toEqual(JSON.parse(fs.readFileSync(path.join(schemaDir, 'canonical', 'customer.schema.json'), 'utf8')));
    expect(data.subjects.map((s: { name: string }) => s.name).sort()).toEqual(['customer', 'order']);
    expect(await db.collection('schema_versions').countDocuments()).toBe(2);
  });

  it('registers a new subject and a compatible v2 whose new field is queryable at once', async () => {
    expect(ok(await gql(first, REGISTER, { subject: 'shipment', schema: shipmentV1, expected: 0 })).registerCanonicalSchema).toEqual({
      subject: 'shipment',
      version: 1,
      created: true,
    });
    expect(ok(await gql(first, '{ shipments { totalCount } }')).shipments.totalCount).toBe(0);
    // The v2 field is not there yet.
    expect((await gql(first, '{ shipments { edges { node { carrier } } } }')).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const dryRun = ok(
      await gql(
        first,
        'query($s: JSON!) { schemaCompatibility(subject: "shipment", schema: $s) { compatible level latestVersion violations { rule } } }',
        { s: shipmentV2 },
        null,
      ),
    );
    expect(dryRun.schemaCompatibility).toEqual({ compatible: true, level: 'BACKWARD', latestVersion: 1, violations: [] });

    expect(ok(await gql(first, REGISTER, { subject: 'shipment', schema: shipmentV2, expected: 1 })).registerCanonicalSchema).toEqual({
      subject: 'shipment',
      version: 2,
      created: true,
    });
    expect(ok(await gql(first, '{ shipments { edges { node { carrier } } } subject(name: "shipment") { version } }')).subject.version).toBe(2);
    // Registering the same schema again changes nothing.
    expect(ok(await gql(first, REGISTER, { subject: 'shipment', schema: shipmentV2 })).registerCanonicalSchema).toEqual({
      subject: 'shipment',
      version: 2,
      created: false,
    });
  });

  it('rejects an incompatible v3 with every violation in extensions.details, registering nothing', async () => {
    const { status: _status, ...kept } = shipmentV2.properties;
    const v3 = {
      ...shipmentV2,
      properties: { ...kept, weightKg: { type: 'integer', minimum: 1 }, carrier: { type: 'string', maxLength: 40 } },
      required: ['shipmentId', 'carrier'],
    };
    const expected = [
      '/properties/status: PROPERTY_REMOVED_FROM_CLOSED_MODEL',
      '/properties/weightKg/type: TYPE_NARROWED',
      '/properties/weightKg/type: TYPE_REMOVED',
      '/properties/weightKg/minimum: MINIMUM_RAISED',
      '/properties/carrier/type: TYPE_REMOVED',
      '/properties/carrier/maxLength: MAX_LENGTH_LOWERED',
      '/required: REQUIRED_ADDED',
      'graphql:Shipment.status: GRAPHQL_BREAKING',
      'graphql:Shipment.weightKg: GRAPHQL_BREAKING',
    ];
    const result = await gql(first, REGISTER, { subject: 'shipment', schema: v3, expected: 2 });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const details = result.errors![0]!.extensions!.details!;
    for (const item of expected) expect(details.some((d) => d.startsWith(item))).toBe(true);
    expect(details.filter((d) => !d.includes('GRAPHQL_BREAKING'))).toHaveLength(7);

    // The dry run (open to readers) lists the same violations.
    const dryRun = ok(
      await gql(
        first,
        'query($s: JSON!) { schemaCompatibility(subject: "shipment", schema: $s) { compatible violations { path rule direction } } }',
        { s: v3 },
        null,
      ),
    );
    expect(dryRun.schemaCompatibility.compatible).toBe(false);
    expect(dryRun.schemaCompatibility.violations).toHaveLength(details.length);
    expect(ok(await gql(first, '{ schemaVersions(subject: "shipment") { version } }')).schemaVersions).toHaveLength(2);
  });

  it('lists every problem of a schema that is not a canonical schema', async () => {
    const result = await gql(first, REGISTER, { subject: 'Bad-Name', schema: { type: 'array', properties: 5, minLength: -1 } });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const details = result.errors![0]!.extensions!.details!;
    expect(details.some((d) => d.startsWith('subject:'))).toBe(true);
    expect(details.some((d) => d.startsWith('schema.type:'))).toBe(true);
    expect(details.some((d) => d.startsWith('schema.properties:'))).toBe(true);
    expect(details.some((d) => d.includes('minLength'))).toBe(true);
  });

  it('answers CONFLICT to a stale expectedVersion', async () => {
    const v3 = { ...shipmentV2, properties: { ...shipmentV2.properties, note: { type: ['string', 'null'] } } };
    const result = await gql(first, REGISTER, { subject: 'shipment', schema: v3, expected: 1 });
    expect(result.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(ok(await gql(first, '{ schemaVersions(subject: "shipment") { version } }')).schemaVersions).toHaveLength(2);
  });

  it('refuses every mutation without an admin key or with a wrong one', async () => {
    const mutations = [
      [REGISTER, { subject: 'shipment', schema: shipmentV2 }],
      ['mutation { setCompatibilityLevel(level: NONE) { level } }', {}],
      ['mutation { deprecateSubject(subject: "shipment") { deprecated } }', {}],
      ['mutation { deleteSubject(subject: "shipment") { deleted } }', {}],
    ] as const;
    for (const [query, variables] of mutations) {
      for (const key of [null, 'not-the-key']) {
        const result = await gql(first, query, variables, key);
        expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
    }
    const state = ok(await gql(first, '{ compatibilityLevel { level } schemaSubjects { subject deprecated deleted } }'));
    expect(state.compatibilityLevel.level).toBe('BACKWARD');
    expect(state.schemaSubjects.find((s: { subject: string }) => s.subject === 'shipment')).toMatchObject({ deprecated: false, deleted: false });
  });

  it('a second process serves the registry and follows a registration made through the first', async () => {
    second = await start();
    leftovers.add(() => second.stop());
    expect(ok(await gql(second, '{ subject(name: "shipment") { version } }')).subject.version).toBe(2);
    const v3 = { ...shipmentV2, properties: { ...shipmentV2.properties, note: { type: ['string', 'null'] } } };
    expect(ok(await gql(first, REGISTER, { subject: 'shipment', schema: v3, expected: 2 })).registerCanonicalSchema.version).toBe(3);
    await waitFor('note field on the second process', async () => (await gql(second, '{ shipments { edges { node { note } } } }')).errors === undefined, {
      timeoutMs: 10000,
      intervalMs: 50,
    });
    expect(second.catalog.get('shipment')?.version).toBe(3);
  });

  it('sets compatibility levels per subject and globally, and checks with them', async () => {
    const set = ok(await gql(first, 'mutation { setCompatibilityLevel(subject: "shipment", level: FORWARD) { subject level source } }'));
    expect(set.setCompatibilityLevel).toEqual({ subject: 'shipment', level: 'FORWARD', source: 'subject' });
    ok(await gql(first, 'mutation { setCompatibilityLevel(level: FULL) { level } }'));
    const levels = ok(
      await gql(
        first,
        '{ shipment: compatibilityLevel(subject: "shipment") { level source } customer: compatibilityLevel(subject: "customer") { level source } global: compatibilityLevel { level source } }',
      ),
    );
    expect(levels).toEqual({
      shipment: { level: 'FORWARD', source: 'subject' },
      customer: { level: 'FULL', source: 'global' },
      global: { level: 'FULL', source: 'global' },
    });
    // Under FORWARD, adding an optional property to the closed model is a violation.
    const v4 = { ...shipmentV2, properties: { ...shipmentV2.properties, note: { type: ['string', 'null'] }, extra: { type: 'boolean' } } };
    const check = ok(
      await gql(
        first,
        'query($s: JSON!) { schemaCompatibility(subject: "shipment", schema: $s) { compatible level violations { rule direction path } } }',
        { s: v4 },
        null,
      ),
    );
    expect(check.schemaCompatibility).toEqual({
      compatible: false,
      level: 'FORWARD',
      violations: [{ rule: 'PROPERTY_REMOVED_FROM_CLOSED_MODEL', direction: 'forward', path: '/properties/extra' }],
    });
    ok(await gql(first, 'mutation { setCompatibilityLevel(level: BACKWARD) { level } }'));
    ok(await gql(first, 'mutation { setCompatibilityLevel(subject: "shipment", level: null) { level } }'));
    expect(ok(await gql(first, '{ compatibilityLevel(subject: "shipment") { level source } }')).compatibilityLevel).toEqual({
      level: 'BACKWARD',
      source: 'global',
    });
    const unknown = await gql(first, 'mutation { setCompatibilityLevel(subject: "nothing_here", level: FULL) { level } }');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('deprecates a subject (still served, flagged) and soft-deletes it (hidden, data kept)', async () => {
    const deprecated = ok(await gql(first, 'mutation { deprecateSubject(subject: "shipment", reason: "use delivery") { deprecated deprecationReason } }'));
    expect(deprecated.deprecateSubject).toEqual({ deprecated: true, deprecationReason: 'use delivery' });
    expect(ok(await gql(first, '{ subject(name: "shipment") { deprecated } shipments { totalCount } }')).subject.deprecated).toBe(true);

    await db.collection('state_shipment').insertOne({ _id: 's-1' as never, data: { shipmentId: 's-1' }, _meta: { deleted: false } });
    ok(await gql(first, 'mutation { deleteSubject(subject: "shipment") { deleted } }'));
    const gone = await gql(first, '{ shipments { totalCount } }');
    expect(gone.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(ok(await gql(first, '{ subjects { name } }')).subjects.map((s: { name: string }) => s.name)).not.toContain('shipment');
    expect(ok(await gql(first, '{ schemaSubjects { subject } }')).schemaSubjects.map((s: { subject: string }) => s.subject)).not.toContain('shipment');
    expect(ok(await gql(first, '{ schemaSubjects(includeDeleted: true) { subject deleted } }')).schemaSubjects).toContainEqual({
      subject: 'shipment',
      deleted: true,
    });
    expect((await gql(first, '{ schemaSubjects(includeDeleted: true) { subject } }', {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await db.collection('state_shipment').countDocuments()).toBe(1);
    await waitFor('the second process drops the deleted subject', async () => second.catalog.get('shipment') === undefined, {
      timeoutMs: 10000,
      intervalMs: 50,
    });
  });

  it('keeps every version across a restart, and registers a changed seed file as a new version', async () => {
    await first.stop();
    await second.stop();
    const file = path.join(schemaDir, 'canonical', 'customer.schema.json');
    const customer = JSON.parse(fs.readFileSync(file, 'utf8'));
    customer.properties.tier.enum = [...customer.properties.tier.enum, 'PLATINUM'];
    fs.writeFileSync(file, JSON.stringify(customer, null, 2));

    first = await start();
    const data = ok(
      await gql(
        first,
        '{ shipment: schemaVersions(subject: "shipment") { version origin } customer: schemaVersions(subject: "customer") { version origin } subjects { name } }',
      ),
    );
    expect(data.shipment).toEqual([
      { version: 1, origin: 'api' },
      { version: 2, origin: 'api' },
      { version: 3, origin: 'api' },
    ]);
    expect(data.customer).toEqual([
      { version: 1, origin: 'file' },
      { version: 2, origin: 'file' },
    ]);
    // Deleted stays deleted: the store, not the files, is the truth.
    expect(data.subjects.map((s: { name: string }) => s.name).sort()).toEqual(['customer', 'order']);
    expect(first.catalog.get('customer')?.validate({ customerId: 'c', tier: 'PLATINUM' })).toEqual([]);
  });

  it('fails start on an incompatible seed file, listing every violation and registering nothing', async () => {
    await first.stop();
    const file = path.join(schemaDir, 'canonical', 'order.schema.json');
    const orderSchema = JSON.parse(fs.readFileSync(file, 'utf8'));
    orderSchema.properties.order_id = { type: 'integer' };
    orderSchema.required = ['order_id', 'currency'];
    fs.writeFileSync(file, JSON.stringify(orderSchema, null, 2));
    const failure = await start().then(
      () => null,
      (error: unknown) => error as { code?: string; details?: string[] },
    );
    expect(failure?.code).toBe('SCHEMA_INVALID');
    expect(failure?.details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^order: \/properties\/order_id\/type: TYPE_REMOVED/),
        expect.stringMatching(/^order: \/required: REQUIRED_ADDED/),
        expect.stringMatching(/^order: graphql:Order\.order_id: GRAPHQL_BREAKING/),
      ]),
    );
    expect((await createSchemaRegistry(db, { api: createApiSchemaCheck() }).versions('order')).map((v) => v.version)).toEqual([1]);
  });
});

describe('the API harness over the schema registry', () => {
  it('serves a schema registered through its own endpoint at once', async () => {
    const client = await testMongo();
    const db = client.db(uniqueName('schema_registry_harness'));
    const api = await startApiHarness(db);
    try {
      const schema = { type: 'object', additionalProperties: false, properties: { parcelId: { type: 'string' } } };
      const register = 'mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s, expectedVersion: 0) { version } }';
      expect(await api.gql(register, { s: schema })).toEqual({ data: { registerCanonicalSchema: { version: 1 } } });
      expect(await api.query('{ parcels { totalCount } }')).toEqual({ data: { parcels: { totalCount: 0 } } });
      expect(
        api.catalog
          .list()
          .map((s) => s.subject)
          .sort(),
      ).toEqual(['customer', 'order', 'parcel']);
    } finally {
      await api.stop();
      await db.dropDatabase();
      await client.close();
    }
  });
});

describe('a start seeding a schema file while the subject is deleted', () => {
  it('leaves the subject deleted: a file never brings a deleted subject back, only a registration through the API does', async () => {
    const client = await testMongo();
    const db = client.db(uniqueName('schema_registry_seed_race'));
    try {
      const admin = createSchemaRegistry(db, { api: createApiSchemaCheck() });
      const v1 = { type: 'object', additionalProperties: false, properties: { parcelId: { type: 'string' } } };
      const v2 = { ...v1, properties: { ...v1.properties, carrier: { type: ['string', 'null'] } } };
      await admin.seed([{ subject: 'parcel', schema: v1 }]);
      // The seed reads the subject (live), then the admin deletes it, then the seed writes its new version.
      const racing = interceptMethod(db, SCHEMA_VERSIONS_COLLECTION, 'insertOne', (own) => async (...args: unknown[]) => {
        await admin.delete('parcel');
        return own(...args);
      });
      await createSchemaRegistry(racing, { api: createApiSchemaCheck() }).seed([{ subject: 'parcel', schema: v2 }]);
      expect(await admin.subject('parcel')).toMatchObject({ deleted: true, latestVersion: 2 });
      expect((await admin.subjects()).map((s) => s.subject)).toEqual([]);
      // The same steps one after the other: the start after the delete skips the file.
      await admin.seed([{ subject: 'parcel', schema: { ...v2, description: 'v3' } }]);
      expect(await admin.subject('parcel')).toMatchObject({ deleted: true, latestVersion: 2 });
      // Registering through the API revives it, as documented.
      await admin.register('parcel', { ...v2, description: 'v3' });
      expect(await admin.subject('parcel')).toMatchObject({ deleted: false, latestVersion: 3 });
    } finally {
      await db.dropDatabase();
      await client.close();
    }
  });
});
