import { findBreakingChanges, type GraphQLSchema } from 'graphql';
import type { Violation } from '../catalog/compatibility';
import type { ApiSchemaCheck } from '../catalog/schema-evolution';
import { modelObject } from '../catalog/field-model';
import { buildApiSchema, type SubjectEntry } from './build-api-schema';
import { candidateProblems, type BuildSchema } from './served-schema';
import { fieldNameProblems } from './subject/field-name-problems';

/**
 * The GraphQL side of registering a canonical schema: what the schema registry (src/catalog) asks
 * of the API it feeds. app.ts builds it with the process's own schema builder (subscription
 * fields included, once the API role has one) and hands it to the registry, so the catalog never
 * imports the GraphQL layer.
 */
export function createApiSchemaCheck(builder: () => BuildSchema | undefined = () => undefined): ApiSchemaCheck {
  return {
    buildProblems(subject, schema) {
      const names = fieldNameProblems(modelObject(schema));
      if (names.length > 0) return names;
      try {
        buildApiSchema([{ subject, version: 1, schema }]);
        return [];
      } catch (error) {
        return [`schema: its GraphQL types cannot be generated: ${(error as Error).message}`];
      }
    },
    collisions: (others, candidate, current) => candidateProblems(others, candidate, builder() ?? buildApiSchema, current),
    breakingChanges: graphqlBreakingChanges,
  };
}

/** GraphQL breaking changes of the served API when `subject` moves from `before` to `after`. */
export function graphqlBreakingChanges(
  subject: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  others: readonly SubjectEntry[] = [],
): Violation[] {
  const rest = others.filter((entry) => entry.subject !== subject);
  let oldApi: GraphQLSchema;
  let newApi: GraphQLSchema;
  try {
    oldApi = buildApiSchema([...rest, { subject, version: 1, schema: before }]);
    newApi = buildApiSchema([...rest, { subject, version: 2, schema: after }]);
  } catch (error) {
    return [
      {
        path: '',
        rule: 'GRAPHQL_INVALID',
        message: `the GraphQL types cannot be generated from this schema: ${(error as Error).message}`,
        direction: 'backward',
      },
    ];
  }
  return findBreakingChanges(oldApi, newApi).map((change) => ({
    path: `graphql:${change.description.split(' ')[0]!.replace(/\.$/, '')}`,
    rule: 'GRAPHQL_BREAKING',
    message: `${change.type}: ${change.description}`,
    // "backward" as GraphQL uses the word: queries written for the previous version stop working.
    direction: 'backward' as const,
  }));
}
