import type { ConnectSchema } from './decode-connect-value';
import { changeTime, type DecodeContext } from './decode-context';
import { unsupportedEnvelope } from './decode-failure';
import { decodeImage } from './decode-image';
import { decodeFlattenedMongoKey, decodeStructKey } from './decode-key';
import type { ChangeOp, ConnectorKind, DecodedChange, RawRecord } from './decoded-record';
import { entityKeyOf } from './entity-key';
import { connectorKind, readSource } from './read-source';
import { sourcePosition, type PositionSource } from './source-position';

const METADATA_PREFIX = '__';
const OPS: ReadonlySet<string> = new Set(['c', 'u', 'd', 'r']);

/**
 * A record flattened by `ExtractNewRecordState` (relational) or `ExtractNewDocumentState`
 * (MongoDB): the value is the row/document itself, no envelope.
 *
 * - `add.fields=op,lsn,source.ts_ms,…` adds `__op`, `__lsn`, `__source_ts_ms`…: a bare name is the
 *   envelope field (`__op`, `__ts_ms` = Debezium's processing time) or, failing that, the `source`
 *   field (`__lsn`, `__ord`, `__file`, `__table`); `struct.field` becomes `__struct_field`.
 *   `add.headers` puts the same names in Kafka headers, read here when the field is absent.
 *   These `__` fields are metadata: they are removed from the row and used for op and position.
 * - `delete.handling.mode=rewrite` turns a delete into the last row state plus `__deleted: "true"`
 *   (ExtractNewRecordState writes a string; ExtractNewDocumentState a boolean); other records get
 *   `"false"`. With `none` a delete is a null value: a tombstone, unless its headers carry
 *   `__op: d` (`add.headers`), then a delete decoded here from an empty row (isFlattenedDelete).
 * - Without `__op`, the kind of change is unknown; a non-deleted row is then an upsert (`u`).
 * - Without `__source_connector`, the connector is inferred from the position fields present
 *   (`__lsn` → PostgreSQL, `__ord` → MongoDB, `__file` + `__pos` → MySQL) so the position can still
 *   be the source's; otherwise it falls back to the Kafka offset.
 * - ExtractNewDocumentState rewrites the record key to `{"id": <the _id itself>}` (the ObjectId's
 *   hex, not Extended JSON text): it is decoded by its schema (decodeFlattenedMongoKey), so a
 *   document gets the same entity key as in the connector's unflattened events, with or without
 *   `__source_connector`.
 */
export function decodeFlattenedChange(payload: Readonly<Record<string, unknown>>, schema: ConnectSchema | null, ctx: DecodeContext): DecodedChange {
  const meta = (name: string): unknown => payload[METADATA_PREFIX + name] ?? header(ctx.raw, METADATA_PREFIX + name);
  const either = (name: string): unknown => meta(`source_${name}`) ?? meta(name);

  const position: PositionSource = {
    lsn: either('lsn'),
    sequence: either('sequence'),
    ts_ms: meta('source_ts_ms'),
    ord: either('ord'),
    file: either('file'),
    pos: either('pos'),
    row: either('row'),
    txnNumber: either('txnNumber'),
    lsid: either('lsid'),
  };
  const connector = inferConnector(connectorKind(either('connector')), position);
  const source = readSource(
    {
      ...position,
      connector: either('connector'),
      name: either('name'),
      db: either('db'),
      schema: either('schema'),
      table: either('table'),
      collection: either('collection'),
      snapshot: either('snapshot'),
      txId: either('txId'),
    },
    connector,
  );

  const deleted = meta('deleted') === 'true' || meta('deleted') === true;
  const declaredOp = meta('op');
  if (declaredOp !== undefined && declaredOp !== null && !(typeof declaredOp === 'string' && OPS.has(declaredOp))) {
    throw unsupportedEnvelope(`flattened record with unsupported __op ${JSON.stringify(declaredOp)}`);
  }
  const op: ChangeOp = deleted ? 'd' : ((declaredOp as ChangeOp | null | undefined) ?? 'u');

  const image = decodeImage(payload, schema, 'value', ctx.placeholder, (column) => column.startsWith(METADATA_PREFIX));
  const row = image?.row ?? {};
  const hasColumns = Object.keys(row).length > 0 || (image?.unavailable.length ?? 0) > 0;
  if (op !== 'd' && !hasColumns) {
    throw unsupportedEnvelope('flattened record has no columns besides "__" metadata');
  }

  const key = connector === 'mongodb' ? decodeFlattenedMongoKey(ctx.keyPayload, ctx.keySchema) : decodeStructKey(ctx.keyPayload, ctx.keySchema);
  return {
    kind: 'change',
    op,
    connector,
    key,
    entityKey: entityKeyOf(key),
    before: op === 'd' && hasColumns ? row : null,
    after: op === 'd' ? null : row,
    patch: null,
    unavailable: image?.unavailable ?? [],
    // `add.fields=…,transaction.total_order` flattens the transaction block to `__transaction_total_order`.
    position: sourcePosition(connector, position, ctx.raw, { id: meta('transaction_id'), total_order: meta('transaction_total_order') }),
    source,
    tsMs: changeTime(position.ts_ms, meta('ts_ms'), ctx.raw),
    flattened: true,
  };
}

function inferConnector(declared: ConnectorKind, position: PositionSource): ConnectorKind {
  if (declared !== 'unknown') return declared;
  if (position.lsn !== undefined && position.lsn !== null) return 'postgresql';
  if (position.ord !== undefined && position.ord !== null) return 'mongodb';
  if (position.file !== undefined && position.file !== null && position.pos !== undefined && position.pos !== null) return 'mysql';
  return 'unknown';
}

/**
 * True for a null value that is a flattened delete, not a tombstone. With `delete.handling.mode=none`
 * (`delete.tombstone.handling.mode=tombstone` since Debezium 2.5), ExtractNewRecordState and
 * ExtractNewDocumentState turn a delete into a null value; with `add.headers=op,…` it keeps the
 * delete's metadata in Kafka headers, `__op: d` first. A tombstone Debezium writes after a delete
 * carries no such header. Decode it with `decodeFlattenedChange({}, null, ctx)`: a delete of the
 * record key, positioned from the headers as any flattened record from its `__` fields.
 */
export function isFlattenedDelete(raw: RawRecord): boolean {
  return header(raw, `${METADATA_PREFIX}op`) === 'd';
}

/** A Kafka header as text (the default SimpleHeaderConverter writes primitives as plain strings). */
function header(raw: RawRecord, name: string): string | undefined {
  const value = raw.headers?.[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}
