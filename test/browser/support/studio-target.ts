import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Message } from 'kafkajs';
import { startApp, type App } from '../../../src/app';
import { type Config, loadConfig } from '../../../src/config';
import type { MappingSpec } from '../../../src/mapping/mapping-spec';
import { produce } from '../../support/debezium-messages';
import { testKafka, uniqueName } from '../../support/test-env';
import { testLogger } from '../../support/test-logger';
import { TEST_ADMIN_KEY, type GqlResult } from '../../support/graphql-result';

/**
 * A full canonql (ingest + api roles, in process) on the real stack for the studio's browser test:
 * its own database, consumer group and canonical topic prefix, no seeded specs, one admin key,
 * fast catalog polls and discovery flushes. `gql` is the test's own GraphQL client, for checks
 * made next to the page.
 */

export interface StudioTarget {
  readonly app: App;
  /** The configuration it runs with (its canonical topic prefix, dead-letter topic...). */
  readonly config: Config;
  readonly baseUrl: string;
  gql<T>(query: string, variables?: Record<string, unknown>, admin?: boolean): Promise<GqlResult<T>>;
  ok<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  produce(topic: string, messages: readonly Message[]): Promise<void>;
  stop(): Promise<void>;
}

/** `specs`: mapping specs the app starts with (written into its own specs directory); none by default. */
export async function startStudioTarget(options: { readonly specs?: readonly MappingSpec[] } = {}): Promise<StudioTarget> {
  const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-studio-specs-'));
  for (const spec of options.specs ?? []) fs.writeFileSync(path.join(specsDir, `${spec.mappingId}.json`), JSON.stringify(spec));
  const config = loadConfig({
    ...process.env,
    CANONQL_MODE: 'test',
    CANONQL_ROLES: 'ingest,api',
    CANONQL_HTTP_PORT: '0',
    MONGODB_DATABASE: uniqueName('studio'),
    CANONQL_INGEST_GROUP_ID: uniqueName('studio-ingest'),
    CANONQL_METRICS_GROUP_ID: uniqueName('studio-metrics'),
    CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
    CANONQL_SPECS_DIR: specsDir,
    CANONQL_ADMIN_KEYS: TEST_ADMIN_KEY,
    CANONQL_CATALOG_POLL_MS: '200',
    CANONQL_DISCOVERY_FLUSH_MS: '200',
  });
  const app = await startApp(config, testLogger());
  const kafka = testKafka();

  async function gql<T>(query: string, variables: Record<string, unknown> = {}, admin = true): Promise<GqlResult<T>> {
    const response = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(admin ? { authorization: `Bearer ${TEST_ADMIN_KEY}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResult<T>;
  }

  return {
    app,
    config,
    baseUrl: app.url,
    gql,
    async ok<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const result = await gql<T>(query, variables);
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data!;
    },
    produce: (topic, messages) => produce(kafka, topic, messages),
    stop: () => app.stop(),
  };
}
