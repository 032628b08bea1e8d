import fs from 'node:fs';
import path from 'node:path';
import type { Db, MongoClient } from 'mongodb';
import { readCatalogRevision } from '../../../src/catalog/catalog-revision';
import { DEFINITION_ACTIVE_COLLECTION } from '../../../src/catalog/definition-registry';
import { createSpecRegistry, type SpecRegistry } from '../../../src/catalog/spec-registry';
import { isAppError } from '../../../src/errors';
import { interceptMethod } from '../../support/intercepted-db';
import { createLeftovers, testMongo, uniqueName } from '../../support/test-env';

const ORDER_SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'schema', 'canonical', 'order.schema.json'), 'utf8')) as Record<
  string,
  unknown
>;

/**
 * The spec lifecycle against the real store: versions immutable, one active version switched
 * atomically, file seeding that never undoes an admin decision, every write visible as a catalog
 * revision.
 */
describe('definition registry (mapping specs)', () => {
  const leftovers = createLeftovers();
  let mongo: MongoClient;
  let db: Db;
  let registry: SpecRegistry;

  const spec = (version: number, extra: Record<string, unknown> = {}) => ({
    mappingId: 'orders',
    version,
    source: { type: 'kafka', topic: 'raw.orders' },
    target: { subject: 'order' },
    fieldMappings: [{ src: '$.id', dst: '$.order_id', transform: 'string' }],
    ...extra,
  });
  const codeOf = async (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: unknown) => (isAppError(error) ? error.code : String(error)),
    );

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
  });
  beforeEach(() => {
    db = mongo.db(uniqueName('definitions'));
    registry = createSpecRegistry(db, (subject) => (subject === 'order' ? ORDER_SCHEMA : undefined));
  });
  afterAll(() => leftovers.dispose());

  it('rejects an invalid spec with every problem and registers nothing', async () => {
    const error = await registry
      .register({ ...spec(1), target: { subject: 'nope' }, fieldMappings: [{ src: '$.id', dst: '$.x', transform: 'lowercse' }] })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isAppError(error) && error.code).toBe('BAD_USER_INPUT');
    const problems = (error as { details: string[] }).details;
    expect(problems.some((p) => /lowercse/.test(p))).toBe(true);
    expect(problems.some((p) => /"nope" is not registered/.test(p))).toBe(true);
    expect(await registry.list()).toEqual([]);
  });

  it('refuses a malformed Decimal or DateTime default of the target subject, naming the default and the value', async () => {
    const error = await registry.register({ ...spec(1), defaults: { created_at: 'yesterday', 'customer.email': 'x@y.z', region: 'eu' } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(error) && error.code).toBe('BAD_USER_INPUT');
    expect((error as { details: string[] }).details).toEqual([expect.stringMatching(/^defaults\.created_at: "yesterday" is not a DateTime/)]);
    expect((await registry.register({ ...spec(1), defaults: { created_at: '2024-03-01T10:00:00.123456+02:00' } })).version).toBe(1);
  });

  it('refuses a spec that writes a field its subject does not have, or a member of a String, through the API and from files', async () => {
    const bad = spec(1, {
      fieldMappings: [
        { src: '$.id', dst: '$.order_id', transform: 'string' },
        { src: '$.note', dst: '$.notes' },
        { src: '$.code', dst: '$.region.code' },
      ],
      defaults: { discount: '0' },
    });
    const problems = [
      expect.stringMatching(/^fieldMappings\[1\]\.dst: "\$\.notes": subject "order" has no field "notes" \(its fields: order_id, customer, /),
      'fieldMappings[2].dst: "$.region.code": $.region is a String in subject "order", it has no field "code"',
      expect.stringMatching(/^defaults\.discount: subject "order" has no field "discount"/),
    ];
    for (const attempt of [registry.register(bad), registry.seed([bad])]) {
      const error = await attempt.then(
        () => null,
        (e: unknown) => e,
      );
      expect(isAppError(error) && error.code).toBe('BAD_USER_INPUT');
      expect((error as { details: string[] }).details).toEqual(problems);
    }
    expect(registry.problemsOf(bad)).toEqual(problems);
    expect(await registry.list()).toEqual([]);
  });

  it("checks a stored version again at activation and rollback, against its subject's schema as it is then", async () => {
    let schema: Record<string, unknown> | undefined = ORDER_SCHEMA;
    const live = createSpecRegistry(db, () => schema);
    const withRegion = spec(1, {
      fieldMappings: [
        { src: '$.id', dst: '$.order_id', transform: 'string' },
        { src: '$.region', dst: '$.region' },
      ],
    });
    await live.register(withRegion);
    await live.register(spec(2));
    await live.activate('orders', 2);
    // The subject changes under the NONE level: `region` is gone.
    const { region: _dropped, ...properties } = ORDER_SCHEMA.properties as Record<string, unknown>;
    schema = { ...ORDER_SCHEMA, properties };
    const refused = await live.activate('orders', 1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(refused) && refused.code).toBe('BAD_USER_INPUT');
    expect((refused as Error).message).toMatch(/^mapping-spec "orders" version 1 cannot be activated:/);
    expect((refused as { details: string[] }).details).toEqual([
      expect.stringMatching(/^fieldMappings\[1\]\.dst: "\$\.region": subject "order" has no field "region"/),
    ]);
    expect((await live.active()).map((v) => v.version)).toEqual([2]);
    // Back in the schema: activation goes through; a rollback to it after it left again is refused too.
    schema = ORDER_SCHEMA;
    await live.activate('orders', 1);
    await live.activate('orders', 2);
    schema = { ...ORDER_SCHEMA, properties };
    expect(await codeOf(live.rollback('orders'))).toBe('BAD_USER_INPUT');
    // A deleted subject: no version of a spec for it can be activated.
    schema = undefined;
    await live.deactivate('orders');
    expect(await codeOf(live.activate('orders', 2))).toBe('BAD_USER_INPUT');
    expect(await live.active()).toEqual([]);
    expect((await live.history('orders')).map((h) => [h.action, h.version])).toEqual([
      ['activate', 2],
      ['activate', 1],
      ['activate', 2],
      ['deactivate', null],
    ]);
  });

  it('keeps versions immutable: same body is idempotent, another body is a CONFLICT', async () => {
    const before = await readCatalogRevision(db);
    await registry.register(spec(1));
    expect(await readCatalogRevision(db)).toBeGreaterThan(before);
    expect((await registry.register(spec(1))).version).toBe(1);
    expect(await codeOf(registry.register(spec(1, { description: 'changed' })))).toBe('CONFLICT');
    expect((await registry.list('orders')).map((v) => [v.version, v.active])).toEqual([[1, false]]);
  });

  it('activates, deactivates and rolls back with a history; stale expectations are CONFLICTs', async () => {
    await registry.register(spec(1));
    await registry.register(spec(2, { description: 'v2' }));
    await registry.activate('orders', 1, null);
    await registry.activate('orders', 2, 1);
    expect(await codeOf(registry.activate('orders', 1, 1))).toBe('CONFLICT');
    expect((await registry.active()).map((v) => v.version)).toEqual([2]);
    expect((await registry.rollback('orders')).version).toBe(1);
    await registry.deactivate('orders');
    expect(await registry.active()).toEqual([]);
    expect(await codeOf(registry.deactivate('orders'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(registry.activate('orders', 9))).toBe('NOT_FOUND');
    expect((await registry.history('orders')).map((h) => [h.action, h.version])).toEqual([
      ['activate', 1],
      ['activate', 2],
      ['rollback', 1],
      ['deactivate', null],
    ]);
  });

  it('seeds files: new versions activate, a restart never undoes a rollback or a deactivation', async () => {
    // seedActivations tells beforehand what each seed activates (a start checks schema files against it).
    expect(await registry.seedActivations([spec(1)])).toEqual([spec(1)]);
    await registry.seed([spec(1)]);
    expect((await registry.active()).map((v) => [v.version, v.origin])).toEqual([[1, 'file']]);
    await registry.register(spec(2, { description: 'api' }));
    await registry.activate('orders', 2);
    await registry.rollback('orders');
    expect(await registry.seedActivations([spec(1), spec(2, { description: 'api' })])).toEqual([]);
    await createSpecRegistry(db, () => ORDER_SCHEMA).seed([spec(1)]);
    expect((await registry.active()).map((v) => v.version)).toEqual([1]);
    await registry.deactivate('orders');
    expect(await registry.seedActivations([spec(1)])).toEqual([]);
    await registry.seed([spec(1)]);
    expect(await registry.active()).toEqual([]);
    // A deploy shipping a newer file version activates it.
    expect(await registry.seedActivations([spec(3, { description: 'shipped' })])).toEqual([spec(3, { description: 'shipped' })]);
    await registry.seed([spec(3, { description: 'shipped' })]);
    expect((await registry.active()).map((v) => v.version)).toEqual([3]);
    // A file edited without a version bump is reported, not silently applied.
    expect(await registry.seedActivations([spec(3, { description: 'edited in place' })])).toEqual([]);
    expect(await codeOf(registry.seed([spec(3, { description: 'edited in place' })]))).toBe('CONFLICT');
    // Several files of one id: the last one a seed in this order activates.
    expect(await registry.seedActivations([spec(4), spec(5)])).toEqual([spec(5)]);
    expect(await registry.seedActivations([spec(5), spec(4)])).toEqual([spec(5)]);
    expect((await registry.active()).map((v) => v.version)).toEqual([3]);
  });

  it('finishes on the next start the activation a start stopped before', async () => {
    // The first start registers version 1 and stops before the pointer is written (a crash
    // between the two writes: here, the pointer's write fails once).
    let failPointer = true;
    const crashing = interceptMethod(db, DEFINITION_ACTIVE_COLLECTION, 'insertOne', (own) => async (...args: unknown[]) => {
      if (!failPointer) return own(...args);
      failPointer = false;
      throw new Error('the process stopped here');
    });
    expect(await codeOf(createSpecRegistry(crashing, () => ORDER_SCHEMA).seed([spec(1)]))).toBe('Error: the process stopped here');
    expect(await registry.active()).toEqual([]);
    expect(await registry.list()).toHaveLength(1);
    expect(await registry.seedActivations([spec(1)])).toEqual([spec(1)]);
    // The next start finds the version registered, not active, and activates it as the first meant to.
    await createSpecRegistry(db, () => ORDER_SCHEMA).seed([spec(1)]);
    expect((await registry.active()).map((v) => [v.version, v.origin])).toEqual([[1, 'file']]);
    expect((await registry.history('orders')).map((h) => [h.action, h.version])).toEqual([['activate', 1]]);
    // Settled: an admin's deactivation after that is kept by the start after.
    await registry.deactivate('orders');
    await createSpecRegistry(db, () => ORDER_SCHEMA).seed([spec(1)]);
    expect(await registry.active()).toEqual([]);
  });

  it('lets two processes seed the same files at once', async () => {
    const other = createSpecRegistry(db, () => ORDER_SCHEMA);
    await Promise.all([registry.seed([spec(1)]), other.seed([spec(1)])]);
    expect((await registry.active()).map((v) => v.version)).toEqual([1]);
    expect(await registry.list()).toHaveLength(1);
  });
});
