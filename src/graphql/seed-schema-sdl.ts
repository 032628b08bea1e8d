import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { loadCanonicalSchemas } from '../catalog/canonical-schemas';
import { buildApiSchema, type SubscriptionFieldsFactory } from './build-api-schema';

/**
 * The SDL of the API served for the canonical schemas in `schema/canonical/` (sorted, so diffs
 * are stable). `npm run schema:emit` writes it to `schema/graphql/canonql.graphql`; a test fails
 * when a change would break a client of that committed contract.
 */
export const SDL_FILE = path.join('schema', 'graphql', 'canonql.graphql');

export function seedSchemaSdl(root: string, subscriptions?: SubscriptionFieldsFactory): string {
  const subjects = [...loadCanonicalSchemas(path.join(root, 'schema', 'canonical')).values()].map((s) => ({
    subject: s.subject,
    version: s.version,
    schema: s.schema,
  }));
  return `${printSchema(lexicographicSortSchema(buildApiSchema(subjects, subscriptions)))}\n`;
}
