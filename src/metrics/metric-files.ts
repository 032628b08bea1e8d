import fs from 'node:fs';
import path from 'node:path';
import { AppError, ErrorCode } from '../errors';
import { validateMetricDefinition, type MetricDefinition } from './metric-definition';

/**
 * Reads every `*.json` metric definition of a directory (`specs/metrics/`). All files are checked
 * before any is used; a bad one fails the load with every problem of every file, named by file.
 */
export function loadMetricFiles(dir: string): MetricDefinition[] {
  if (!fs.existsSync(dir)) return [];
  const definitions: MetricDefinition[] = [];
  const problems: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${file}: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const result = validateMetricDefinition(parsed);
    if (!result.ok) problems.push(...result.problems.map((problem) => `${file}: ${problem}`));
    else if (definitions.some((d) => d.name === result.definition.name && d.version === result.definition.version)) {
      problems.push(`${file}: metric "${result.definition.name}" version ${result.definition.version} is defined twice`);
    } else definitions.push(result.definition);
  }
  if (problems.length > 0) {
    throw new AppError(ErrorCode.SPEC_INVALID, `invalid metric definitions in ${dir}:\n  - ${problems.join('\n  - ')}`, { details: problems });
  }
  return definitions;
}

/** The newest version of each metric name: what a process serves when only files define metrics. */
export function newestVersions(definitions: readonly MetricDefinition[]): MetricDefinition[] {
  const newest = new Map<string, MetricDefinition>();
  for (const d of definitions) if ((newest.get(d.name)?.version ?? 0) < d.version) newest.set(d.name, d);
  return [...newest.values()];
}
