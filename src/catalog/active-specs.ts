import { compileForPipeline, type RoutedSpec } from '../ingestion/pipeline-spec';
import type { SpecRegistry } from './spec-registry';

/**
 * The compiled active spec versions of this process, reloaded from the registry when the catalog
 * revision moves. `reload` tells whether the set changed, so ingestion re-plans only then.
 */
export interface ActiveSpecs {
  list(): readonly RoutedSpec[];
  reload(): Promise<boolean>;
}

export function createActiveSpecs(registry: SpecRegistry): ActiveSpecs {
  let signature = '';
  let compiled: readonly RoutedSpec[] = [];
  return {
    list: () => compiled,
    async reload() {
      const active = await registry.active();
      const next = active.map((v) => `${v.id}@${v.version}`).join(',');
      if (next === signature) return false;
      compiled = active.map((v) => compileForPipeline(v.body));
      signature = next;
      return true;
    },
  };
}
