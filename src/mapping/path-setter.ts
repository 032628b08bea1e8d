import type { PathSegment } from './json-path';

/**
 * Writes a value at a compiled path of a canonical document, creating the objects and arrays on
 * the way. For a path with `[*]` the value is the nested array a matching getter produced:
 * element i goes to element i of the target array, and several mappings into the same array
 * (`$.line_items[*].sku`, `$.line_items[*].qty`) fill the same element objects. `undefined`
 * writes nothing (the field stays absent); for an array element it still creates the element, so
 * indices stay aligned with the source array.
 */
export type Setter = (target: Record<string, unknown>, value: unknown) => void;

/** Node at a position → node after writing (may be a new container). */
type Writer = (node: unknown, value: unknown) => unknown;

/** Compiles a path whose first segment is a member name (the document root is an object). */
export function compileSetter(segments: readonly PathSegment[]): Setter {
  if (segments.length === 0 || segments[0]!.kind !== 'name') {
    throw new Error('compileSetter: a destination path starts with a member name');
  }
  if (segments.length === 1) {
    // The common case, a top-level field: one plain assignment per event.
    const name = (segments[0] as { name: string }).name;
    return (target, value) => {
      if (value !== undefined) target[name] = value;
    };
  }
  const write = compileWriter(segments);
  return (target, value) => {
    if (value !== undefined) write(target, value);
  };
}

function compileWriter(segments: readonly PathSegment[]): Writer {
  if (segments.length === 0) return (_node, value) => value;
  const [head, ...rest] = segments as [PathSegment, ...PathSegment[]];
  const inner = compileWriter(rest);
  switch (head.kind) {
    case 'name': {
      const name = head.name;
      return (node, value) => {
        if (value === undefined) return node;
        const obj = isObject(node) ? node : {};
        obj[name] = inner(Object.hasOwn(obj, name) ? obj[name] : undefined, value);
        return obj;
      };
    }
    case 'index': {
      const index = head.index;
      return (node, value) => {
        if (value === undefined) return node;
        const list = Array.isArray(node) ? node : [];
        list[index] = inner(list[index], value);
        return list;
      };
    }
    case 'wildcard': {
      // An element with no value still exists: an empty object (or array, or null for a
      // leaf), so line_items[i] always corresponds to items[i].
      const empty = (): unknown => (rest.length === 0 ? null : rest[0]!.kind === 'name' ? {} : []);
      return (node, value) => {
        if (!Array.isArray(value)) return node;
        const list: unknown[] = Array.isArray(node) ? node : [];
        for (let i = 0; i < value.length; i += 1) {
          const next = inner(list[i], value[i]);
          list[i] = next === undefined ? empty() : next;
        }
        return list;
      };
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
