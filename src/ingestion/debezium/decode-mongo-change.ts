import { changeTime, isRecord, type DecodeContext } from './decode-context';
import { decodeExtendedJson } from './decode-extended-json';
import type { DecodeLimits } from './decode-limits';
import { decodeFailed, unsupportedEnvelope } from './decode-failure';
import { decodeMongoKey } from './decode-key';
import type { ChangeOp, ChangePatch, DecodedChange } from './decoded-record';
import { entityKeyOf } from './entity-key';
import { readSource } from './read-source';
import { sourcePosition } from './source-position';

/**
 * The MongoDB connector's envelope. Documents are Extended JSON *strings*, not structs, because
 * collections have no fixed schema.
 *
 * 2.x/3.x (change streams): `after` holds the full document for inserts, snapshot reads and, with
 * `capture.mode=change_streams_update_full` (the default), updates; `before` the pre-image with a
 * `*_with_pre_image` mode. With `capture.mode=change_streams` an update has no `after`, only
 * `updateDescription: {updatedFields: "<Extended JSON>", removedFields: [...], truncatedArrays}`:
 * that becomes `patch` (dotted paths allowed). Note Debezium's warning that a looked-up `after` can
 * already contain later updates; the source position still orders it correctly.
 *
 * 1.x (oplog): an update has `patch` (the oplog's `{"$set": …, "$unset": …}` or a whole replacement
 * document) and `filter` (`{"_id": …}`); a delete has only `filter`.
 *
 * The key is `{"id": "<_id as Extended JSON>"}` and becomes `{_id: <decoded>}`.
 */
export function decodeMongoChange(payload: Readonly<Record<string, unknown>>, op: ChangeOp, ctx: DecodeContext): DecodedChange {
  const rawSource = isRecord(payload.source) ? payload.source : null;
  let after = documentOf(payload.after, 'after', ctx.limits);
  const before = documentOf(payload.before, 'before', ctx.limits);
  let patch: ChangePatch | null = null;

  let key = decodeMongoKey(ctx.keyPayload);
  if (key === null && typeof payload.filter === 'string') {
    // 1.x: the filter names the document when a key is missing (e.g. the key was dropped by an SMT).
    const filter = documentOf(payload.filter, 'filter', ctx.limits);
    if (filter && '_id' in filter) key = { _id: filter._id };
  }

  if (after === null && op === 'u') {
    if (isRecord(payload.updateDescription)) {
      patch = patchFromUpdateDescription(payload.updateDescription, ctx.limits);
    } else if (typeof payload.patch === 'string') {
      const oplogPatch = documentOf(payload.patch, 'patch', ctx.limits) ?? {};
      if (isOperatorDocument(oplogPatch)) {
        patch = patchFromOplog(oplogPatch);
      } else {
        // A replacement document (`replaceOne`, `save`) is the whole new state.
        after = '_id' in oplogPatch || key === null ? oplogPatch : { _id: key._id, ...oplogPatch };
      }
    } else {
      throw unsupportedEnvelope('MongoDB update carries neither "after", "updateDescription" nor "patch"');
    }
  }
  if ((op === 'c' || op === 'r') && after === null) {
    throw unsupportedEnvelope(`MongoDB op "${op}" without an "after" document`);
  }

  return {
    kind: 'change',
    op,
    connector: 'mongodb',
    key,
    entityKey: entityKeyOf(key),
    before,
    after,
    patch,
    unavailable: [],
    position: sourcePosition('mongodb', rawSource, ctx.raw, isRecord(payload.transaction) ? payload.transaction : null),
    source: readSource(rawSource, 'mongodb'),
    tsMs: changeTime(rawSource?.ts_ms, payload.ts_ms, ctx.raw),
    flattened: false,
  };
}

function patchFromUpdateDescription(description: Readonly<Record<string, unknown>>, limits: DecodeLimits): ChangePatch {
  const { updatedFields, removedFields, truncatedArrays } = description;
  const set = updatedFields === null || updatedFields === undefined ? {} : (documentOf(updatedFields, 'updateDescription.updatedFields', limits) ?? {});
  const unset = stringList(removedFields, 'updateDescription.removedFields');
  const truncated = Array.isArray(truncatedArrays) ? truncatedArrays.map(truncatedArray) : [];
  return truncated.length > 0 ? { set, unset, truncatedArrays: truncated } : { set, unset };
}

/**
 * An oplog update document: `$set` assigns, `$unset` removes (the value after the field name does
 * not matter to MongoDB, and the server writes `true`), `$v: 1` is the oplog format version. The
 * `$v: 2` "diff" format of MongoDB 5+ oplogs is not something Debezium 1.x decodes, so it is refused.
 */
function patchFromOplog(document: Readonly<Record<string, unknown>>): ChangePatch {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const [operator, argument] of Object.entries(document)) {
    if (operator === '$v' && argument === 1) continue;
    if (operator === '$set' && isRecord(argument)) Object.assign(set, argument);
    else if (operator === '$unset' && isRecord(argument)) unset.push(...Object.keys(argument));
    else throw unsupportedEnvelope(`MongoDB oplog patch operator "${operator}" (${JSON.stringify(argument)}) is not supported`);
  }
  return { set, unset };
}

/** True for `{"$set": …}`-style documents; a replacement document has no `$` field at the top. */
function isOperatorDocument(document: Readonly<Record<string, unknown>>): boolean {
  return Object.keys(document).some((name) => name.startsWith('$'));
}

function documentOf(value: unknown, path: string, limits: DecodeLimits): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  // Debezium always sends a string; an object (a hand-built or re-serialized event) is decoded alike.
  const decoded = decodeExtendedJson(typeof value === 'string' ? value : JSON.stringify(value), path, limits);
  if (!isRecord(decoded)) throw decodeFailed(`${path}: expected a MongoDB document, got ${Array.isArray(decoded) ? 'an array' : typeof decoded}`);
  return decoded;
}

function stringList(value: unknown, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw decodeFailed(`${path}: expected a list of field names`);
  }
  return value as string[];
}

/**
 * Debezium's struct `io.debezium.connector.mongodb.changestream.truncatedarray` is `{field, size}`;
 * MongoDB's own change event says `{field, newSize}`. Both are accepted.
 */
function truncatedArray(value: unknown): { field: string; newSize: number } {
  if (isRecord(value) && typeof value.field === 'string') {
    const size = value.size ?? value.newSize;
    if (typeof size === 'number' && Number.isInteger(size) && size >= 0) return { field: value.field, newSize: size };
  }
  throw decodeFailed('updateDescription.truncatedArrays: expected {field, size} entries');
}
