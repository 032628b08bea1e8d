/**
 * The stable string form of a decoded record key, used to address one entity:
 *
 * - one field → its value as a string: `{id: 1}` → `"1"`, a MongoDB `{_id: ObjectId}` → the 24-hex
 *   string (the decoder already rendered it so), a document id → its JSON with sorted keys;
 * - several fields (composite primary key) → JSON of the fields with keys sorted, so the same key
 *   always gives the same string whatever order the connector wrote the fields in;
 * - no key, or a single field that is null → null.
 */
export function entityKeyOf(key: Readonly<Record<string, unknown>> | null): string | null {
  if (key === null) return null;
  const names = Object.keys(key);
  if (names.length === 0) return null;
  if (names.length > 1) return stableStringify(key);
  const value = key[names[0] as string];
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return stableStringify(value);
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function stableStringify(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const body = Object.keys(record)
      .sort()
      .filter((name) => record[name] !== undefined)
      .map((name) => `${JSON.stringify(name)}:${stableStringify(record[name])}`)
      .join(',');
    return `{${body}}`;
  }
  return JSON.stringify(value);
}
