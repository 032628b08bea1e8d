import { deepEqual } from '../values/deep-equal';
import type { MetricDefinition } from './metric-definition';

/** Two definitions aggregate the same way (the description does not count). */
export function deepEqualDefinitions(a: MetricDefinition, b: MetricDefinition): boolean {
  const { description: _a, ...restA } = a;
  const { description: _b, ...restB } = b;
  return deepEqual(JSON.parse(JSON.stringify(restA)), JSON.parse(JSON.stringify(restB)));
}
