import { findBreakingChanges, type GraphQLSchema } from 'graphql';
import { buildApiSchema, type SubjectEntry } from '../graphql/build-api-schema';
import { checkCompatibility, type CompatibilityLevel, type CompatibilityResult, type JsonSchema, type Violation } from './compatibility';

/**
 * The check a new version of a served subject must pass: the JSON Schema rules of its level
 * (compatibility.ts: what data stays readable) plus the GraphQL API generated from it (what
 * queries stay valid). Both have to agree for a version to be accepted, so every GraphQL breaking
 * change of the served API becomes a violation (`GRAPHQL_BREAKING`) under every level but NONE:
 * a version the registry accepts never breaks a client's query, which the JSON rules alone do not
 * promise (integer→number widening is backward compatible data, yet turns `Int` into `Float`).
 * NONE turns both checks off: it is the explicit "I accept breaking clients" choice.
 */
export interface EvolutionInput {
  readonly subject: string;
  /** Versions of this subject, oldest first. */
  readonly history: readonly JsonSchema[];
  readonly candidate: Record<string, unknown>;
  readonly level: CompatibilityLevel;
  /** The other subjects served now (their latest versions): relations may point to them. */
  readonly others: readonly SubjectEntry[];
}

export function checkEvolution(input: EvolutionInput): CompatibilityResult {
  const data = checkCompatibility(input.history, input.candidate, input.level);
  if (input.level === 'NONE' || input.history.length === 0) return data;
  const api = graphqlBreakingChanges(input.subject, input.history[input.history.length - 1] as Record<string, unknown>, input.candidate, input.others);
  const violations = [...data.violations, ...api];
  return { compatible: violations.length === 0, violations };
}

/** GraphQL breaking changes of the served API when `subject` moves from `before` to `after`. */
export function graphqlBreakingChanges(subject: string, before: Record<string, unknown>, after: Record<string, unknown>, others: readonly SubjectEntry[] = []): Violation[] {
  const rest = others.filter((entry) => entry.subject !== subject);
  let oldApi: GraphQLSchema;
  let newApi: GraphQLSchema;
  try {
    oldApi = buildApiSchema([...rest, { subject, version: 1, schema: before }]);
    newApi = buildApiSchema([...rest, { subject, version: 2, schema: after }]);
  } catch (error) {
    return [{ path: '', rule: 'GRAPHQL_INVALID', message: `the GraphQL types cannot be generated from this schema: ${(error as Error).message}`, direction: 'backward' }];
  }
  return findBreakingChanges(oldApi, newApi).map((change) => ({
    path: `graphql:${change.description.split(' ')[0]!.replace(/\.$/, '')}`,
    rule: 'GRAPHQL_BREAKING',
    message: `${change.type}: ${change.description}`,
    // "backward" as GraphQL uses the word: queries written for the previous version stop working.
    direction: 'backward' as const,
  }));
}
