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
  readonly others: readonly SubjectVersion[];
}

/** One version of a subject, as the API layer builds types from it. */
export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly schema: Record<string, unknown>;
}

/**
 * What the registry asks of the GraphQL API it feeds. The API layer implements it
 * (src/graphql/api-schema-check.ts) and app.ts hands it in: the catalog sits below the API and
 * does not import it.
 */
export interface ApiSchemaCheck {
  /** Why the subject's GraphQL types cannot be generated from `schema` alone; empty when they can. */
  buildProblems(subject: string, schema: Record<string, unknown>): string[];
  /** What registering `candidate` next to the served `others` (replacing `current`) would break in the served API; empty when nothing. */
  collisions(others: readonly SubjectVersion[], candidate: SubjectVersion, current?: SubjectVersion): string[];
  /** GraphQL breaking changes of the served API when `subject` moves from `before` to `after`. */
  breakingChanges(subject: string, before: Record<string, unknown>, after: Record<string, unknown>, others: readonly SubjectVersion[]): Violation[];
}

export function checkEvolution(input: EvolutionInput, api: Pick<ApiSchemaCheck, 'breakingChanges'>): CompatibilityResult {
  const data = checkCompatibility(input.history, input.candidate, input.level);
  if (input.level === 'NONE' || input.history.length === 0) return data;
  const breaking = api.breakingChanges(input.subject, input.history[input.history.length - 1] as Record<string, unknown>, input.candidate, input.others);
  const violations = [...data.violations, ...breaking];
  return { compatible: violations.length === 0, violations };
}
