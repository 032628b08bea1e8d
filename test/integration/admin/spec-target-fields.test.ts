import { pgChange } from '../../support/debezium-messages';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { createLeftovers, uniqueName } from '../../support/test-env';

/**
 * A spec's canonical paths are checked against its subject through the API, when the spec is
 * given (previewMappingSpec, registerMappingSpec) and again when a stored version is activated:
 * a field the subject does not have was accepted before, then stored and never served (an open
 * model) or dead-lettered on every record (a closed model, or a member of a String).
 */
describe('mapping specs against the fields of their subject, through GraphQL', () => {
  const leftovers = createLeftovers();
  let target: AppUnderTest;
  const gql = (query: string, variables: Record<string, unknown> = {}) => target.gql<Record<string, unknown>>(query, variables);
  const ok = (query: string, variables: Record<string, unknown> = {}) => target.ok<Record<string, unknown>>(query, variables);
  const topic = uniqueName('raw.pg.parcels');
  const spec = (version: number, dst: string) => ({
    mappingId: 'parcel-fields',
    version,
    source: { type: 'kafka', topic },
    target: { subject: 'parcel' },
    fieldMappings: [
      { src: '$.id', dst: '$.pid', transform: 'string' },
      { src: '$.note', dst },
    ],
  });
  const schema = {
    type: 'object',
    properties: { pid: { type: 'string' }, carrier: { type: 'string' }, notes: { type: ['string', 'null'] } },
    required: ['pid'],
  };
  const detailsOf = (result: { errors?: { extensions?: Record<string, unknown> }[] }) => ({
    code: result.errors?.[0]?.extensions?.code,
    details: result.errors?.[0]?.extensions?.details,
  });

  beforeAll(async () => {
    target = await startAppUnderTest('spec-target-fields');
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  it('refuses, at preview and registration, a dst the subject does not have or a member of a String', async () => {
    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s, expectedVersion: 0) { version } }', { s: schema });
    const event = JSON.parse(pgChange({ op: 'c', key: { id: 1 }, after: { id: 1, note: 'fragile' }, lsn: 1, table: 'parcels' }).value as string) as unknown;
    const cases = [
      ['$.remarks', 'fieldMappings[1].dst: "$.remarks": subject "parcel" has no field "remarks" (its fields: pid, carrier, notes)'],
      ['$.carrier.note', 'fieldMappings[1].dst: "$.carrier.note": $.carrier is a String in subject "parcel", it has no field "note"'],
    ];
    for (const [dst, problem] of cases) {
      const preview = await gql('query($s: JSON!, $e: [RawEventInput!]) { previewMappingSpec(spec: $s, events: $e) { mapped } }', {
        s: spec(1, dst!),
        e: [{ key: { id: 1 }, value: event }],
      });
      expect(detailsOf(preview)).toEqual({ code: 'BAD_USER_INPUT', details: [problem] });
      // A draft schema of the subject is checked the same way.
      const draft = await gql('query($s: JSON!, $e: [RawEventInput!], $d: JSON) { previewMappingSpec(spec: $s, events: $e, schema: $d) { mapped } }', {
        s: spec(1, dst!),
        e: [{ key: { id: 1 }, value: event }],
        d: schema,
      });
      expect(detailsOf(draft)).toEqual({ code: 'BAD_USER_INPUT', details: [problem] });
      const registered = await gql('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', { s: spec(1, dst!) });
      expect(detailsOf(registered)).toEqual({ code: 'BAD_USER_INPUT', details: [problem] });
    }
    expect(await ok('{ mappingSpecs(id: "parcel-fields") { version } }')).toEqual({ mappingSpecs: [] });
  });

  it('refuses to activate a stored version whose field the subject no longer has, or whose subject was deleted', async () => {
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s) { version } }', { s: spec(1, '$.notes') });
    // Removing a field is refused at every level but NONE (a removed GraphQL field breaks queries).
    await ok('mutation { setCompatibilityLevel(subject: "parcel", level: NONE) { level } }');
    const { notes: _removed, ...properties } = schema.properties;
    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s, expectedVersion: 1) { version } }', {
      s: { ...schema, properties },
    });
    const refused = await gql('mutation { activateMappingSpec(id: "parcel-fields", version: 1) { version active } }');
    expect(detailsOf(refused)).toEqual({
      code: 'BAD_USER_INPUT',
      details: ['fieldMappings[1].dst: "$.notes": subject "parcel" has no field "notes" (its fields: pid, carrier)'],
    });
    expect(await ok('{ mappingSpecs(id: "parcel-fields") { version active } }')).toEqual({ mappingSpecs: [{ version: 1, active: false }] });

    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s) { version } }', { s: spec(2, '$.carrier') });
    await ok('mutation { deleteSubject(subject: "parcel") { deleted } }');
    const deleted = await gql('mutation { activateMappingSpec(id: "parcel-fields", version: 2) { version active } }');
    expect(detailsOf(deleted)).toEqual({ code: 'BAD_USER_INPUT', details: ['target.subject: canonical subject "parcel" is not registered'] });
    expect(await ok('{ mappingSpecHistory(id: "parcel-fields") { version } }')).toEqual({ mappingSpecHistory: [] });
  });
});
