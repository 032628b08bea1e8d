import type { Message } from 'kafkajs';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { mongoChange, pgChange, tombstone } from '../../support/debezium-messages';
import { createLeftovers, uniqueName } from '../../support/test-env';

/**
 * previewMappingSpec against a running canonql: a spec previewed before its subject exists (the
 * draft schema in the request), tombstones, and what each record shows when it fails or is a
 * partial update.
 */
interface PreviewRecord {
  status: string;
  op: string | null;
  key: string | null;
  canonical: Record<string, unknown> | null;
  unset: string[];
  errors: string[];
  errorCode: string | null;
  fields: string[];
}
interface Preview {
  subject: string;
  mapped: number;
  failed: number;
  skipped: number;
  records: PreviewRecord[];
  typeMismatches: { target: string }[];
}

const PREVIEW = `query($s: JSON!, $e: [RawEventInput!], $schema: JSON) { previewMappingSpec(spec: $s, events: $e, schema: $schema) {
  subject mapped failed skipped typeMismatches { target } records { status op key canonical unset errors errorCode fields } } }`;

describe('previewMappingSpec', () => {
  const leftovers = createLeftovers();
  let target: AppUnderTest;
  const subject = uniqueName('parcel').replace(/[^a-z0-9_]/g, '_');
  const topic = uniqueName('raw.pg.parcels');

  const draft = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      parcelId: { type: 'string' },
      weightKg: { type: ['number', 'null'] },
      pieces: { type: ['integer', 'null'] },
      buyer: { type: 'object', properties: { email: { type: ['string', 'null'] } } },
    },
    required: ['parcelId'],
  };
  const spec = {
    mappingId: `${subject}-canonicalization`,
    version: 1,
    source: { type: 'kafka', topic },
    target: { subject },
    key: { source: true },
    fieldMappings: [
      { src: '$.id', dst: '$.parcelId', transform: 'string' },
      { src: '$.weight', dst: '$.weightKg' },
      { src: '$.pieces', dst: '$.pieces', transform: 'integer' },
      { src: '$.buyer.email', dst: '$.buyer.email' },
    ],
  };
  const event = (message: Message) => ({
    key: JSON.parse(String(message.key)) as unknown,
    value: message.value === null ? null : (JSON.parse(String(message.value)) as unknown),
  });
  const pg = (id: number, after: Record<string, unknown>) =>
    event(pgChange({ op: 'c', key: { id }, after: { id, ...after }, lsn: 100 + id, table: 'parcels' }));

  beforeAll(async () => {
    target = await startAppUnderTest('spec-preview');
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  it('refuses a spec for an unregistered subject without a draft schema, and previews it with one', async () => {
    const events = [pg(1, { weight: 2.5, pieces: 2, buyer: { email: 'a@example.io' } })];
    const refused = await target.gql<{ previewMappingSpec: Preview }>(PREVIEW, { s: spec, e: events });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.extensions?.details).toEqual([`target.subject: canonical subject "${subject}" is not registered`]);

    const preview = (await target.ok<{ previewMappingSpec: Preview }>(PREVIEW, { s: spec, e: events, schema: draft })).previewMappingSpec;
    expect(preview.subject).toBe(subject);
    expect(preview.records).toEqual([
      {
        status: 'mapped',
        op: 'c',
        key: '1',
        canonical: { parcelId: '1', weightKg: 2.5, pieces: 2, buyer: { email: 'a@example.io' } },
        unset: [],
        errors: [],
        errorCode: null,
        fields: [],
      },
    ]);
    // The draft's types are the ones checked: a weight the draft refuses fails there.
    const stricter = { ...draft, properties: { ...draft.properties, weightKg: { type: 'string' } } };
    const checked = (await target.ok<{ previewMappingSpec: Preview }>(PREVIEW, { s: spec, e: events, schema: stricter })).previewMappingSpec;
    expect(checked.records[0]).toMatchObject({ status: 'error', errorCode: 'VALIDATION_FAILED', fields: ['weightKg'] });
  });

  it('refuses a draft schema that is not a JSON Schema object, naming it', async () => {
    const result = await target.gql(PREVIEW, { s: spec, e: [pg(1, {})], schema: [1, 2] });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/^schema: must be a JSON object/);
    const broken = await target.gql(PREVIEW, { s: spec, e: [pg(1, {})], schema: { type: 'object', properties: { parcelId: { type: 'text' } } } });
    expect(broken.errors?.[0]?.extensions?.code).toBe('SCHEMA_INVALID');
  });

  it('keeps the op and key of a failing record and names the canonical fields it fails on', async () => {
    const preview = (
      await target.ok<{ previewMappingSpec: Preview }>(PREVIEW, {
        s: spec,
        schema: draft,
        e: [
          pg(2, { weight: 'heavy', pieces: 1 }), // the draft wants a number: a schema problem at weightKg
          pg(3, { weight: 1, pieces: 'many' }), // the integer transform fails: a mapping failure at pieces
        ],
      })
    ).previewMappingSpec;
    expect(preview.failed).toBe(2);
    expect(preview.records[0]).toMatchObject({ status: 'error', op: 'c', key: '2', errorCode: 'VALIDATION_FAILED', fields: ['weightKg'] });
    expect(preview.records[1]).toMatchObject({ status: 'error', op: 'c', key: '3', errorCode: 'MAPPING_FAILED', fields: ['pieces'] });
    expect(preview.records[1]!.errors[0]).toMatch(/fieldMappings\[2\]/);
  });

  it('previews a tombstone (value null) as skipped, with its key', async () => {
    const preview = (
      await target.ok<{ previewMappingSpec: Preview }>(PREVIEW, {
        s: spec,
        schema: draft,
        e: [event(tombstone(JSON.stringify({ id: 4 }))), { key: { id: 5 } }],
      })
    ).previewMappingSpec;
    expect(preview.skipped).toBe(2);
    expect(preview.records.map((r) => [r.status, r.key, r.op])).toEqual([
      ['skipped', '4', null],
      ['skipped', '5', null],
    ]);
  });

  it('previews a partial update nested, as the parts of the document it sets; one that sets no mapped field as skipped', async () => {
    const mongoSpec = { ...spec, key: { source: true } };
    const preview = (
      await target.ok<{ previewMappingSpec: Preview }>(PREVIEW, {
        s: mongoSpec,
        schema: draft,
        e: [
          event(mongoChange({ op: 'u', id: 'p-6', updatedFields: { 'buyer.email': 'b@example.io', weight: 3 }, tsMs: 1_700_000_000_000, ord: 1 })),
          event(mongoChange({ op: 'u', id: 'p-7', updatedFields: { note: 'left at the door' }, tsMs: 1_700_000_000_001, ord: 1 })),
        ],
      })
    ).previewMappingSpec;
    expect(preview.records[0]).toMatchObject({ status: 'mapped', op: 'u', key: 'p-6', canonical: { buyer: { email: 'b@example.io' }, weightKg: 3 } });
    expect(preview.records[1]).toMatchObject({ status: 'skipped', op: 'u', key: 'p-7', canonical: null });
    expect(preview.records[1]!.errors[0]).toMatch(/no field the spec maps/);
    expect(preview.mapped).toBe(1);
  });
});
