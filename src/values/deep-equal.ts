/**
 * Equality of JSON-like values (canonical data, schemas, definitions): same keys with equal values,
 * arrays in order. Prototypes are not compared, unlike `util.isDeepStrictEqual`: a value read from
 * the store, parsed from JSON or copied with `structuredClone` (which, under jest, builds objects
 * of another realm) equals the same literal.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
