import { decodeConnectValue, fieldSchema, type ConnectSchema } from './decode-connect-value';
import { decodeFailed } from './decode-failure';
import { isUnavailableValue } from './unavailable-value';

/** A decoded row image and the columns left out of it because their value was unavailable. */
export interface DecodedImage {
  readonly row: Record<string, unknown>;
  readonly unavailable: string[];
}

/**
 * Decodes a relational row image (`before`/`after`, or a flattened row) column by column against
 * its struct schema (or schemaless). The TOAST placeholder is checked on the raw value, before any
 * logical-type decoding: a bytea/Decimal column holding it would otherwise decode to garbage.
 *
 * @param skip column names to leave out (the `__` metadata of flattened records)
 * @returns null when the image is null (e.g. `before` of a create)
 * @throws AppError DECODE_FAILED when the image is not an object or a column does not fit its schema
 */
export function decodeImage(
  raw: unknown,
  schema: ConnectSchema | null,
  path: string,
  placeholder: string,
  skip?: (column: string) => boolean,
): DecodedImage | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw decodeFailed(`${path}: expected a row (JSON object), got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const row: Record<string, unknown> = {};
  const unavailable: string[] = [];
  for (const [column, value] of Object.entries(raw)) {
    if (skip?.(column)) continue;
    if (isUnavailableValue(value, placeholder)) {
      unavailable.push(column);
      continue;
    }
    row[column] = decodeConnectValue(value, fieldSchema(schema, column), `${path}.${column}`);
  }
  return { row, unavailable };
}
