import fs from 'node:fs';
import path from 'node:path';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { TEST_ADMIN_KEY, type GqlResult } from '../../support/graphql-result';
import { createLeftovers, uniqueName } from '../../support/test-env';

/**
 * Every catalog read that takes a name answers an unknown one with NOT_FOUND naming it (and a near
 * miss), never an empty list or a null a typo could hide behind; and a reader limited to some
 * subjects is told nothing of the others. On a running canonql (ingest + api) on the real stack.
 */
describe('catalog reads of unknown names', () => {
  const READER_KEY = 'reader-of-customers-only-0123456789';
  const leftovers = createLeftovers();
  const specId = uniqueName('customer-names');
  const orderSpecId = uniqueName('order-names');
  let target: AppUnderTest;

  const post = async <T>(query: string, variables: Record<string, unknown> = {}, key?: string): Promise<GqlResult<T>> => {
    const response = await fetch(target.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResult<T>;
  };
  /** The one error of a query, as a client sees it. */
  const refusal = async (query: string, variables: Record<string, unknown> = {}, key?: string) => {
    const result = await post<{ catalog: Record<string, unknown> | null }>(query, variables, key);
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors!;
    return { code: error!.extensions?.code, message: error!.message, details: error!.extensions?.details, data: result.data };
  };

  beforeAll(async () => {
    target = await startAppUnderTest('unknown-names', { CANONQL_API_KEYS: `${READER_KEY}=reader:customer` });
    leftovers.add(() => target.stop());
    const spec = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../specs/customer.json'), 'utf8')) as Record<string, unknown>;
    await target.ok('mutation($s: JSON!) { registerMappingSpec(spec: $s) { id } }', {
      s: { ...spec, mappingId: specId, source: { type: 'kafka', topic: uniqueName('raw.pg.customers') } },
    });
    const order = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../specs/order.json'), 'utf8')) as Record<string, unknown>;
    await target.ok('mutation($s: JSON!) { registerMappingSpec(spec: $s) { id } }', {
      s: { ...order, version: 1, mappingId: orderSpecId, source: { type: 'kafka', topic: uniqueName('raw.mongo.orders') } },
    });
    const metric = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../specs/metrics/order-amount.json'), 'utf8')) as Record<string, unknown>;
    await target.ok('mutation($d: JSON!) { registerMetricDefinition(definition: $d) { name } }', { d: metric });
  });
  afterAll(() => leftovers.dispose());

  it('answers a known name as before', async () => {
    const data = await target.ok<{ catalog: Record<string, unknown> }>(
      `query($spec: String!) { catalog {
        subject(name: "order") { name }
        subjectStatus(subject: "order") { subject }
        schemaVersions(subject: "order") { version }
        schemaVersion(subject: "order") { version }
        compatibilityLevel(subject: "order") { level }
        mappingSpecs(id: $spec) { version }
        mappingSpec(id: $spec) { version }
        mappingSpecHistory(id: $spec) { action }
        backfillJobs(specId: $spec) { id }
        metricDefinitionVersions(name: "order-amount") { version }
        metricDefinitionHistory(name: "order-amount") { action }
      } }`,
      { spec: specId },
    );
    expect(data.catalog).toMatchObject({
      subject: { name: 'order' },
      subjectStatus: { subject: 'order' },
      schemaVersion: { version: 1 },
      mappingSpecs: [{ version: 1 }],
      mappingSpec: { version: 1 },
      mappingSpecHistory: [],
      backfillJobs: [],
      metricDefinitionVersions: [{ version: 1 }],
      metricDefinitionHistory: [{ action: 'activate' }],
    });
  });

  it.each([
    ['subject(name: "oder") { name }', 'subject', 'unknown served subject "oder" (did you mean "order"?)'],
    ['subjectStatus(subject: "oder") { subject }', 'subjectStatus', 'unknown served subject "oder" (did you mean "order"?)'],
    ['schemaVersions(subject: "oder") { version }', 'schemaVersions', 'unknown subject "oder" (did you mean "order"?)'],
    ['schemaVersion(subject: "oder") { version }', 'schemaVersion', 'unknown subject "oder" (did you mean "order"?)'],
    ['compatibilityLevel(subject: "oder") { level }', 'compatibilityLevel', 'unknown subject "oder" (did you mean "order"?)'],
    ['mappingSpecs(id: "no-such-spec") { version }', 'mappingSpecs', 'unknown mapping spec "no-such-spec"'],
    ['mappingSpec(id: "no-such-spec") { version }', 'mappingSpec', 'unknown mapping spec "no-such-spec"'],
    ['mappingSpecHistory(id: "no-such-spec") { action }', 'mappingSpecHistory', 'unknown mapping spec "no-such-spec"'],
    ['backfillJobs(specId: "no-such-spec") { id }', 'backfillJobs', 'unknown mapping spec "no-such-spec"'],
    ['backfillJob(id: "no-such-job") { id }', 'backfillJob', 'unknown backfill job "no-such-job"'],
    ['metricDefinitionVersions(name: "order-amont") { version }', 'metricDefinitionVersions', 'unknown metric "order-amont" (did you mean "order-amount"?)'],
    ['metricDefinitionHistory(name: "order-amont") { action }', 'metricDefinitionHistory', 'unknown metric "order-amont" (did you mean "order-amount"?)'],
    ['rawTopic(topic: "no.such.topic") { topic }', 'rawTopic', 'unknown profiled raw topic "no.such.topic"'],
    ['deadLetters(filter: { specId: "no-such-spec" }) { id }', 'deadLetters', 'unknown mapping spec "no-such-spec"'],
    ['deadLetters(filter: { code: "MAPING_FAILED" }) { id }', 'deadLetters', 'unknown error code "MAPING_FAILED" (did you mean "MAPPING_FAILED"?)'],
  ])('%s: NOT_FOUND naming it', async (selection, _field, message) => {
    // As the admin, who may read everything (dead letters are the admin's only).
    expect(await refusal(`{ catalog { ${selection} } }`, {}, TEST_ADMIN_KEY)).toMatchObject({ code: 'NOT_FOUND', message });
  });

  it('answers a metric query of an unknown metric with its near miss', async () => {
    expect(await refusal('{ metric(name: "order-amont", window: hour) { count } }')).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'name: no active metric "order-amont" (did you mean "order-amount"?) (active: order-amount)',
    });
    expect(await refusal('{ ordersMetric(name: "order-amont", window: hour) { count } }')).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'name: no active metric "order-amont" (did you mean "order-amount"?) (active metrics of order: order-amount)',
    });
  });

  it('fails only the field: a nullable one is null beside its siblings', async () => {
    const refused = await refusal('{ catalog { subject(name: "oder") { name } subjects { name } } }');
    expect(refused.code).toBe('NOT_FOUND');
    expect(refused.data?.catalog).toEqual({ subject: null, subjects: [{ name: 'customer' }, { name: 'order' }] });
  });

  it('names what is known in the details', async () => {
    expect((await refusal('{ catalog { schemaVersions(subject: "oder") { version } } }')).details).toEqual([
      'subject: no subject is named "oder"; known: customer, order',
    ]);
    expect((await refusal(`{ catalog { mappingSpecs(id: "${specId}x") { version } } }`)).details).toEqual([
      `id: no mapping spec is named "${specId}x"; known: ${[specId, orderSpecId].sort().join(', ')}`,
    ]);
  });

  it('answers a version a known name does not have with NOT_FOUND naming those it has', async () => {
    expect(await refusal('{ catalog { schemaVersion(subject: "order", version: 9) { version } } }')).toMatchObject({
      code: 'NOT_FOUND',
      message: 'subject "order" has no version 9',
      details: ['version: subject "order" has versions 1'],
    });
    expect(await refusal(`{ catalog { mappingSpec(id: "${specId}", version: 9) { version } } }`)).toMatchObject({
      code: 'NOT_FOUND',
      message: `mapping spec "${specId}" has no version 9`,
    });
  });

  it('tells a reader limited to some subjects nothing of the others', async () => {
    const asReader = <T>(query: string) => post<T>(query, {}, READER_KEY);
    const listed = await asReader<{ catalog: { subjects: { name: string }[]; schemaSubjects: { subject: string }[] } }>(
      '{ catalog { subjects { name count } schemaSubjects { subject } } }',
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.catalog.subjects.map((s) => s.name)).toEqual(['customer']);
    expect(listed.data!.catalog.schemaSubjects.map((s) => s.subject)).toEqual(['customer']);
    // The admin (and an unscoped reader) sees every served subject.
    const all = await target.ok<{ catalog: { subjects: { name: string }[] } }>('{ catalog { subjects { name } } }');
    expect(all.catalog.subjects.map((s) => s.name).sort()).toEqual(['customer', 'order']);

    // Another subject, whether it exists or not, is FORBIDDEN: nothing says which.
    for (const selection of [
      'subject(name: "order") { count }',
      'subject(name: "zzz") { count }',
      'subjectStatus(subject: "order") { liveEntities }',
      'schemaVersions(subject: "order") { version }',
      'schemaVersion(subject: "order") { version }',
      'compatibilityLevel(subject: "order") { level }',
    ]) {
      expect(await refusal(`{ catalog { ${selection} } }`, {}, READER_KEY)).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await refusal('{ catalog { subject(name: "order") { name } } }', {}, READER_KEY)).toMatchObject({
      message: 'this credential may not read subject "order"',
    });

    // Specs, metrics and backfills are their subject's.
    const definitions = await asReader<{ catalog: { mappingSpecs: { id: string }[]; metricDefinitionVersions: { name: string }[]; backfillJobs: unknown[] } }>(
      '{ catalog { mappingSpecs { id } metricDefinitionVersions { name } backfillJobs { id } } }',
    );
    expect(definitions.errors).toBeUndefined();
    expect(definitions.data!.catalog).toEqual({ mappingSpecs: [{ id: specId }], metricDefinitionVersions: [], backfillJobs: [] });
    for (const selection of [
      `mappingSpec(id: "${orderSpecId}") { version }`,
      `mappingSpecs(id: "${orderSpecId}") { version }`,
      `mappingSpecHistory(id: "${orderSpecId}") { action }`,
      `backfillJobs(specId: "${orderSpecId}") { id }`,
      'metricDefinitionHistory(name: "order-amount") { action }',
    ]) {
      expect(await refusal(`{ catalog { ${selection} } }`, {}, READER_KEY)).toMatchObject({
        code: 'FORBIDDEN',
        message: 'this credential may not read subject "order"',
      });
    }
    // An unknown name lists only what the reader may read.
    expect((await refusal('{ catalog { mappingSpecs(id: "nope") { id } } }', {}, READER_KEY)).details).toEqual([
      `id: no mapping spec is named "nope"; known: ${specId}`,
    ]);
    expect((await refusal('{ catalog { metricDefinitionVersions(name: "nope") { name } } }', {}, READER_KEY)).details).toEqual([
      'name: no metric is named "nope"; none is known',
    ]);
    expect(await refusal('{ metric(name: "nope", window: hour) { count } }', {}, READER_KEY)).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'name: no active metric "nope" (active: none)',
    });

    // Raw topics hold every column of their records: not for a scoped reader (as the REST registry's raw subjects).
    for (const selection of ['rawTopics { topic }', 'rawTopic(topic: "any.topic") { topic }', 'sourceTopics { topic }']) {
      expect(await refusal(`{ catalog { ${selection} } }`, {}, READER_KEY)).toMatchObject({
        code: 'FORBIDDEN',
        message: 'a credential limited to some subjects may not read raw topics',
      });
    }
    const spec = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../specs/customer.json'), 'utf8')) as Record<string, unknown>;
    expect(await refusal('query($s: JSON!) { catalog { previewMappingSpec(spec: $s) { mapped } } }', { s: spec }, READER_KEY)).toMatchObject({
      code: 'FORBIDDEN',
    });

    expect((await asReader<{ catalog: { subject: { name: string } } }>('{ catalog { subject(name: "customer") { name } } }')).data!.catalog.subject.name).toBe(
      'customer',
    );
  });
});
