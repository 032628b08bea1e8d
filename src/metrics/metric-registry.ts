import type { Db } from 'mongodb';
import { metricIdOf, metricVersionOf, validateMetricDefinition, type MetricDefinition } from './metric-definition';
import { createDefinitionRegistry, type DefinitionRegistry } from '../catalog/definition-registry';

/**
 * Metric definitions share the mapping specs' lifecycle (register, activate, deactivate, roll
 * back; files in specs/metrics/ are the seed). The subject must exist in the running catalog.
 */
export type MetricRegistry = DefinitionRegistry<MetricDefinition>;

export function createMetricRegistry(db: Db, subjectExists: (subject: string) => boolean): MetricRegistry {
  return createDefinitionRegistry<MetricDefinition>(db, {
    kind: 'metric',
    validate: (input) => {
      const result = validateMetricDefinition(input);
      const problems = result.ok ? [] : [...result.problems];
      const subject = (input as { subject?: unknown } | null)?.subject;
      if (typeof subject === 'string' && !subjectExists(subject)) problems.push(`subject: canonical subject "${subject}" is not registered`);
      return result.ok && problems.length === 0 ? { ok: true, value: result.definition } : { ok: false, problems };
    },
    idOf: metricIdOf,
    versionOf: metricVersionOf,
  });
}
