import { fieldSchema, type ConnectSchema } from './decode-connect-value';
import { changeTime, isRecord, type DecodeContext } from './decode-context';
import { unsupportedEnvelope } from './decode-failure';
import { decodeImage } from './decode-image';
import { decodeStructKey } from './decode-key';
import type { ChangeOp, DecodedChange } from './decoded-record';
import { entityKeyOf } from './entity-key';
import { connectorKind, readSource } from './read-source';
import { sourcePosition } from './source-position';

/**
 * A relational connector's envelope (PostgreSQL, MySQL, SQL Server, Oracle...):
 * `{before, after, source, op, ts_ms, transaction}` where `before`/`after` are row structs.
 *
 * - `c` (insert) and `r` (snapshot read) carry `after`; `u` carries `after` and, depending on the
 *   table's REPLICA IDENTITY (PostgreSQL) or binlog_row_image (MySQL), a full, partial or null
 *   `before`; `d` carries `before` (possibly only the key columns, or null with REPLICA IDENTITY
 *   NOTHING).
 * - With the JSON converter's schema, every column is decoded by its logical type; without it
 *   (`schemas.enable=false`) values pass through as the converter wrote them, so a DECIMAL arrives
 *   as whatever `decimal.handling.mode` produced: base64 bytes (`precise`, undecodable without the
 *   scale), a JSON number (`double`) or a string (`string`).
 * - A primary-key update arrives as a delete of the old key, a tombstone, and a create of the new
 *   key: three independent records here.
 */
export function decodeRelationalChange(
  payload: Readonly<Record<string, unknown>>,
  op: ChangeOp,
  schema: ConnectSchema | null,
  ctx: DecodeContext,
): DecodedChange {
  const rawSource = isRecord(payload.source) ? payload.source : null;
  const connector = connectorKind(rawSource?.connector);
  const after = decodeImage(payload.after, fieldSchema(schema, 'after'), 'after', ctx.placeholder);
  const before = decodeImage(payload.before, fieldSchema(schema, 'before'), 'before', ctx.placeholder);
  if (op !== 'd' && after === null) {
    throw unsupportedEnvelope(`op "${op}" without an "after" row`);
  }
  const key = decodeStructKey(ctx.keyPayload, ctx.keySchema);
  const source = readSource(rawSource, connector);
  return {
    kind: 'change',
    op,
    connector,
    key,
    entityKey: entityKeyOf(key),
    before: before?.row ?? null,
    after: after?.row ?? null,
    patch: null,
    // The image that will be applied decides: `after`, or `before` for a delete.
    unavailable: (after ?? before)?.unavailable ?? [],
    position: sourcePosition(connector, rawSource, ctx.raw),
    source,
    tsMs: changeTime(rawSource?.ts_ms, payload.ts_ms, ctx.raw),
    flattened: false,
  };
}
