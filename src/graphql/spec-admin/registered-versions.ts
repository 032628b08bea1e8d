import { unknownName } from '../../errors';
import type { DefinitionRegistry, DefinitionVersion } from '../../catalog/definition-registry';
import { canReadSubject, requireSubjectRead, type Principal } from '../access';

/**
 * Reads of definitions (mapping specs, metrics) as a credential may see them: a definition is the
 * subject's it writes or aggregates, so a reader limited to some subjects sees only theirs.
 */
export interface DefinitionReads<T> {
  readonly registry: DefinitionRegistry<T>;
  /** `mapping spec`, `metric`: what the errors call one. */
  readonly what: string;
  readonly subjectOf: (version: DefinitionVersion<T>) => string;
}

/** Every version the principal may read (of every definition, oldest first per definition). */
export async function readableVersions<T>(reads: DefinitionReads<T>, principal: Principal): Promise<DefinitionVersion<T>[]> {
  return (await reads.registry.list()).filter((version) => canReadSubject(principal, reads.subjectOf(version)));
}

/**
 * A definition's versions, oldest first. NOT_FOUND naming the known ones the principal may read
 * when none is registered under `id`, so a typo is an error, never an empty list; FORBIDDEN when
 * a version is of a subject the principal may not read.
 */
export async function registeredVersions<T>(reads: DefinitionReads<T>, principal: Principal, argument: string, id: string): Promise<DefinitionVersion<T>[]> {
  const versions = await reads.registry.list(id);
  if (versions.length === 0) {
    throw unknownName(reads.what, argument, id, [...new Set((await readableVersions(reads, principal)).map((v) => v.id))]);
  }
  for (const version of versions) requireSubjectRead(principal, reads.subjectOf(version));
  return versions;
}
