/**
 * The one cursor codec: a cursor is base64url of a JSON payload, opaque to clients. Decoding
 * returns the parsed JSON or null; each kind of cursor (list page, history page, change feed)
 * checks the shape it expects before any part of it is used, because a cursor is client data.
 */
export function encodeOpaqueCursor(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeOpaqueCursor(cursor: string): unknown {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return null;
  }
}
