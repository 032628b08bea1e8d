import { loadDefinitionFiles } from '../catalog/definition-files';
import { validateMetricDefinition, type MetricDefinition } from './metric-definition';

/** Every `*.json` metric definition of a directory (`specs/metrics/`), all validated first. */
export function loadMetricFiles(dir: string): MetricDefinition[] {
  return loadDefinitionFiles(
    dir,
    'metric definitions',
    (input) => {
      const result = validateMetricDefinition(input);
      return result.ok ? { ok: true, value: result.definition } : result;
    },
    (d) => `metric "${d.name}" version ${d.version}`,
  );
}

/** The newest version of each metric name: what a process serves when only files define metrics. */
export function newestVersions(definitions: readonly MetricDefinition[]): MetricDefinition[] {
  const newest = new Map<string, MetricDefinition>();
  for (const d of definitions) if ((newest.get(d.name)?.version ?? 0) < d.version) newest.set(d.name, d);
  return [...newest.values()];
}
