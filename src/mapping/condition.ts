import { formatJsonPath, parseJsonPath, type PathSegment } from './json-path';
import type { Condition } from './mapping-spec';
import { compileGetter } from './path-getter';
import { deepEqual } from '../values/deep-equal';

/** A `when` condition compiled once: the path it reads and the test. */
export interface CompiledCondition {
  readonly path: string;
  readonly segments: readonly PathSegment[];
  readonly test: (record: unknown) => boolean;
}

/**
 * Compiles a checked condition. Comparisons are strict (1 is not "1": a source's types are stable,
 * and a silent coercion would hide a changed column type); objects and arrays compare by content.
 */
export function compileCondition(condition: Condition): CompiledCondition {
  const parsed = parseJsonPath(condition.src);
  if (!parsed.ok) throw new Error(`unchecked condition path: ${parsed.problem}`);
  const read = compileGetter(parsed.segments);
  const base = { path: formatJsonPath(parsed.segments), segments: parsed.segments };
  if (condition.exists !== undefined) {
    const wanted = condition.exists;
    return { ...base, test: (r) => isPresent(read(r)) === wanted };
  }
  if (condition.in !== undefined || condition.notIn !== undefined) {
    const negate = condition.in === undefined;
    const list = (condition.in ?? condition.notIn)!;
    const scalars = new Set(list.filter((v) => v === null || typeof v !== 'object'));
    const objects = list.filter((v) => v !== null && typeof v === 'object');
    return { ...base, test: (r) => member(read(r), scalars, objects) !== negate };
  }
  if (Object.hasOwn(condition, 'notEquals')) {
    const expected = condition.notEquals;
    return { ...base, test: (r) => !deepEqual(read(r), expected) };
  }
  if (Object.hasOwn(condition, 'equals')) {
    const expected = condition.equals;
    return { ...base, test: (r) => deepEqual(read(r), expected) };
  }
  throw new Error('unchecked condition: no operator');
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function member(value: unknown, scalars: ReadonlySet<unknown>, objects: readonly unknown[]): boolean {
  if (value === undefined) return false;
  if (value === null || typeof value !== 'object') return scalars.has(value);
  return objects.some((o) => deepEqual(value, o));
}
