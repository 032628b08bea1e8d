/** One transform step of a field mapping, in its long form, with where it sits in the spec. */
export interface TransformStepRef {
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** Location suffix after `transform`: "" for a single step, "[1]" in a chain. */
  readonly where: string;
}

const NO_ARGS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Normalizes `"lowercase"`, `{name, args}` and lists of them to a list of steps. Malformed
 * entries (reported by the JSON Schema check) are skipped so semantic checks can still run on the
 * rest. No transform means identity: an empty list.
 */
export function transformSteps(ref: unknown): TransformStepRef[] {
  if (ref === undefined) return [];
  if (Array.isArray(ref)) return ref.flatMap((step, i) => normalize(step, `[${i}]`));
  return normalize(ref, '');
}

function normalize(step: unknown, where: string): TransformStepRef[] {
  if (typeof step === 'string') return [{ name: step, args: NO_ARGS, where }];
  if (step !== null && typeof step === 'object' && typeof (step as { name?: unknown }).name === 'string') {
    const { name, args } = step as { name: string; args?: unknown };
    const validArgs = args !== null && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : NO_ARGS;
    return [{ name, args: validArgs, where }];
  }
  return [];
}
