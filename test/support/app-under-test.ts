import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { uniqueName } from './test-env';
import { testLogger } from './test-logger';
import { TEST_ADMIN_KEY, type GqlResult } from './graphql-result';

/**
 * A whole canonql (ingest + api) started in the test process on the real stack, isolated from
 * every other test: its own database, consumer groups, canonical topic prefix and (empty) specs
 * folder, an admin key, and fast catalog polling. `gql` posts GraphQL as admin unless told not to.
 */

export interface AppUnderTest {
  readonly app: App;
  readonly database: string;
  gql<T>(query: string, variables?: Record<string, unknown>, options?: { admin?: boolean }): Promise<GqlResult<T>>;
  /** `gql` that fails the test on any error. */
  ok<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** `env` adds to or replaces these settings (`CANONQL_ROLES: 'api'`, `MONGODB_DATABASE` of a database the test fills). */
export async function startAppUnderTest(name: string, env: Record<string, string> = {}): Promise<AppUnderTest> {
  const database = env.MONGODB_DATABASE ?? uniqueName(name.replace(/-/g, '_'));
  const app = await startApp(
    loadConfig({
      ...process.env,
      CANONQL_MODE: 'test',
      CANONQL_ROLES: 'ingest,api',
      CANONQL_HTTP_PORT: '0',
      MONGODB_DATABASE: database,
      CANONQL_INGEST_GROUP_ID: uniqueName(`${name}-ingest`),
      CANONQL_METRICS_GROUP_ID: uniqueName(`${name}-metrics`),
      CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
      CANONQL_SPECS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-')),
      CANONQL_ADMIN_KEYS: TEST_ADMIN_KEY,
      CANONQL_CATALOG_POLL_MS: '200',
      CANONQL_DISCOVERY_FLUSH_MS: '200',
      CANONQL_DEMO_FEED: 'false',
      ...env,
    }),
    testLogger(),
  );
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}, options: { admin?: boolean } = {}) => {
    const response = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.admin === false ? {} : { authorization: `Bearer ${TEST_ADMIN_KEY}` }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResult<T>;
  };
  return {
    app,
    database,
    gql,
    async ok<T>(query: string, variables: Record<string, unknown> = {}) {
      const result = await gql<T>(query, variables);
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data!;
    },
    stop: () => app.stop(),
  };
}
