import type { MappingSpec } from '../mapping/mapping-spec';
import { validateSpec } from '../mapping/validate-spec';
import { loadDefinitionFiles } from './definition-files';

/** Every `*.json` mapping spec of a directory, all validated first (see loadDefinitionFiles). */
export function loadSpecFiles(dir: string): MappingSpec[] {
  return loadDefinitionFiles(
    dir,
    'mapping specs',
    (input) => {
      const result = validateSpec(input);
      return result.ok ? { ok: true, value: result.spec } : result;
    },
    (spec) => `mapping spec "${spec.mappingId}" version ${spec.version ?? 1}`,
  );
}
