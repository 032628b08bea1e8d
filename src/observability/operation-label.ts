/**
 * The `operation` label of the GraphQL latency histogram. Operation names are chosen by clients,
 * so an unbounded label would let any client grow the metric series (and the scrape) without
 * limit: names must look like GraphQL names, and after `max` distinct names every new one is
 * counted as `other`. Unnamed operations are `anonymous`.
 */
export const ANONYMOUS_OPERATION = 'anonymous';
export const OTHER_OPERATION = 'other';
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

export function createOperationLabels(max = 200): (name: string | null | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    if (name === null || name === undefined || name === '') return ANONYMOUS_OPERATION;
    if (!NAME.test(name)) return OTHER_OPERATION;
    if (seen.has(name)) return name;
    if (seen.size >= max) return OTHER_OPERATION;
    seen.add(name);
    return name;
  };
}
