import type { Db } from 'mongodb';
import { compileSpec } from '../mapping/compile-spec';
import type { MappingSpec } from '../mapping/mapping-spec';
import { subjectName } from '../mapping/subject-name';
import { validateSpec } from '../mapping/validate-spec';
import { createDefinitionRegistry, type DefinitionRegistry, type DefinitionVersion } from './definition-registry';
import { type FieldModel, modelObject } from './field-model';
import { targetFieldIssues, targetFieldProblems } from './spec-target-fields';
import { defaultValueIssues } from './typed-defaults';

/**
 * Mapping specs in the definition registry: the same validation as spec files (structure and
 * semantics), plus what only the running catalog knows: the target subject must exist, every
 * canonical path the spec writes must be a field of it (spec-target-fields.ts), and each default
 * must be a value its field accepts (typed-defaults.ts defaultValueIssues). Activation (and a
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
 * gives its schema), whether every path it writes is a field of that subject, whether its
 * defaults are values its fields accept (typed-defaults.ts defaultValueIssues), whether it compiles.
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
    const target = subjectName(result.spec.target.subject);
    problems.push(...targetFieldProblems(result.spec, target, fields));
    problems.push(...defaultValueIssues(result.spec.defaults, target, schema).map((issue) => `${issue.at}: ${issue.problem}`));
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

/**
 * A version of a mapping spec that is active, or that a seed is about to make active: `seeded`,
 * a version the store does not hold yet (never checked against any version of its subject).
 */
export type ActiveSpec = Pick<DefinitionVersion<MappingSpec>, 'id' | 'version' | 'body'> & { readonly seeded?: boolean };

/**
 * What registering `candidate` as the next version of `subject` would break in the mapping specs
 * `active` for it: every `dst` and `defaults` key that is a field of the subject's `current`
 * version and would not be one of the candidate (removed, or an object turned into a String...),
 * checked as at the spec's registration (spec-target-fields.ts), and every `defaults` value the
 * candidate's field would not accept (its type changed, an `enum`, `pattern` or bound added:
 * typed-defaults.ts defaultValueIssues, every record relying on the default would fail), one line
 * each, naming the spec: `mapping-spec "<id>" version <n>: fieldMappings[1].dst: "$.notes":
 * subject "parcel" has no field "notes" (its fields: ...)`. A path or default that fails against
 * `current` too (a spec stored before specs were checked) is not the candidate's doing and is not
 * listed, unless the spec is `seeded`: the seed would refuse it against the candidate once the
 * schema is stored, so it is refused before. Empty: nothing breaks.
 */
export function activeSpecProblems(
  active: readonly ActiveSpec[],
  subject: string,
  candidate: Record<string, unknown>,
  current: Record<string, unknown> | undefined,
): string[] {
  const problems: string[] = [];
  const candidateFields = modelObject(candidate);
  const currentFields = current ? modelObject(current) : undefined;
  for (const spec of active) {
    if (subjectName(spec.body.target.subject) !== subject) continue;
    const issuesOf = (schema: Record<string, unknown>, fields: readonly FieldModel[]) => [
      ...targetFieldIssues(spec.body, subject, fields),
      ...defaultValueIssues(spec.body.defaults, subject, schema),
    ];
    const already = new Set(current && currentFields && !spec.seeded ? issuesOf(current, currentFields).map((issue) => issue.at) : []);
    for (const issue of issuesOf(candidate, candidateFields)) {
      if (!already.has(issue.at)) problems.push(`mapping-spec "${spec.id}" version ${spec.version}: ${issue.at}: ${issue.problem}`);
    }
  }
  return problems;
}

/**
 * The mapping specs active once a seed of `files` has run: the registry's active versions, each
 * replaced by the file version the seed activates (registry.seedActivations). A start seeds the
 * schema files first and checks them against these, so a deploy may ship a schema version that
 * drops a field together with a spec version that stops writing it.
 */
export async function activeAfterSeed(registry: SpecRegistry, files: readonly MappingSpec[]): Promise<ActiveSpec[]> {
  const seeded = new Map((await registry.seedActivations(files)).map((spec) => [spec.mappingId, spec]));
  const active: ActiveSpec[] = (await registry.active()).filter((v) => !seeded.has(v.id));
  for (const [id, body] of seeded) active.push({ id, version: body.version ?? 1, body, seeded: true });
  return active;
}
