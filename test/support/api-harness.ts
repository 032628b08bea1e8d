import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { Db } from 'mongodb';
import request from 'supertest';
import { loadCanonicalSchemas } from '../../src/catalog/canonical-schemas';
import { createSchemaRegistry, readSchemaFiles } from '../../src/catalog/schema-registry';
import { followSchemaRegistry, type CatalogSync, type RegistryBinding } from '../../src/catalog/schema-registry-sync';
import { createSubjectCatalog, type SubjectCatalog } from '../../src/catalog/subject-catalog';
import { createEventLog } from '../../src/events/event-log';
import { createAccessPolicy } from '../../src/graphql/access';
import { createApiSchemaCheck } from '../../src/graphql/api-schema-check';
import { buildApiSchema, type SubscriptionFieldsFactory } from '../../src/graphql/build-api-schema';
import { DEMO_QUERY } from '../../src/graphql/demo-query';
import { mountGraphqlEndpoint, type GraphqlEndpoint } from '../../src/graphql/graphql-endpoint';
import { explorerRoutes } from '../../src/http/explorer-routes';
import { SchemaGateway } from '../../src/graphql/schema-gateway';
import { createEntityStore } from '../../src/state/entity-store';
import { TEST_ADMIN_KEY } from './graphql-result';
import { testLogger } from './test-logger';

const ROOT = path.join(__dirname, '..', '..');

export interface ApiHarness {
  readonly url: string;
  readonly wsUrl: string;
  readonly catalog: SubjectCatalog;
  readonly server: http.Server;
  readonly endpoint: GraphqlEndpoint;
  /** POSTs a GraphQL operation with supertest; returns the parsed body. */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
  stop(): Promise<void>;
}

/**
 * The real GraphQL endpoint over a store database, on a free port. `schemaRegistry: true`: the catalog is the schema registry in `db` (seeded from
 * schema/canonical/, followed through the catalog revision), as in the app, so the registry's
 * mutations change the served types. Otherwise an in-memory catalog of the files.
 */
export async function startApiHarness(db: Db, options: { subscriptions?: SubscriptionFieldsFactory; schemaRegistry?: boolean } = {}): Promise<ApiHarness> {
  const logger = testLogger('warn');
  let sync: CatalogSync | null = null;
  let binding: RegistryBinding | undefined;
  let catalog: SubjectCatalog;
  if (options.schemaRegistry) {
    const registry = createSchemaRegistry(db, { logger, api: createApiSchemaCheck(() => (subjects) => buildApiSchema(subjects, options.subscriptions)) });
    await registry.seed(readSchemaFiles(path.join(ROOT, 'schema', 'canonical')));
    catalog = createSubjectCatalog();
    sync = await followSchemaRegistry({ db, registry, catalog, intervalMs: 100, logger });
    binding = { registry, refresh: sync.refresh };
  } else {
    catalog = createSubjectCatalog(loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical')).values());
  }
  const build = () => buildApiSchema(catalog.list(), options.subscriptions);
  const gateway = new SchemaGateway(build());
  catalog.onChange(() => gateway.update(build()));
  const app = express();
  const server = http.createServer(app);
  // As app.ts mounts it: a browser asking for the endpoint gets the explorer.
  app.use(explorerRoutes({ endpointPath: '/graphql', defaultQuery: DEMO_QUERY, title: 'canonql explorer' }));
  const endpoint = await mountGraphqlEndpoint({
    app,
    httpServer: server,
    path: '/graphql',
    gateway,
    services: {
      catalog,
      db,
      store: createEntityStore(db),
      eventLog: createEventLog(db),
      maxPageSize: 100,
      access: createAccessPolicy([TEST_ADMIN_KEY]),
      ...(binding ? { schemaRegistry: binding } : {}),
    },
    logger,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    catalog,
    server,
    endpoint,
    async query(query, variables) {
      const response = await request(server).post('/graphql').set('content-type', 'application/json').send({ query, variables });
      return response.body as never;
    },
    async stop() {
      sync?.stop();
      await endpoint.stop();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
