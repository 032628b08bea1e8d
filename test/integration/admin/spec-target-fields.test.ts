import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCHEMA_VERSIONS_COLLECTION } from '../../../src/catalog/schema-registry';
import { pgChange } from '../../support/debezium-messages';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { createLeftovers, testMongo, uniqueName } from '../../support/test-env';

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
    // Nothing was registered: the id is still unknown.
    expect(detailsOf(await gql('{ mappingSpecs(id: "parcel-fields") { version } }'))).toEqual({
      code: 'NOT_FOUND',
      details: ['id: no mapping spec is named "parcel-fields"; none is known'],
    });
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

  it('refuses, under NONE, a schema version that takes away a field an active spec writes: deactivate or update the spec first', async () => {
    const v1 = {
      type: 'object',
      properties: {
        cid: { type: 'string' },
        carrier: { type: 'object', properties: { code: { type: 'string' }, name: { type: 'string' } } },
        notes: { type: ['string', 'null'] },
      },
      required: ['cid'],
    };
    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "consignment", schema: $s, expectedVersion: 0) { version } }', { s: v1 });
    await ok('mutation { setCompatibilityLevel(subject: "consignment", level: NONE) { level } }');
    const writer = (version: number, fieldMappings: Record<string, unknown>[], defaults?: Record<string, unknown>) => ({
      mappingId: 'consignment-fields',
      version,
      source: { type: 'kafka', topic: uniqueName('raw.pg.consignments') },
      target: { subject: 'consignment' },
      fieldMappings: [{ src: '$.id', dst: '$.cid', transform: 'string' }, ...fieldMappings],
      ...(defaults ? { defaults } : {}),
    });
    const active = writer(1, [
      { src: '$.note', dst: '$.notes' },
      { src: '$.carrier_code', dst: '$.carrier.code' },
    ]);
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version active } }', { s: active });
    // An inactive spec of the subject is checked when it is activated, not here.
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s) { version } }', {
      s: { ...writer(1, [], { 'carrier.name': 'unknown' }), mappingId: 'consignment-names' },
    });

    // v2: `notes` gone, `carrier` a String.
    const v2 = { ...v1, properties: { cid: { type: 'string' }, carrier: { type: ['string', 'null'] } } };
    const problems = [
      'mapping-spec "consignment-fields" version 1: fieldMappings[1].dst: "$.notes": subject "consignment" has no field "notes" (its fields: cid, carrier)',
      'mapping-spec "consignment-fields" version 1: fieldMappings[2].dst: "$.carrier.code": $.carrier is a String in subject "consignment", it has no field "code"',
    ];
    const dryRun = await ok('query($s: JSON!) { schemaCompatibility(subject: "consignment", schema: $s) { compatible problems violations { rule } } }', {
      s: v2,
    });
    expect(dryRun).toEqual({ schemaCompatibility: { compatible: false, problems, violations: [] } });
    const refused = await gql('mutation($s: JSON!) { registerCanonicalSchema(subject: "consignment", schema: $s, expectedVersion: 1) { version } }', {
      s: v2,
    });
    expect(detailsOf(refused)).toEqual({ code: 'BAD_USER_INPUT', details: problems });
    expect((refused.errors as { message: string }[])[0]!.message).toMatch(/^schema for consignment would break the mapping specs active for it/);
    // The registry protocol registers the same versions: refused the same way.
    const protocol = await fetch(`${target.app.url}/registry/subjects/consignment/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify(v2) }),
    });
    expect(protocol.status).toBe(409);
    expect(await protocol.json()).toMatchObject({
      error_code: 409,
      message: expect.stringMatching(/would break the mapping specs active for subject 'consignment'/),
    });
    const compat = await fetch(`${target.app.url}/registry/compatibility/subjects/consignment/versions/latest?verbose=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify(v2) }),
    });
    expect(await compat.json()).toEqual({ is_compatible: false, messages: problems });
    expect(await ok('{ schemaVersions(subject: "consignment") { version } }')).toEqual({ schemaVersions: [{ version: 1 }] });

    // Update the spec first: a version that writes neither field is active, the schema goes through.
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version active } }', {
      s: { ...writer(2, [{ src: '$.carrier_code', dst: '$.carrier' }]), source: active.source },
    });
    expect(await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "consignment", schema: $s, expectedVersion: 1) { version } }', { s: v2 })).toEqual({
      registerCanonicalSchema: { version: 2 },
    });
    // Deactivating works too: v3 takes `carrier` away, which only the deactivated spec writes.
    const v3 = { ...v2, properties: { cid: { type: 'string' } } };
    const blocked = await gql('mutation($s: JSON!) { registerCanonicalSchema(subject: "consignment", schema: $s, expectedVersion: 2) { version } }', {
      s: v3,
    });
    expect(detailsOf(blocked)).toEqual({
      code: 'BAD_USER_INPUT',
      details: [
        'mapping-spec "consignment-fields" version 2: fieldMappings[1].dst: "$.carrier": subject "consignment" has no field "carrier" (its fields: cid)',
      ],
    });
    await ok('mutation { deactivateMappingSpec(id: "consignment-fields") }');
    expect(await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "consignment", schema: $s, expectedVersion: 2) { version } }', { s: v3 })).toEqual({
      registerCanonicalSchema: { version: 3 },
    });
  });

  it('refuses, under NONE, a schema version whose field a default of an active spec is no longer a value of, and such a default at activation', async () => {
    const v1 = {
      type: 'object',
      properties: { tid: { type: 'string' }, status: { type: 'string' }, level: { type: 'integer' } },
      required: ['tid'],
    };
    await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "tote", schema: $s, expectedVersion: 0) { version } }', { s: v1 });
    await ok('mutation { setCompatibilityLevel(subject: "tote", level: NONE) { level } }');
    const defaulted = (version: number, defaults: Record<string, unknown>) => ({
      mappingId: 'tote-defaults',
      version,
      source: { type: 'kafka', topic: uniqueName('raw.pg.totes') },
      target: { subject: 'tote' },
      fieldMappings: [{ src: '$.id', dst: '$.tid', transform: 'string' }],
      defaults,
    });
    const active = defaulted(1, { status: 'active', level: 5 });
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version active } }', { s: active });

    // Each version would fail every record that relies on the default (VALIDATION_FAILED, dead-lettered).
    const cases: [Record<string, unknown>, string][] = [
      [{ status: { type: 'integer' } }, 'defaults.status: "active" is not an Int (a JSON number without a fraction)'],
      [
        { status: { type: 'string', enum: ['open', 'closed'] } },
        'defaults.status: "active" is not a value of subject "tote" (/status: must be equal to one of the allowed values)',
      ],
      [
        { status: { type: 'string', pattern: '^[A-Z]+$' } },
        'defaults.status: "active" is not a value of subject "tote" (/status: must match pattern "^[A-Z]+$")',
      ],
      [{ level: { type: 'integer', maximum: 3 } }, 'defaults.level: 5 is not a value of subject "tote" (/level: must be <= 3)'],
      [{ level: { type: 'string' } }, 'defaults.level: 5 is not a value of subject "tote" (/level: must be string)'],
    ];
    for (const [changed, problem] of cases) {
      const v2 = { ...v1, properties: { ...v1.properties, ...changed } };
      const problems = [`mapping-spec "tote-defaults" version 1: ${problem}`];
      const dryRun = await ok('query($s: JSON!) { schemaCompatibility(subject: "tote", schema: $s) { compatible problems violations { rule } } }', { s: v2 });
      expect(dryRun).toEqual({ schemaCompatibility: { compatible: false, problems, violations: [] } });
      const refused = await gql('mutation($s: JSON!) { registerCanonicalSchema(subject: "tote", schema: $s, expectedVersion: 1) { version } }', { s: v2 });
      expect(detailsOf(refused)).toEqual({ code: 'BAD_USER_INPUT', details: problems });
    }
    const enumerated = { ...v1, properties: { ...v1.properties, status: { type: 'string', enum: ['open', 'closed'] } } };
    const protocol = await fetch(`${target.app.url}/registry/subjects/tote/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify(enumerated) }),
    });
    expect(protocol.status).toBe(409);
    expect(await protocol.json()).toMatchObject({ error_code: 409, message: expect.stringMatching(/would break the mapping specs active for subject 'tote'/) });
    expect(await ok('{ schemaVersions(subject: "tote") { version } }')).toEqual({ schemaVersions: [{ version: 1 }] });

    // The spec goes first: a version whose default fits both, then the schema.
    await ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version active } }', {
      s: { ...defaulted(2, { status: 'open', level: 5 }), source: active.source },
    });
    expect(await ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "tote", schema: $s, expectedVersion: 1) { version } }', { s: enumerated })).toEqual(
      {
        registerCanonicalSchema: { version: 2 },
      },
    );
    // Version 1, stored before, is checked again when activated; a default outside the enum is refused at registration.
    const reactivated = await gql('mutation { activateMappingSpec(id: "tote-defaults", version: 1) { version active } }');
    expect(detailsOf(reactivated)).toEqual({
      code: 'BAD_USER_INPUT',
      details: ['defaults.status: "active" is not a value of subject "tote" (/status: must be equal to one of the allowed values)'],
    });
    const registered = await gql('mutation($s: JSON!) { registerMappingSpec(spec: $s) { version } }', { s: defaulted(3, { status: 'shut' }) });
    expect(detailsOf(registered)).toEqual({
      code: 'BAD_USER_INPUT',
      details: ['defaults.status: "shut" is not a value of subject "tote" (/status: must be equal to one of the allowed values)'],
    });
  });
});

/**
 * A start seeds the schema files, then the spec files: a schema file that takes away a field a spec
 * active in the store writes fails the start (nothing registered), unless the spec files of the
 * same deploy bring the version that stops writing it, which the start then activates.
 */
describe('schema files seeded against the mapping specs active once the spec files are seeded', () => {
  const leftovers = createLeftovers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-spec-fields-seed-'));
  const database = uniqueName('spec_fields_seed');
  const topic = uniqueName('raw.pg.crates');
  const v1 = {
    type: 'object',
    properties: { cid: { type: 'string' }, label: { type: 'object', properties: { text: { type: 'string' } } }, notes: { type: ['string', 'null'] } },
  };
  const v2 = { ...v1, properties: { cid: { type: 'string' }, label: { type: 'string' } } };
  const spec = (version: number, dsts: string[]) => ({
    mappingId: 'crate-fields',
    version,
    source: { type: 'kafka', topic },
    target: { subject: 'crate' },
    fieldMappings: [{ src: '$.id', dst: '$.cid', transform: 'string' }, ...dsts.map((dst, i) => ({ src: `$.c${i}`, dst }))],
  });
  const write = (file: string, body: unknown) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), JSON.stringify(body));
  };
  const start = () =>
    startAppUnderTest('spec-fields-seed', {
      CANONQL_ROLES: 'api',
      MONGODB_DATABASE: database,
      CANONQL_SCHEMA_DIR: path.join(dir, 'schema'),
      CANONQL_SPECS_DIR: path.join(dir, 'specs'),
      CANONQL_METRICS_DIR: path.join(dir, 'no-metrics'),
    });

  afterAll(async () => {
    await leftovers.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails a start whose schema file drops a field an active spec writes, and passes once the spec files stop writing it', async () => {
    write('schema/canonical/crate.schema.json', v1);
    write('specs/crate-fields.json', spec(1, ['$.notes', '$.label.text']));
    const first = await start();
    await first.ok('mutation { setCompatibilityLevel(subject: "crate", level: NONE) { level } }');
    await first.stop();

    write('schema/canonical/crate.schema.json', v2);
    const failure = await start().then(
      (app) => app.stop().then(() => null),
      (error: unknown) => error as { code?: string; details?: string[] },
    );
    expect(failure?.code).toBe('SCHEMA_INVALID');
    expect(failure?.details).toEqual([
      'crate: mapping-spec "crate-fields" version 1: fieldMappings[1].dst: "$.notes": subject "crate" has no field "notes" (its fields: cid, label)',
      'crate: mapping-spec "crate-fields" version 1: fieldMappings[2].dst: "$.label.text": $.label is a String in subject "crate", it has no field "text"',
    ]);

    const client = await testMongo();
    leftovers.add(() => client.close());
    expect(await client.db(database).collection(SCHEMA_VERSIONS_COLLECTION).countDocuments({ subject: 'crate' })).toBe(1);

    // The same deploy ships the spec version that no longer writes them: the start goes through
    // (every file of specs/ must fit its subject, so the file of version 1 is replaced).
    write('specs/crate-fields.json', spec(2, ['$.label']));
    const third = await start();
    leftovers.add(() => third.stop());
    expect(await third.ok('{ schemaVersions(subject: "crate") { version origin } mappingSpecs(id: "crate-fields") { version active } }')).toEqual({
      schemaVersions: [
        { version: 1, origin: 'file' },
        { version: 2, origin: 'file' },
      ],
      mappingSpecs: [
        { version: 1, active: false },
        { version: 2, active: true },
      ],
    });
  });

  it('fails a start whose schema file changes the type of a defaulted field, and passes once the spec files change the default', async () => {
    const subject = 'bin';
    const schemaV1 = { type: 'object', properties: { bid: { type: 'string' }, size: { type: 'string' } } };
    const schemaV2 = { ...schemaV1, properties: { ...schemaV1.properties, size: { type: 'integer', maximum: 10 } } };
    const binSpec = (version: number, size: unknown) => ({
      mappingId: 'bin-defaults',
      version,
      source: { type: 'kafka', topic: uniqueName('raw.pg.bins') },
      target: { subject },
      fieldMappings: [{ src: '$.id', dst: '$.bid', transform: 'string' }],
      defaults: { size },
    });
    write(`schema/canonical/${subject}.schema.json`, schemaV1);
    write('specs/bin-defaults.json', binSpec(1, 'large'));
    const first = await start();
    await first.ok(`mutation { setCompatibilityLevel(subject: "${subject}", level: NONE) { level } }`);
    await first.stop();

    write(`schema/canonical/${subject}.schema.json`, schemaV2);
    const failure = await start().then(
      (app) => app.stop().then(() => null),
      (error: unknown) => error as { code?: string; details?: string[] },
    );
    expect(failure?.code).toBe('SCHEMA_INVALID');
    expect(failure?.details).toEqual(['bin: mapping-spec "bin-defaults" version 1: defaults.size: "large" is not an Int (a JSON number without a fraction)']);

    // A spec file whose default fits neither version fails the start too, before the schema is stored.
    write('specs/bin-defaults.json', binSpec(2, 12));
    await expect(start().then((app) => app.stop())).rejects.toMatchObject({
      code: 'SCHEMA_INVALID',
      details: ['bin: mapping-spec "bin-defaults" version 2: defaults.size: 12 is not a value of subject "bin" (/size: must be <= 10)'],
    });
    const client = await testMongo();
    leftovers.add(() => client.close());
    expect(await client.db(database).collection(SCHEMA_VERSIONS_COLLECTION).countDocuments({ subject })).toBe(1);

    write('specs/bin-defaults.json', binSpec(3, 8));
    const fourth = await start();
    leftovers.add(() => fourth.stop());
    expect(await fourth.ok(`{ schemaVersions(subject: "${subject}") { version } mappingSpecs(id: "bin-defaults") { version active } }`)).toEqual({
      schemaVersions: [{ version: 1 }, { version: 2 }],
      mappingSpecs: [
        { version: 1, active: false },
        { version: 3, active: true },
      ],
    });
  });
});
