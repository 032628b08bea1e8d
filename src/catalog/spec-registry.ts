import type { Db } from 'mongodb';
import { compileSpec } from '../mapping/compile-spec';
import type { MappingSpec } from '../mapping/mapping-spec';
import { subjectName } from '../mapping/subject-name';
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
      // Every problem at once: structure and semantics, and whether the subject exists.
      const result = validateSpec(input);
      const problems = result.ok ? [] : [...result.problems];
      const subject = (input as { target?: { subject?: unknown } } | null)?.target?.subject;
      if (typeof subject === 'string' && !subjectExists(subjectName(subject))) {
        problems.push(`target.subject: canonical subject "${subject}" is not registered`);
      }
      if (result.ok && problems.length === 0) {
        try {
          compileSpec(result.spec);
        } catch (error) {
          problems.push(error instanceof Error ? error.message : String(error));
        }
      }
      return problems.length > 0 || !result.ok ? { ok: false, problems } : { ok: true, value: result.spec };
    },
    idOf: (spec) => spec.mappingId,
    versionOf: (spec) => spec.version ?? 1,
  });
}
