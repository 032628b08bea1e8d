import { decodeConnectValue, type ConnectSchema } from './decode-connect-value';
import { decodeExtendedJson } from './decode-extended-json';
import { plainJson } from './parse-json-lossless';

/**
 * Record keys. A relational connector keys a record by a struct of the primary-key (or unique-key)
 * columns; the MongoDB connector by `{"id": "<_id as Extended JSON text>"}`.
 */

/**
 * A relational key struct, decoded like any row (a Decimal or UUID primary key gets its logical
 * type). A key that is not a struct, which happens when an SMT such as `ExtractField$Key` reduced
 * it to one value, is returned as `{value: <that value>}`.
 */
export function decodeStructKey(payload: unknown, schema: ConnectSchema | null): Record<string, unknown> | null {
  if (payload === null || payload === undefined) return null;
  const decoded = decodeConnectValue(payload, schema, 'key');
  if (decoded !== null && typeof decoded === 'object' && !Array.isArray(decoded)) return decoded as Record<string, unknown>;
  return { value: decoded };
}

/**
 * A MongoDB connector key → `{_id: <decoded id>}`: `{"id": "{\"$oid\": \"596e…\"}"}` gives the
 * 24-hex string, `{"id": "1004"}` the number 1004, `{"id": "\"abc\""}` the string "abc". An `id`
 * that is not Extended JSON is kept as its text. Not for a key ExtractNewDocumentState rewrote:
 * see {@link decodeFlattenedMongoKey}.
 */
export function decodeMongoKey(payload: unknown): Record<string, unknown> | null {
  if (payload === null || payload === undefined) return null;
  if (typeof payload !== 'object' || Array.isArray(payload)) return { _id: plainJson(payload) };
  const { id, ...rest } = payload as Record<string, unknown>;
  const out: Record<string, unknown> = { _id: typeof id === 'string' ? mongoIdFromText(id) : plainJson(id ?? null) };
  for (const [name, value] of Object.entries(rest)) out[name] = plainJson(value);
  return out;
}

/**
 * The key of a document flattened by ExtractNewDocumentState → `{_id: <id>}`, the same as
 * {@link decodeMongoKey} gives for the connector's own key of that document. The SMT replaces the
 * connector's `{"id": "<Extended JSON>"}` by `{"id": <the id itself>}` (an ObjectId as its hex, a
 * string or Decimal128 as a string, int32/int64 as numbers, a subdocument as a struct), so the id
 * is decoded by its Connect schema and never read as Extended JSON again: a string id `"null"`,
 * `"1.50"` or `"[1, 2]"` stays that string.
 */
export function decodeFlattenedMongoKey(payload: unknown, schema: ConnectSchema | null): Record<string, unknown> | null {
  const key = decodeStructKey(payload, schema);
  if (key === null || !('id' in key)) return key;
  const { id, ...rest } = key;
  return { _id: id ?? null, ...rest };
}

/**
 * True when a key looks like a MongoDB connector key whose `id` is Extended JSON of a non-number
 * (`{…}`, `"…"`, `[…]`). Tombstones carry no `source`, so this is how a MongoDB tombstone gets the
 * same entity key as the change events of its document. A relational string key starting with one
 * of those characters is practically unheard of; a numeric id decodes to the same string either way.
 */
export function looksLikeMongoKey(payload: unknown): boolean {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return false;
  const keys = Object.keys(payload);
  const id = (payload as { id?: unknown }).id;
  return keys.length === 1 && keys[0] === 'id' && typeof id === 'string' && /^\s*[{["]/.test(id);
}

function mongoIdFromText(text: string): unknown {
  try {
    return decodeExtendedJson(text, 'key.id');
  } catch {
    return text;
  }
}
