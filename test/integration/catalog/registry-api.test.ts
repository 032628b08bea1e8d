import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { startApp, type App } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { uniqueName } from '../../support/test-env';
import { testLogger } from '../../support/test-logger';

/**
 * The registry API (src/http/registry-routes.ts) on a whole app over the real store, spoken to by a
 * registry client library nobody here wrote, and by plain HTTP for the protocol's error codes:
 * raw Avro writer schemas beside the canonical JSON Schemas, one id per schema, the subject's
 * compatibility level enforced, the same registry as the GraphQL catalog, readers read and admins
 * write.
 */
const ADMIN = 'registry-api-admin-key-0001';
const READER = 'registry-api-reader-key-001';
const ORDER_READER = 'registry-api-order-reader-1';
const logger = testLogger('warn');

const ORDERS_VALUE = {
  type: 'record',
  name: 'Value',
  namespace: 'dbserver1.public.orders',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
  ],
};

describe('registry API', () => {
  let app: App;
  let base: string;
  const client = (key = ADMIN) =>
    new SchemaRegistry(
      { host: base, auth: { username: 'canonql', password: key }, retry: { retries: 0 } },
      // Canonical schemas are JSON Schema 2020-12: the client validates with an ajv that knows it.
      { [SchemaType.JSON]: { ajvInstance: addFormats(new Ajv2020({ strict: false })) } },
    );
  const call = async (method: string, path: string, body?: unknown, key: string | null = ADMIN) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        'content-type': 'application/vnd.schemaregistry.v1+json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  };
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  };

  beforeAll(async () => {
    app = await startApp(
      loadConfig({
        ...process.env,
        CANONQL_MODE: 'test',
        CANONQL_ROLES: 'api',
        CANONQL_HTTP_PORT: '0',
        MONGODB_DATABASE: uniqueName('registry_api'),
        CANONQL_API_KEYS: `${ADMIN}=admin,${READER}=reader,${ORDER_READER}=reader:order`,
        CANONQL_CATALOG_POLL_MS: '100',
        CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
        CANONQL_DEMO_FEED: 'false',
      }),
      logger,
    );
    base = `${app.url}/registry`;
  });
  afterAll(() => app.stop());

  it('keeps an Avro writer schema of a raw topic: registered by the client, read back by id, same id when registered again', async () => {
    const subject = 'dbserver1.public.orders-value';
    const { id } = await client().register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDERS_VALUE) }, { subject });
    expect(await client().register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDERS_VALUE) }, { subject })).toEqual({ id });
    // A fresh client (empty cache) encodes and decodes through GET /schemas/ids/{id}.
    const encoded = await client().encode(id, { id: 7, total: Buffer.from([0x30, 0x39]) });
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await client().decode(encoded)).toEqual({ id: 7, total: Buffer.from([0x30, 0x39]) });

    const byId = await call('GET', `/schemas/ids/${id}`, undefined, READER);
    expect(byId).toMatchObject({ status: 200, type: expect.stringContaining('application/vnd.schemaregistry.v1+json') });
    // Avro is the protocol's default type: no schemaType in the answer.
    expect(byId.body).toEqual({ schema: JSON.stringify(ORDERS_VALUE) });
    expect((await call('GET', `/subjects/${subject}/versions/latest`)).body).toEqual({ subject, version: 1, id, schema: JSON.stringify(ORDERS_VALUE) });
    // Raw subjects are not canonical ones: the GraphQL catalog does not list them.
    const catalog = await gql('{ schemaSubjects { subject } }');
    expect(JSON.stringify(catalog)).not.toContain('orders-value');
  });

  it("enforces the raw subject's level by Avro resolution: a new field without a default is refused with 409, one with a default is version 2", async () => {
    const subject = 'dbserver1.public.evolving-value';
    await client().register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDERS_VALUE) }, { subject });
    const required = { ...ORDERS_VALUE, fields: [...ORDERS_VALUE.fields, { name: 'note', type: 'string' }] };
    const refused = await call('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(required) });
    expect(refused.status).toBe(409);
    expect(refused.body.error_code).toBe(409);
    expect(String(refused.body.message)).toContain('note');
    const verdict = await call('POST', `/compatibility/subjects/${subject}/versions/latest?verbose=true`, { schema: JSON.stringify(required) }, READER);
    expect(verdict.body).toMatchObject({ is_compatible: false, messages: [expect.stringContaining('note')] });

    const optional = { ...ORDERS_VALUE, fields: [...ORDERS_VALUE.fields, { name: 'note', type: ['null', 'string'], default: null }] };
    expect((await call('POST', `/compatibility/subjects/${subject}/versions/1`, { schema: JSON.stringify(optional) })).body).toEqual({ is_compatible: true });
    const second = await call('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(optional) });
    expect(second.status).toBe(200);
    expect((await call('GET', `/subjects/${subject}/versions`)).body).toEqual([1, 2]);
    expect((await call('POST', `/subjects/${subject}`, { schema: JSON.stringify(optional) })).body).toMatchObject({ subject, version: 2, id: second.body.id });
  });

  it('serves canonical schemas as schemaType JSON from the same registry as the GraphQL catalog, ids stable', async () => {
    const latest = await call('GET', '/subjects/order/versions/latest', undefined, READER);
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ subject: 'order', version: 1, schemaType: 'JSON' });
    const id = latest.body.id as number;
    expect((await call('GET', '/subjects/order/versions/1')).body.id).toBe(id);
    expect(await client(READER).getLatestSchemaId('order')).toBe(id);
    const order = JSON.parse(latest.body.schema as string) as Record<string, unknown>;
    expect(order.title).toBe('Order');

    // The verdict on a candidate is the catalog's own, rule for rule.
    const properties = { ...(order.properties as Record<string, unknown>), gift_note: { type: ['string', 'null'] } };
    const candidate = JSON.stringify({ ...order, properties });
    const verdict = await call('POST', '/compatibility/subjects/order/versions/latest?verbose=true', { schemaType: 'JSON', schema: candidate }, READER);
    const dryRun = await gql('query($s: JSON!) { schemaCompatibility(subject: "order", schema: $s) { compatible violations { rule } } }', {
      s: JSON.parse(candidate),
    });
    expect(verdict.body).toEqual({ is_compatible: false, messages: [expect.stringContaining('PROPERTY_ADDED_TO_OPEN_MODEL')] });
    expect(dryRun.data).toEqual({ schemaCompatibility: { compatible: false, violations: [{ rule: 'PROPERTY_ADDED_TO_OPEN_MODEL' }] } });
    const refused = await call('POST', '/subjects/order/versions', { schemaType: 'JSON', schema: candidate });
    expect(refused).toMatchObject({ status: 409, body: { error_code: 409 } });

    // A new canonical subject registered by the client is served by GraphQL at once; its v2 too.
    const parcelV1 = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: { parcelId: { type: 'string' }, weightKg: { type: ['number', 'null'] } },
      required: ['parcelId'],
    };
    const parcelV2 = { ...parcelV1, properties: { ...parcelV1.properties, carrier: { type: ['string', 'null'] } } };
    const first = await client().register({ type: SchemaType.JSON, schema: JSON.stringify(parcelV1) }, { subject: 'parcel' });
    expect((await gql('{ parcels { totalCount } }')).data).toEqual({ parcels: { totalCount: 0 } });
    const second = await client().register({ type: SchemaType.JSON, schema: JSON.stringify(parcelV2) }, { subject: 'parcel' });
    expect(second.id).not.toBe(first.id);
    const subjects = (await gql('{ schemaSubjects { subject latestVersion } }')).data?.schemaSubjects as { subject: string }[];
    expect(subjects.find((s) => s.subject === 'parcel')).toEqual({ subject: 'parcel', latestVersion: 2 });
    expect((await gql('{ parcels { edges { node { carrier } } } }')).errors).toBeUndefined();
    expect((await call('GET', '/subjects/parcel/versions')).body).toEqual([1, 2]);
    expect((await call('GET', '/subjects/parcel/versions/1')).body.id).toBe(first.id);
    expect((await call('GET', '/subjects/order/versions/1')).body.id).toBe(id);
    expect((await call('GET', '/subjects', undefined, READER)).body).toEqual(expect.arrayContaining(['customer', 'order', 'dbserver1.public.orders-value']));
  });

  it("answers with the registry protocol's error codes", async () => {
    const cases: [Promise<{ status: number; body: Record<string, unknown> }>, number, number][] = [
      [call('GET', '/subjects/nothing_here/versions'), 404, 40401],
      [call('GET', '/subjects/order/versions/99'), 404, 40402],
      [call('GET', '/schemas/ids/987654'), 404, 40403],
      [call('GET', '/config/customer'), 404, 40408],
      [call('GET', '/subjects/order/versions/zero'), 422, 42202],
      [call('POST', '/subjects/order/versions', { schema: JSON.stringify(ORDERS_VALUE) }), 422, 42201],
      [call('POST', '/subjects/a.b-value/versions', { schema: '{"type": "record"' }), 422, 42201],
      [call('POST', '/subjects/a.b-value/versions', { schema: '{"type": "recurd", "name": "x"}' }), 422, 42201],
      [call('POST', '/subjects/order/versions', { schemaType: 'JSON', schema: '{"type": "string"}' }), 422, 42201],
      [call('PUT', '/config', { compatibility: 'SOMETIMES' }), 422, 42203],
      [call('PUT', '/config', { compatibility: 'FULL' }, READER), 403, 40301],
      [call('POST', '/subjects/a.b-value/versions', { schema: JSON.stringify(ORDERS_VALUE) }, null), 401, 401],
      [call('GET', '/subjects', undefined, 'not-a-configured-key-000'), 401, 401],
      [call('GET', '/subjects/dbserver1.public.orders-value/versions', undefined, ORDER_READER), 403, 40301],
      [call('GET', '/no/such/route'), 404, 404],
    ];
    for (const [pending, status, errorCode] of cases) {
      const answer = await pending;
      expect({ status: answer.status, error_code: answer.body.error_code }).toEqual({ status, error_code: errorCode });
      expect(typeof answer.body.message).toBe('string');
    }
  });

  it('keeps the global and per-subject levels shared with the catalog', async () => {
    expect((await call('GET', '/config', undefined, READER)).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('PUT', '/config/customer', { compatibility: 'FULL_TRANSITIVE' })).body).toEqual({ compatibility: 'FULL_TRANSITIVE' });
    expect((await call('GET', '/config/customer')).body).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
    const level = await gql('{ compatibilityLevel(subject: "customer") { level source } }');
    expect(level.data).toEqual({ compatibilityLevel: { level: 'FULL_TRANSITIVE', source: 'subject' } });
    expect((await call('DELETE', '/config/customer')).body).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
    expect((await call('GET', '/config/customer?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    // A scoped reader sees only its subjects.
    expect((await call('GET', '/subjects', undefined, ORDER_READER)).body).toEqual(['order']);
  });
});
