import type { PathSegment } from './json-path';

/**
 * Reads the value at a compiled path; `undefined` means "no match" (absent). A path with `[*]`
 * yields an array per wildcard level (nested for `[*]...[*]`), one entry per element, so
 * element-wise mappings keep indices aligned; an element without the value yields `undefined`.
 */
export type Getter = (root: unknown) => unknown;

/**
 * Compiles a path into a closure once, so mapping an event never parses a path. JSONPath
 * semantics: a member step on a non-object, an index on a non-array or `[*]` on a non-array
 * matches nothing. Only own members are read: `$.constructor` must not find `Object`.
 */
export function compileGetter(segments: readonly PathSegment[]): Getter {
  const wildcardAt = segments.findIndex((s) => s.kind === 'wildcard');
  if (wildcardAt < 0) return compileStraight(segments);
  const toArray = compileStraight(segments.slice(0, wildcardAt));
  const perElement = compileGetter(segments.slice(wildcardAt + 1));
  return (root) => {
    const list = toArray(root);
    if (!Array.isArray(list)) return undefined;
    const out = new Array<unknown>(list.length);
    for (let i = 0; i < list.length; i += 1) out[i] = perElement(list[i]);
    return out;
  };
}

type Step = (value: unknown) => unknown;

function compileStraight(segments: readonly PathSegment[]): Getter {
  const steps = segments.map(compileStep);
  // Unrolled for the usual depths: a per-event loop over steps costs more than it reads.
  switch (steps.length) {
    case 0:
      return (root) => root;
    case 1:
      return steps[0]!;
    case 2: {
      const [a, b] = steps as [Step, Step];
      return (root) => {
        const v = a(root);
        return v === undefined ? undefined : b(v);
      };
    }
    default:
      return (root) => {
        let v = root;
        for (const step of steps) {
          if (v === undefined) return undefined;
          v = step(v);
        }
        return v;
      };
  }
}

function compileStep(segment: PathSegment): Step {
  switch (segment.kind) {
    case 'name': {
      const name = segment.name;
      return (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, name) ? (v as Record<string, unknown>)[name] : undefined);
    }
    case 'index': {
      const index = segment.index;
      return (v) => (Array.isArray(v) && index < v.length ? v[index] : undefined);
    }
    case 'wildcard':
      throw new Error('compileStep: wildcards are handled by compileGetter');
  }
}
