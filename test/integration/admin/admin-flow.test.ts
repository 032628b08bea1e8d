import { pgChange, produce } from '../../support/debezium-messages';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * The whole admin flow through GraphQL only, against a running canonql (ingest + api) on the real
 * stack: a new canonical subject and a spec for a new raw topic, preview, activation, live
 * ingestion, a compatible schema v2 served at once, an incompatible v3 rejected with every
 * violation, a transform fix backfilled, rollback, and dead letters replayed after a fix.
 */
describe('admin flow through GraphQL', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.pg.shipments');
  const leftovers = createLeftovers();
  let target: AppUnderTest;
  const gql = <T>(query: string, variables: Record<string, unknown> = {}, admin = true) => target.gql<T>(query, variables, { admin });
  const ok = <T>(query: string, variables: Record<string, unknown> = {}) => target.ok<T>(query, variables);

  const schemaV1 = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Shipment',
    type: 'object',
    properties: {
      shipmentId: { type: 'string' },
      carrier: { type: 'string' },
      weightKg: { type: ['number', 'null'] },
    },
    required: ['shipmentId'],
    additionalProperties: false,
  };
  const specV1 = {
    mappingId: 'shipment-canonicalization',
    version: 1,
    source: { type: 'kafka', topic },
    target: { subject: 'shipment' },
    key: { source: true },
    fieldMappings: [
      { src: '$.id', dst: '$.shipmentId', transform: 'string' },
      // The "bug" fixed in v2: carriers should be lower-cased codes.
      { src: '$.carrier', dst: '$.carrier', transform: 'uppercase' },
      { src: '$.weight', dst: '$.weightKg' },
    ],
  };
  const row = (id: number, carrier: string, weight: number | string, tracking = `https://track.example/${id}`) => ({
    id,
    carrier,
    weight,
    tracking_url: tracking,
  });
  const change = (id: number, lsn: number, after: Record<string, unknown>) => pgChange({ op: 'c', key: { id }, after, lsn, table: 'shipments' });

  beforeAll(async () => {
    target = await startAppUnderTest('admin-flow');
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  it('runs register → preview → activate → ingest → evolve → backfill → rollback → replay', async () => {
    // 1. A new canonical subject.
    const registered = await ok<{ registerCanonicalSchema: { version: number } }>(
      'mutation($s: JSON!) { registerCanonicalSchema(subject: "shipment", schema: $s, expectedVersion: 0) { version } }',
      { s: schemaV1 },
    );
    expect(registered.registerCanonicalSchema.version).toBe(1);

    // Readers may read, but not change anything.
    const anonymous = await gql('mutation($s: JSON!) { registerMappingSpec(spec: $s) { id } }', { s: specV1 }, false);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // 2. Preview on given events: canonical output per event, a bad one explained.
    const events = [
      { key: { id: 1 }, value: JSON.parse(change(1, 100, row(1, 'dhl', 2.5)).value as string) },
      { key: { id: 2 }, value: JSON.parse(change(2, 101, row(2, 'ups', 'heavy')).value as string) },
    ];
    const preview = await ok<{
      previewMappingSpec: {
        mapped: number;
        failed: number;
        records: { status: string; key: string; canonical: Record<string, unknown>; errors: string[] }[];
        coveredSourceFields: string[];
        unmappedSourceFields: string[];
      };
    }>(
      `query($s: JSON!, $e: [RawEventInput!]) { previewMappingSpec(spec: $s, events: $e) {
        mapped failed coveredSourceFields unmappedSourceFields records { status key canonical errors } } }`,
      { s: specV1, e: events },
    );
    expect(preview.previewMappingSpec.records[0]).toMatchObject({ status: 'mapped', key: '1', canonical: { shipmentId: '1', carrier: 'DHL', weightKg: 2.5 } });
    expect(preview.previewMappingSpec.records[1]!.status).toBe('error');
    expect(preview.previewMappingSpec.records[1]!.errors.join(' ')).toMatch(/weightKg/);
    expect(preview.previewMappingSpec.coveredSourceFields.sort()).toEqual(['carrier', 'id', 'weight']);
    expect(preview.previewMappingSpec.unmappedSourceFields).toEqual(['tracking_url']);

    // An invalid spec lists every problem.
    const bad = await gql('mutation($s: JSON!) { registerMappingSpec(spec: $s) { id } }', {
      s: { ...specV1, target: { subject: 'nope' }, fieldMappings: [{ src: '$.id', dst: '$.x', transform: 'lowercse' }] },
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const problems = bad.errors![0]!.extensions!.details as string[];
    expect(problems.some((p) => /lowercse/.test(p))).toBe(true);

    // 3. Register (inactive), then activate: ingestion starts reading the topic without a restart.
    const spec1 = await ok<{ registerMappingSpec: { version: number; active: boolean } }>(
      'mutation($s: JSON!) { registerMappingSpec(spec: $s) { version active } }',
      { s: specV1 },
    );
    expect(spec1.registerMappingSpec).toEqual({ version: 1, active: false });
    await ok('mutation { activateMappingSpec(id: "shipment-canonicalization", version: 1, expectedActiveVersion: null) { version } }');

    await produce(kafka, topic, [change(1, 100, row(1, 'dhl', 2.5)), change(2, 101, row(2, 'ups', 7)), change(3, 102, row(3, 'dhl', 1.25))]);
    const first = await waitFor(
      'three shipments ingested',
      async () => {
        const data = await ok<{ shipments: { totalCount: number; edges: { node: { shipmentId: string; carrier: string } }[] } }>(
          '{ shipments(first: 10) { totalCount edges { node { shipmentId carrier } } } }',
        );
        // Count and page are two reads: both must see the three.
        return data.shipments.totalCount === 3 && data.shipments.edges.length === 3 ? data.shipments.edges.map((e) => e.node) : undefined;
      },
      { timeoutMs: 60000 },
    );
    expect(first.map((s) => s.carrier).sort()).toEqual(['DHL', 'DHL', 'UPS']);

    // 4. A compatible v2 (new optional field of a closed model) is served at once.
    const v2 = { ...schemaV1, properties: { ...schemaV1.properties, trackingUrl: { type: ['string', 'null'] } } };
    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "shipment", schema: $s, expectedVersion: 1) { version } }', { s: v2 });
    const withField = await ok<{ shipment: { trackingUrl: string | null } }>('{ shipment(id: "1") { trackingUrl } }');
    expect(withField.shipment.trackingUrl).toBeNull();

    // 5. An incompatible v3: every violation listed.
    const v3 = {
      ...v2,
      properties: { ...v2.properties, weightKg: { type: 'string' }, destination: { type: 'string' } },
      required: ['shipmentId', 'destination'],
    };
    const rejected = await gql('mutation($s: JSON!) { registerCanonicalSchema(subject: "shipment", schema: $s, expectedVersion: 2) { version } }', { s: v3 });
    expect(rejected.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const violations = JSON.stringify(rejected.errors![0]!.extensions!.details);
    expect(violations).toMatch(/weightKg/);
    expect(violations).toMatch(/destination/);
    const stale = await gql('mutation($s: JSON!) { registerCanonicalSchema(subject: "shipment", schema: $s, expectedVersion: 1) { version } }', { s: v2 });
    expect(stale.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    // 6. The transform fix as spec v2, previewed on the sampled raw records, activated, backfilled.
    const specV2 = {
      ...specV1,
      version: 2,
      fieldMappings: [
        specV1.fieldMappings[0],
        { src: '$.carrier', dst: '$.carrier', transform: { name: 'enum', args: { map: { dhl: 'dhl', ups: 'ups' } } } },
        specV1.fieldMappings[2],
        { src: '$.tracking_url', dst: '$.trackingUrl' },
      ],
    };
    const sampled = await waitFor('sampled raw records', async () => {
      const data = await ok<{ previewMappingSpec: { records: { canonical: { carrier: string } }[] } }>(
        'query($s: JSON!) { previewMappingSpec(spec: $s, last: 10) { records { canonical } } }',
        { s: specV2 },
      );
      return data.previewMappingSpec.records.length === 3 ? data.previewMappingSpec.records : undefined;
    });
    expect(sampled.map((r) => r.canonical.carrier).sort()).toEqual(['dhl', 'dhl', 'ups']);
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: specV2 });
    const job = await ok<{ backfillMappingSpec: { id: string; status: string } }>(
      'mutation { backfillMappingSpec(id: "shipment-canonicalization") { id status specVersion } }',
    );
    const done = await waitFor(
      'backfill completed',
      async () => {
        const data = await ok<{ backfillJob: { status: string; read: number; rewritten: number; unchanged: number; failed: number } }>(
          'query($id: ID!) { backfillJob(id: $id) { status read rewritten unchanged failed } }',
          { id: job.backfillMappingSpec.id },
        );
        return data.backfillJob.status !== 'running' ? data.backfillJob : undefined;
      },
      { timeoutMs: 60000 },
    );
    expect(done).toEqual({ status: 'completed', read: 3, rewritten: 3, unchanged: 0, failed: 0 });
    const fixed = await ok<{ shipments: { edges: { node: { shipmentId: string; carrier: string; trackingUrl: string; _meta: { version: number } } }[] } }>(
      '{ shipments(first: 10, orderBy: { field: shipmentId, direction: ASC }) { edges { node { shipmentId carrier trackingUrl _meta { version } } } } }',
    );
    expect(fixed.shipments.edges.map((e) => e.node)).toEqual([
      { shipmentId: '1', carrier: 'dhl', trackingUrl: 'https://track.example/1', _meta: { version: 2 } },
      { shipmentId: '2', carrier: 'ups', trackingUrl: 'https://track.example/2', _meta: { version: 2 } },
      { shipmentId: '3', carrier: 'dhl', trackingUrl: 'https://track.example/3', _meta: { version: 2 } },
    ]);

    // Live events keep flowing under the new version; an unknown carrier is dead-lettered.
    await produce(kafka, topic, [change(4, 103, row(4, 'ups', 3)), change(5, 104, row(5, 'fedex', 4))]);
    const letters = await waitFor(
      'a dead letter for the unknown carrier',
      async () => {
        const data = await ok<{ deadLetters: { id: string; code: string; specId: string; message: string }[] }>(
          'query($t: String!) { deadLetters(filter: { topic: $t }) { id code specId message } }',
          { t: topic },
        );
        return data.deadLetters.length === 1 ? data.deadLetters : undefined;
      },
      { timeoutMs: 60000 },
    );
    expect(letters[0]).toMatchObject({ code: 'MAPPING_FAILED', specId: 'shipment-canonicalization' });
    expect(letters[0]!.message).toMatch(/fedex/);
    const readerLetters = await gql('{ deadLetters { id } }', {}, false);
    expect(readerLetters.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await ok<{ shipment: { carrier: string } }>('{ shipment(id: "4") { carrier } }')).shipment.carrier).toBe('ups');

    // Replay before the fix: dead-lettered again with its reason; after the fix (v3): applied, once.
    const again = await ok<{ replayDeadLetters: { id: string; outcome: string; code: string }[] }>(
      'mutation($ids: [ID!]) { replayDeadLetters(ids: $ids) { id outcome code } }',
      { ids: [letters[0]!.id] },
    );
    expect(again.replayDeadLetters).toEqual([{ id: letters[0]!.id, outcome: 'dead-lettered', code: 'MAPPING_FAILED' }]);
    const specV3 = {
      ...specV2,
      version: 3,
      fieldMappings: specV2.fieldMappings.map((m, i) =>
        i === 1 ? { ...m, transform: { name: 'enum', args: { map: { dhl: 'dhl', ups: 'ups', fedex: 'fedex' } } } } : m,
      ),
    };
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: specV3 });
    const replayed = await ok<{ replayDeadLetters: { outcome: string }[] }>(
      'mutation($t: String!) { replayDeadLetters(filter: { topic: $t }) { id outcome } }',
      { t: topic },
    );
    expect(replayed.replayDeadLetters.map((r) => r.outcome)).toEqual(['applied']);
    expect((await ok<{ shipment: { carrier: string; _meta: { version: number } } }>('{ shipment(id: "5") { carrier _meta { version } } }')).shipment).toEqual({
      carrier: 'fedex',
      _meta: { version: 1 },
    });
    const twice = await ok<{ replayDeadLetters: { outcome: string }[] }>('mutation($ids: [ID!]) { replayDeadLetters(ids: $ids) { outcome } }', {
      ids: [letters[0]!.id],
    });
    expect(twice.replayDeadLetters.map((r) => r.outcome)).toEqual(['duplicate']);
    expect((await ok<{ shipment: { _meta: { version: number } } }>('{ shipment(id: "5") { _meta { version } } }')).shipment._meta.version).toBe(1);
    const open = await ok<{ deadLetters: unknown[] }>('query($t: String!) { deadLetters(filter: { topic: $t }) { id } }', { t: topic });
    expect(open.deadLetters).toEqual([]);

    // 7. A metric over the new subject, through the same lifecycle: registered, activated,
    //    backfilled from canonical state, queried; then a v2 that filters, and a rollback.
    const metric = {
      name: 'shipment-weight',
      version: 1,
      subject: 'shipment',
      measure: { field: 'weightKg' },
      dimensions: [{ name: 'carrier', field: 'carrier' }],
      time: { changeTime: true },
      windows: ['day'],
    };
    const readerMetric = await gql('mutation($d: JSON!) { registerMetricDefinition(definition: $d) { version } }', { d: metric }, false);
    expect(readerMetric.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const badMetric = await gql('mutation($d: JSON!) { registerMetricDefinition(definition: $d) { version } }', {
      d: { ...metric, subject: 'parcel', windows: ['week'] },
    });
    expect(badMetric.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((badMetric.errors![0]!.extensions!.details as string[]).length).toBeGreaterThanOrEqual(2);
    await ok('mutation($d: JSON!) { registerMetricDefinition(definition: $d, activate: true) { version active } }', { d: metric });
    const totals = (rows: { dimensions: { carrier: string }; count: number; sum: string }[]) =>
      Object.fromEntries(rows.map((r) => [r.dimensions.carrier, [r.count, Number(r.sum)]]));
    const byCarrier = await waitFor(
      'metric backfilled',
      async () => {
        const data = await ok<{ metric: { dimensions: { carrier: string }; count: number; sum: string }[] }>(
          '{ metric(name: "shipment-weight", window: day, groupBy: ["carrier"]) { dimensions count sum } }',
        );
        const t = totals(data.metric);
        return t.dhl?.[0] === 2 && t.ups?.[0] === 2 && t.fedex?.[0] === 1 ? t : undefined;
      },
      { timeoutMs: 60000 },
    );
    expect(byCarrier).toEqual({ dhl: [2, 3.75], ups: [2, 10], fedex: [1, 4] });
    await ok('mutation($d: JSON!) { registerMetricDefinition(definition: $d, activate: true) { version } }', {
      d: { ...metric, version: 2, filter: [{ src: '$.carrier', equals: 'dhl' }] },
    });
    await waitFor(
      'metric v2 backfilled',
      async () => {
        const data = await ok<{ metric: { dimensions: { carrier: string }; count: number; sum: string }[] }>(
          '{ metric(name: "shipment-weight", window: day, groupBy: ["carrier"]) { dimensions count sum } }',
        );
        return JSON.stringify(totals(data.metric)) === JSON.stringify({ dhl: [2, 3.75] }) ? true : undefined;
      },
      { timeoutMs: 60000 },
    );
    expect(
      (await ok<{ rollbackMetricDefinition: { version: number } }>('mutation { rollbackMetricDefinition(name: "shipment-weight") { version } }'))
        .rollbackMetricDefinition.version,
    ).toBe(1);
    const versions = await ok<{ metricDefinitionVersions: { version: number; active: boolean; origin: string }[] }>(
      '{ metricDefinitionVersions(name: "shipment-weight") { version active origin } }',
    );
    expect(versions.metricDefinitionVersions).toEqual([
      { version: 1, active: true, origin: 'api' },
      { version: 2, active: false, origin: 'api' },
    ]);

    // 8. Rollback: the previously active version runs again; the history says how it got there.
    const rolled = await ok<{ rollbackMappingSpec: { version: number; active: boolean } }>(
      'mutation { rollbackMappingSpec(id: "shipment-canonicalization") { version active } }',
    );
    expect(rolled.rollbackMappingSpec).toEqual({ version: 2, active: true });
    const history = await ok<{ mappingSpecHistory: { version: number | null; action: string }[] }>(
      '{ mappingSpecHistory(id: "shipment-canonicalization") { version action } }',
    );
    expect(history.mappingSpecHistory).toEqual([
      { version: 1, action: 'activate' },
      { version: 2, action: 'activate' },
      { version: 3, action: 'activate' },
      { version: 2, action: 'rollback' },
    ]);
    const stale2 = await gql('mutation { activateMappingSpec(id: "shipment-canonicalization", version: 3, expectedActiveVersion: 3) { version } }');
    expect(stale2.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});
