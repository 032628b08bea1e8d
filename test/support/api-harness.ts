import type { Db } from 'mongodb';
import type { SubjectCatalog } from '../../src/catalog/subject-catalog';
import { startAppUnderTest, type AppUnderTest } from './app-under-test';
import type { GqlResult } from './graphql-result';
import { uniqueName } from './test-env';

/**
 * The api role of canonql over a store database a test fills (directly, or through an ingestion
 * harness), started by the composition root as a process starts it (src/app.ts startApp, roles
 * `api`): the catalog is the schema registry in that database, seeded from schema/canonical/ and
 * followed through the catalog revision; the change feed follows the canonical topics under
 * `canonicalTopicPrefix` (the ingestion harness's `topicPrefix`, for subscriptions).
 */
export interface ApiHarness extends AppUnderTest {
  /** The GraphQL endpoint over HTTP, and over websockets. */
  readonly url: string;
  readonly wsUrl: string;
  readonly catalog: SubjectCatalog;
  /** POSTs a GraphQL operation without credentials; returns the parsed body. */
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
}

export async function startApiHarness(db: Db, options: { canonicalTopicPrefix?: string; env?: Record<string, string> } = {}): Promise<ApiHarness> {
  const test = await startAppUnderTest('api-harness', {
    CANONQL_ROLES: 'api',
    MONGODB_DATABASE: db.databaseName,
    CANONQL_CANONICAL_TOPIC_PREFIX: options.canonicalTopicPrefix ?? `${uniqueName('canonical')}.`,
    ...options.env,
  });
  const url = test.app.graphqlUrl;
  return {
    ...test,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    catalog: test.app.catalog,
    query: (query, variables) => test.gql(query, variables, { admin: false }),
  };
}
