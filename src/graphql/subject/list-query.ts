import { GraphQLError } from 'graphql';
import { decodeOpaqueCursor, encodeOpaqueCursor } from '../../infra/opaque-cursor';
import { isKeyedScalar, isOrderKey, type KeyedScalar } from '../../values/order-key';
import { fieldName } from '../naming';
import type { FieldModel } from '../../catalog/field-model';
import { compileWhere, showsCanonicalId, type FieldTarget, type WhereClause } from './where-filter';

/**
 * Translating list arguments (`where`, `orderBy`, `after`) into MongoDB filters and sorts over
 * the state documents (`data.<field>`, `_k.<field>` order keys, `_id`, `_meta.*`). Pure, so it
 * is unit-tested alone. Only operators every MongoDB-wire store implements alike are used
 * ($eq $ne $in $lt $lte $gt $gte $exists $regex $and $or, and sorts), on strings of one type.
 */
export type Filter = Record<string, unknown>;

export function whereToMongo(where: Record<string, unknown> | null | undefined, fields: readonly FieldModel[]): Filter {
  return clauseToMongo(compileWhere(where, fields));
}

const MONGO_OPS = { eq: '$eq', ne: '$ne', in: '$in', lt: '$lt', lte: '$lte', gt: '$gt', gte: '$gte' } as const;

export function clauseToMongo(clause: WhereClause): Filter {
  switch (clause.kind) {
    case 'all':
      return {};
    case 'and':
    case 'or':
      return { [`$${clause.kind}`]: clause.parts.map(clauseToMongo) };
    case 'compare': {
      return { [comparedPath(clause.target)]: { [MONGO_OPS[clause.op]]: clause.operand } };
    }
    case 'contains':
      return { [valuePath(clause.target)]: { $regex: escapeRegex(clause.text) } };
    case 'exists':
      return { [valuePath(clause.target)]: { $exists: clause.present } };
    case 'isNull':
      // `{f: null}` matches a null and an absent field alike: "has no value".
      return clause.isNull ? { [valuePath(clause.target)]: null } : { [valuePath(clause.target)]: { $ne: null } };
  }
}

/** Where a comparison looks: the order key of a keyed field, else the value. */
function comparedPath(target: FieldTarget): string {
  if (target.kind === 'id') return '_id';
  return `${target.keyed ? '_k' : 'data'}.${target.path.join('.')}`;
}

function valuePath(target: FieldTarget): string {
  return target.kind === 'id' ? '_id' : `data.${target.path.join('.')}`;
}

export interface Sort {
  /** The `orderBy.field` it came from (`id`, `updatedAt` or a field name); cursors carry it. */
  readonly field: string;
  /** Document path sorted on; `_id` breaks ties so the order is total and cursors are stable. */
  readonly path: string;
  readonly direction: 1 | -1;
  /** What a cursor's sort value must be. */
  readonly value: 'none' | 'epoch-ms' | 'string' | 'boolean' | KeyedScalar;
}

export function sortOf(orderBy: { field?: string; direction?: 'ASC' | 'DESC' } | null | undefined, fields: readonly FieldModel[]): Sort {
  const direction = orderBy?.direction === 'DESC' ? -1 : 1;
  const field = orderBy?.field;
  // `id` sorts by the key, unless a canonical field named `id` is what the entity shows as `id`.
  if (!field || (field === 'id' && !showsCanonicalId(fields))) return { field: 'id', path: '_id', direction, value: 'none' };
  if (field === 'updatedAt') return { field, path: '_meta.updatedAt', direction, value: 'epoch-ms' };
  const model = fields.find((f) => fieldName(f.jsonKey) === field);
  if (!model || (model.kind !== 'scalar' && model.kind !== 'enum') || (model.kind === 'scalar' && model.scalar === 'JSON')) {
    throw new GraphQLError(`orderBy.field: cannot order by "${field}"`, { extensions: { code: 'BAD_USER_INPUT', argument: 'orderBy.field', value: field } });
  }
  if (model.kind === 'scalar' && isKeyedScalar(model.scalar)) return { field, path: `_k.${model.jsonKey}`, direction, value: model.scalar };
  return { field, path: `data.${model.jsonKey}`, direction, value: model.kind === 'scalar' && model.scalar === 'Boolean' ? 'boolean' : 'string' };
}

/**
 * The top-level fields whose order keys list queries sort on and compare by range (`_k.<field>`,
 * sortOf and comparedPath): the entity store indexes each (ensureOrderKeyIndexes), so a
 * Decimal/DateTime/Int/Float range or sort reads the range instead of the collection. Fields
 * inside objects are filtered on the same keys but not indexed: a list is sorted only by a
 * top-level field.
 */
export function orderKeyIndexFields(fields: readonly FieldModel[]): string[] {
  return fields.filter((f) => f.kind === 'scalar' && isKeyedScalar(f.scalar)).map((f) => f.jsonKey);
}

export function mongoSort(sort: Sort): Record<string, 1 | -1> {
  return sort.path === '_id' ? { _id: sort.direction } : { [sort.path]: sort.direction, _id: sort.direction };
}

export interface ListCursor {
  readonly value: unknown;
  readonly id: string;
}

/** A list cursor: the ordering it belongs to, the sort value (an order key, text, …) and `_id` of the last row. */
export function encodeCursor(sort: Sort, sortValue: unknown, id: string): string {
  const value = sortValue instanceof Date ? sortValue.getTime() : (sortValue ?? null);
  return encodeOpaqueCursor({ s: sort.field, d: sort.direction, v: sort.value === 'none' ? null : value, i: id });
}

/**
 * The cursor's position, checked against the ordering it is used with: a cursor is client data,
 * so its value must be what this sort produces (an order key of the field's type, a string, a
 * number of ms) before it reaches a store filter — never an object that would read as an operator.
 */
export function decodeCursor(cursor: string, sort: Sort): ListCursor {
  const payload = decodeOpaqueCursor(cursor);
  const invalid = (why: string) =>
    new GraphQLError(`after: invalid cursor (${why})`, { extensions: { code: 'BAD_USER_INPUT', argument: 'after', value: cursor } });
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid('not a list cursor');
  const { s, d, v, i } = payload as { s?: unknown; d?: unknown; v?: unknown; i?: unknown };
  if (typeof i !== 'string') throw invalid('not a list cursor');
  // The store reads a lone surrogate as U+FFFD: such a position would be another one. No cursor
  // this server issues holds one (stored keys and texts cannot).
  if (!i.isWellFormed() || (typeof v === 'string' && !v.isWellFormed())) throw invalid('it holds a lone surrogate');
  if (s !== sort.field || d !== sort.direction) throw invalid(`it was issued for another orderBy than ${sort.field} ${sort.direction === 1 ? 'ASC' : 'DESC'}`);
  if (v === null) return { value: null, id: i };
  const ok =
    sort.value === 'none'
      ? false
      : sort.value === 'epoch-ms'
        ? Number.isSafeInteger(v)
        : sort.value === 'string'
          ? typeof v === 'string'
          : sort.value === 'boolean'
            ? typeof v === 'boolean'
            : isOrderKey(sort.value, v);
  if (!ok) throw invalid(`its sort value is not a ${sort.value}`);
  return { value: sort.value === 'epoch-ms' ? new Date(v as number) : v, id: i };
}

/**
 * Rows strictly after the cursor in (sort value, _id) order. MongoDB sorts null (and missing)
 * before every value, so ascending, nulls come first and descending, last.
 */
export function afterCursor(sort: Sort, cursor: ListCursor): Filter {
  const idAfter = { _id: { [sort.direction === 1 ? '$gt' : '$lt']: cursor.id } };
  if (sort.path === '_id') return idAfter;
  const { path } = sort;
  if (cursor.value === null || cursor.value === undefined) {
    return sort.direction === 1 ? { $or: [{ [path]: null, ...idAfter }, { [path]: { $ne: null } }] } : { [path]: null, ...idAfter };
  }
  const beyond = { [path]: { [sort.direction === 1 ? '$gt' : '$lt']: cursor.value } };
  const tie = { [path]: { $eq: cursor.value }, ...idAfter };
  return sort.direction === 1 ? { $or: [beyond, tie] } : { $or: [beyond, tie, { [path]: null }] };
}

export function valueAt(doc: Record<string, unknown>, path: string): unknown {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[part];
  }
  return node ?? null;
}

/**
 * `text` as a pattern matching itself. A NUL is written `\x00`: MongoDB refuses a `$regex` holding
 * one (its jstests/core/regex.js), which would fail the query; its PCRE and the local store's Java
 * regular expressions both read `\x00` as a NUL.
 */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00');
}
