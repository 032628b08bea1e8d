import path from 'node:path';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { execute, getOperationAST, parse } from 'graphql';
import { loadCanonicalSchemas } from '../../../src/catalog/canonical-schemas';
import { createSubjectCatalog } from '../../../src/catalog/subject-catalog';
import { createEventLog } from '../../../src/events/event-log';
import { createAccessPolicy, type Principal } from '../../../src/graphql/access';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { compiledExecutor } from '../../../src/graphql/compiled-executor';
import { createContext, type ApiServices } from '../../../src/graphql/context';
import { createEntityStore } from '../../../src/state/entity-store';
import { mongoChange, pgChange, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { testKafka, uniqueName } from '../../support/test-env';

const ROOT = path.join(__dirname, '..', '..', '..');
const oid = (n: number) => n.toString(16).padStart(24, '0');

/**
 * The compiled executor against graphql-js on the served schema and real canonical state: every
 * query below, run both ways with its own request context, gives the same answer (data, and each
 * error's message, locations, path and extensions).
 */
describe('compiled executor on the served schema', () => {
  const kafka = testKafka();
  const ordersTopic = uniqueName('raw.mongo.orders');
  const customersTopic = uniqueName('raw.pg.customers');
  let ingest: IngestionHarness;
  let services: ApiServices;

  beforeAll(async () => {
    ingest = await startIngestionHarness([specFromFile('order.json', ordersTopic), specFromFile('customer.json', customersTopic)]);
    await produce(
      kafka,
      customersTopic,
      ['a@x.io', 'b@x.io'].map((email, i) =>
        pgChange({ op: 'c', key: { id: i + 1 }, lsn: 100 + i, after: { id: i + 1, email, name: `Customer ${i + 1}`, balance: '10.50', tier: 'gold' } }),
      ),
    );
    await produce(
      kafka,
      ordersTopic,
      Array.from({ length: 5 }, (_, k) =>
        mongoChange({
          op: 'c',
          id: { $oid: oid(k) },
          tsMs: 1_700_000_000_000 + k,
          ord: k + 1,
          after: { orderId: `o-${k}`, customer: { email: k % 2 ? 'a@x.io' : 'b@x.io' }, items: [{ sku: `sku-${k}` }, { sku: 'x' }] },
        }),
      ),
    );
    await ingest.waitForOutcomes(7);
    const catalog = createSubjectCatalog(loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical')).values());
    services = {
      catalog,
      db: ingest.db,
      store: createEntityStore(ingest.db),
      eventLog: createEventLog(ingest.db),
      maxPageSize: 3,
      access: createAccessPolicy({ apiKeys: [{ key: 'scoped-key-0123456789', role: 'reader', subjects: ['customer'] }] }),
    };
  });
  afterAll(() => ingest.stop());

  it('answers every query as graphql-js does', async () => {
    const schema = buildApiSchema(services.catalog.list());
    const { executor, size } = compiledExecutor({ compileAfter: 0 });
    const scoped = services.access.principalFor('Bearer scoped-key-0123456789') as Principal;
    const ORDER = 'query Order($id: ID!) { order(id: $id) { id order_id currency customer { email } line_items { sku } } }';
    const cases: [string, Record<string, unknown>, Principal?][] = [
      // The benchmark's queries.
      [ORDER, { id: oid(1) }],
      [ORDER, { id: oid(99) }],
      ['query Orders { orders(first: 2) { totalCount edges { cursor node { id order_id currency } } pageInfo { hasNextPage endCursor } } }', {}],
      ['query Page($after: String) { orders(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage } } }', { after: null }],
      // Metadata, decimals, enums, nested objects and lists, fragments, aliases, __typename.
      [`{ order(id: "${oid(2)}") { __typename id _meta { version deleted specId position } ...F } } fragment F on Order { line_items { sku } }`, {}],
      ['{ customers(first: 3) { edges { node { id email balance tier } } } a: customer(id: "1") { email } }', {}],
      ['{ orders(first: 3, where: { order_id: { in: ["o-1", "o-3"] } }) { totalCount edges { node { order_id } } } }', {}],
      // Field errors with codes and paths: a page too large, a cursor that is not one, a subject out of scope.
      ['{ orders(first: 50) { totalCount } }', {}],
      ['{ orders(first: 2, after: "nope") { totalCount } customer(id: "2") { email } }', {}],
      [ORDER, { id: oid(1) }, scoped],
      ['{ customer(id: "1") { email } order(id: "1") { id } }', {}, scoped],
    ];
    for (const [query, variables, principal] of cases) {
      const document = parse(query);
      const run = async (compiled: boolean) => {
        const contextValue = createContext(services, principal);
        const result = compiled
          ? await executor({
              schema,
              document,
              operation: getOperationAST(document)!,
              context: contextValue,
              request: { variables },
            } as unknown as GatewayGraphQLRequestContext)
          : await execute({ schema, document, contextValue, variableValues: variables });
        return JSON.parse(JSON.stringify(result)) as unknown;
      };
      const expected = await run(false);
      expect([query, await run(true)]).toEqual([query, expected]);
    }
    // Each case parsed its own document, and each was compiled (none fell back to graphql-js).
    expect(size()).toBe(cases.length);
  });
});
