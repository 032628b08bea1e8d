import { AppError, ErrorCode } from '../errors';
import { formatJsonPath, parseJsonPath } from './json-path';
import type { KeySpec } from './mapping-spec';
import { compileGetter } from './path-getter';

/** Where entity keys come from: the Debezium record key, or canonical fields. */
export type KeyFrom = { readonly kind: 'record' } | { readonly kind: 'fields'; readonly fields: readonly string[] };

export type EntityKeyFn = (canonical: Readonly<Record<string, unknown>>, recordKey: unknown) => string;

/**
 * Builds the key function once. One value is the key as is ("42", "ord-1"); several are joined
 * with "|", with "\" and "|" inside values escaped, so different value lists never collide.
 * A Debezium record key is a struct of the primary-key columns, taken in its column order.
 */
export function compileEntityKey(mappingId: string, key: KeySpec | undefined): { keyFrom: KeyFrom; entityKey: EntityKeyFn } {
  if (key === undefined || 'source' in key) {
    return {
      keyFrom: { kind: 'record' },
      entityKey: (_canonical, recordKey) => {
        if (recordKey === null || recordKey === undefined) {
          throw new AppError(ErrorCode.MAPPING_FAILED, `mapping "${mappingId}": the record has no key, and the entity key is the record key`);
        }
        if (typeof recordKey !== 'object' || Array.isArray(recordKey)) return keyPart(mappingId, 'record key', recordKey);
        const entries = Object.entries(recordKey);
        if (entries.length === 0) throw new AppError(ErrorCode.MAPPING_FAILED, `mapping "${mappingId}": the record key has no fields`);
        return joinKey(entries.map(([name, value]) => keyPart(mappingId, `record key field "${name}"`, value)));
      },
    };
  }
  const fields = key.fields.map((field) => {
    const parsed = parseJsonPath(field);
    if (!parsed.ok) throw new Error(`unchecked key path: ${parsed.problem}`);
    return { path: formatJsonPath(parsed.segments), read: compileGetter(parsed.segments) };
  });
  return {
    keyFrom: { kind: 'fields', fields: fields.map((f) => f.path) },
    entityKey: (canonical) => joinKey(fields.map((f) => keyPart(mappingId, `key field ${f.path}`, f.read(canonical)))),
  };
}

function keyPart(mappingId: string, what: string, value: unknown): string {
  const part = keyOfValue(value);
  if (part !== null) return part;
  const state = value === undefined ? 'absent' : value === '' ? 'empty' : 'null';
  throw new AppError(ErrorCode.MAPPING_FAILED, `mapping "${mappingId}": ${what} is ${state}, so the entity has no key`);
}

/**
 * The entity key that one value is, as an entity keyed by that one value stores it (`42` → "42"):
 * what a relation by id looks its entity up by. Null when a value cannot be a key (absent, null,
 * empty).
 */
export function keyOfValue(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
      return value.length > 0 ? value : null;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object':
      // e.g. a MongoDB ObjectId kept as {"$oid": "..."}: stable text is all a key needs.
      return value === null ? null : JSON.stringify(value);
    default:
      return null;
  }
}

function joinKey(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : parts.map((p) => p.replace(/[\\|]/g, (c) => `\\${c}`)).join('|');
}
