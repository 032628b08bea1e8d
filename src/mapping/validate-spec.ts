import type { MappingSpec } from './mapping-spec';
import { checkSpecSchema } from './spec-schema-check';
import { checkSpecSemantics } from './spec-semantics';

export type SpecValidation = { readonly ok: true; readonly spec: MappingSpec } | { readonly ok: false; readonly problems: string[] };

/**
 * Checks a spec against the JSON Schema (every structural error, not the first) and the
 * semantic rules, and lists every problem with its location, e.g.
 * `fieldMappings[2].transform: unknown transform "lowercse" (did you mean "lowercase"?)`.
 * Both passes always run, so one round trip shows the author everything to fix.
 */
export function validateSpec(input: unknown): SpecValidation {
  const problems = [...checkSpecSchema(input), ...checkSpecSemantics(input)];
  return problems.length === 0 ? { ok: true, spec: input as MappingSpec } : { ok: false, problems };
}
