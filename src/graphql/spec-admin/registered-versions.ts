import { unknownName } from '../../errors';
import type { DefinitionRegistry, DefinitionVersion } from '../../catalog/definition-registry';

/**
 * A definition's versions (a mapping spec's, a metric's), oldest first; NOT_FOUND naming the known
 * ones when none is registered under `id`, so a typo is an error, never an empty list.
 */
export async function registeredVersions<T>(registry: DefinitionRegistry<T>, what: string, argument: string, id: string): Promise<DefinitionVersion<T>[]> {
  const versions = await registry.list(id);
  if (versions.length > 0) return versions;
  throw unknownName(what, argument, id, [...new Set((await registry.list()).map((v) => v.id))]);
}
