import { types } from 'node:util';

/**
 * A deep copy of a canonical value, the same as `structuredClone(value)` gives, made by hand when
 * the value is a tree of plain objects, arrays and primitives (what canonical data is: parsed from
 * JSON, mapped, read back from the store), and by `structuredClone` itself for anything else.
 *
 * `structuredClone` serializes its argument and deserializes the copy, a fixed cost of a few µs per
 * call that dominated merging one change into an entity (a copy of its data plus one per written
 * value). The hand copy keeps everything `structuredClone` keeps of such a tree:
 * - own enumerable string-keyed members, in their order, `undefined` members included, a member
 *   named `__proto__` as a member (not a prototype);
 * - arrays with their length and their holes (a sparse array stays sparse), and any named member
 *   an array carries;
 * - the reference graph: a value reachable twice is copied once and reached twice in the copy,
 *   cycles included;
 * - a null-prototype object becomes an ordinary object, as `structuredClone` makes it.
 * On the first value that is not such a tree (a Date, a Buffer, a class instance, a Map, a
 * function, a symbol, a proxy, an array of another realm), the copy so far is dropped and the
 * whole value goes to `structuredClone`, so the result, or the DataCloneError, is its own. A
 * getter member (never in data read from JSON or BSON) is then read a second time.
 */
export function cloneData<T>(value: T): T {
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value;
  const copy = copyTree(value, new Map());
  return copy === NOT_A_TREE ? structuredClone(value) : (copy as T);
}

const NOT_A_TREE = Symbol('not a tree of plain values');
const { isProxy } = types;
const { getPrototypeOf, keys: keysOf, defineProperty } = Object;
const ARRAY = Array.prototype;
const OBJECT = Object.prototype;

function copyTree(value: unknown, copies: Map<object, unknown>): unknown {
  if (value === null) return value;
  const type = typeof value;
  if (type === 'function' || type === 'symbol') return NOT_A_TREE;
  if (type !== 'object') return value;
  const node = value as Record<string, unknown>;
  const known = copies.get(node);
  if (known !== undefined) return known;
  // Before anything reads it: a proxy's traps must not run (structuredClone refuses a proxy).
  if (isProxy(node)) return NOT_A_TREE;
  const proto = getPrototypeOf(node);
  let out: Record<string, unknown>;
  if (proto === OBJECT || proto === null) out = {};
  else if (proto === ARRAY && Array.isArray(node)) out = new Array((node as unknown as unknown[]).length) as unknown as Record<string, unknown>;
  else return NOT_A_TREE;
  copies.set(node, out);
  for (const key of keysOf(node)) {
    const member = copyTree(node[key], copies);
    if (member === NOT_A_TREE) return NOT_A_TREE;
    if (key === '__proto__') defineProperty(out, key, { value: member, writable: true, enumerable: true, configurable: true });
    else out[key] = member;
  }
  return out;
}
