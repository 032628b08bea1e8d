import { clone, isObject, type JsonObject } from './json-value';

/**
 * A row's transform as the page edits it, a list of steps, and back to the forms a spec writes
 * (a name, {name, args}, or a list).
 */
/** One transform of a row, as the page edits it. */
export interface StepState {
  name: string;
  args: JsonObject;
}

/** A spec's transform (name, {name, args} or a list) as steps [{name, args}]. */
export function parseSteps(transform: unknown): StepState[] {
  if (transform === undefined || transform === null) return [];
  const list: unknown[] = Array.isArray(transform) ? transform : [transform];
  return list.map((step) => {
    if (typeof step === 'string') return { name: step, args: {} };
    return {
      name: isObject(step) && typeof step.name === 'string' ? step.name : '',
      args: isObject(step) && isObject(step.args) ? clone(step.args) : {},
    };
  });
}

/** Steps back to the spec form: a name, {name, args}, or a list when there are several. */
export function stepsToTransform(steps: readonly StepState[]): unknown {
  const list = steps.filter((s) => s.name).map((s) => (Object.keys(s.args).length ? { name: s.name, args: clone(s.args) } : s.name));
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0] : list;
}
