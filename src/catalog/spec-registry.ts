import type { Db } from 'mongodb';
import { compileSpec } from '../mapping/compile-spec';
import type { MappingSpec } from '../mapping/mapping-spec';
import { subjectName } from '../mapping/subject-name';
import { validateSpec } from '../mapping/validate-spec';
import { createDefinitionRegistry, type DefinitionRegistry } from './definition-registry';
import { modelObject } from './field-model';
import { targetFieldProblems } from './spec-target-fields';
import { typedDefaultProblems } from './typed-defaults';

/**
 * Mapping specs in the definition registry: the same validation as spec files (structure and
 * semantics), plus what only the running catalog knows: the target subject must exist, every
 * canonical path the spec writes must be a field of it (spec-target-fields.ts), and defaults of
 * its Decimal, Int, Float and DateTime fields must be values of that type. Activation (and a
 * rollback) checks a stored version again against the subject as it is then: the subject may
 * have been deleted, or changed under the `NONE` level, since the version was registered.
 */
export type SpecRegistry = DefinitionRegistry<MappingSpec>;

/** `schemaOf`: the target subject's canonical JSON Schema, undefined when it is not registered. */
export function createSpecRegistry(db: Db, schemaOf: (subject: string) => Record<string, unknown> | undefined): SpecRegistry {
  return createDefinitionRegistry<MappingSpec>(db, {
    kind: 'mapping-spec',
    validate: (input) => {
      const problems = mappingSpecProblems(input, schemaOf);
      return problems.length > 0 ? { ok: false, problems } : { ok: true, value: input as MappingSpec };
    },
    activationProblems: (spec) => mappingSpecProblems(spec, schemaOf),
    idOf: (spec) => spec.mappingId,
    versionOf: (spec) => spec.version ?? 1,
  });
}

/**
 * Every problem of a spec at once: structure and semantics, whether its subject exists (`schemaOf`
 * gives its schema), whether every path it writes is a field of that subject, whether its typed
 * defaults are values of their fields' types, whether it compiles.
 */
export function mappingSpecProblems(input: unknown, schemaOf: (subject: string) => Record<string, unknown> | undefined): string[] {
  const result = validateSpec(input);
  const problems = result.ok ? [] : [...result.problems];
  const subject = (input as { target?: { subject?: unknown } } | null)?.target?.subject;
  const schema = typeof subject === 'string' ? schemaOf(subjectName(subject)) : undefined;
  if (typeof subject === 'string' && !schema) {
    problems.push(`target.subject: canonical subject "${subject}" is not registered`);
  }
  if (result.ok && schema) {
    const fields = modelObject(schema);
    problems.push(...targetFieldProblems(result.spec, subjectName(result.spec.target.subject), fields));
    problems.push(...typedDefaultProblems(result.spec.defaults, fields));
  }
  if (result.ok && problems.length === 0) {
    try {
      compileSpec(result.spec);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  return problems;
}
