import type { Db } from 'mongodb';
import { compileSpec } from '../mapping/compile-spec';
import type { MappingSpec } from '../mapping/mapping-spec';
import { validateSpec } from '../mapping/validate-spec';
import { createDefinitionRegistry, type DefinitionRegistry } from './definition-registry';

/**
 * Mapping specs in the definition registry: the same validation as spec files (structure and
 * semantics), plus what only the running catalog knows: the target subject must exist.
 */
export type SpecRegistry = DefinitionRegistry<MappingSpec>;

export function createSpecRegistry(db: Db, subjectExists: (subject: string) => boolean): SpecRegistry {
  return createDefinitionRegistry<MappingSpec>(db, {
    kind: 'mapping-spec',
    validate: (input) => {
      const result = validateSpec(input);
      if (!result.ok) return { ok: false, problems: result.problems };
      const problems: string[] = [];
      if (!subjectExists(result.spec.target.subject)) {
        problems.push(`target.subject: canonical subject "${result.spec.target.subject}" is not registered`);
      }
      try {
        compileSpec(result.spec);
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
      return problems.length > 0 ? { ok: false, problems } : { ok: true, value: result.spec };
    },
    idOf: (spec) => spec.mappingId,
    versionOf: (spec) => spec.version ?? 1,
  });
}
