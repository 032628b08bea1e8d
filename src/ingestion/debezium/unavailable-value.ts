/**
 * PostgreSQL does not write unchanged TOASTed values (large text/bytea/jsonb/arrays stored out of
 * line) to the WAL unless the table has REPLICA IDENTITY FULL. Debezium cannot read them safely
 * afterwards, so it sends the connector setting `unavailable.value.placeholder` instead, whose
 * default is this string. Such a column was NOT changed to this text: it must never overwrite the
 * stored value, so the decoder removes it from the image and lists it in `unavailable`.
 */
export const UNAVAILABLE_VALUE_PLACEHOLDER = '__debezium_unavailable_value';

/**
 * True when a raw (not yet decoded) column value is the placeholder in any of the shapes Debezium
 * gives it: the string itself (text, varchar, json/jsonb, xml...); its bytes for bytea, which the
 * JSON converter writes as base64 (or hex with `binary.handling.mode=hex`); a one-element list
 * holding it for array columns; and a map from it to itself for hstore in `map` mode.
 */
export function isUnavailableValue(raw: unknown, placeholder: string = UNAVAILABLE_VALUE_PLACEHOLDER): boolean {
  if (typeof raw === 'string') return raw === placeholder || encodings(placeholder).includes(raw);
  if (Array.isArray(raw)) return raw.length > 0 && raw.every((item) => item === placeholder);
  if (raw !== null && typeof raw === 'object') {
    const entries = Object.entries(raw);
    return entries.length === 1 && entries[0]?.[0] === placeholder && entries[0]?.[1] === placeholder;
  }
  return false;
}

const encodingCache = new Map<string, readonly string[]>();

function encodings(placeholder: string): readonly string[] {
  let cached = encodingCache.get(placeholder);
  if (!cached) {
    const bytes = Buffer.from(placeholder, 'utf8');
    cached = [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
    encodingCache.set(placeholder, cached);
  }
  return cached;
}
