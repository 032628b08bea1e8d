import { GraphQLError } from 'graphql';
import { fieldName } from '../naming';
import type { FieldModel } from './field-model';

/**
 * Translating list arguments (`where`, `orderBy`, `after`) into MongoDB filters and sorts over
 * the state documents (`data.<field>`, `_id`, `_meta.*`). Pure, so it is unit-tested alone.
 */
export type Filter = Record<string, unknown>;

export interface ScalarFilterInput {
  eq?: unknown; ne?: unknown; in?: unknown[]; lt?: unknown; lte?: unknown; gt?: unknown; gte?: unknown;
  contains?: string; exists?: boolean;
}

const COMPARISONS: Record<string, string> = { eq: '$eq', ne: '$ne', in: '$in', lt: '$lt', lte: '$lte', gt: '$gt', gte: '$gte' };

export function scalarFilter(path: string, input: ScalarFilterInput): Filter[] {
  const clauses: Filter[] = [];
  for (const [op, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (op in COMPARISONS) clauses.push({ [path]: { [COMPARISONS[op]!]: value } });
    else if (op === 'contains') clauses.push({ [path]: { $regex: escapeRegex(String(value)) } });
    // `{f: null}` matches a null and a missing field alike, which is what "does not exist" means here.
    else if (op === 'exists') clauses.push(value ? { [path]: { $ne: null } } : { [path]: null });
  }
  return clauses;
}

export function whereToMongo(where: Record<string, unknown> | null | undefined, fields: readonly FieldModel[], prefix = 'data'): Filter {
  if (!where) return {};
  const clauses: Filter[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined || value === null) continue;
    if (key === 'and' || key === 'or') {
      const parts = (value as Record<string, unknown>[]).map((w) => whereToMongo(w, fields, prefix));
      if (parts.length > 0) clauses.push({ [`$${key}`]: parts });
      continue;
    }
    if (key === 'id' && prefix === 'data') {
      clauses.push(...scalarFilter('_id', value as ScalarFilterInput));
      continue;
    }
    const field = fields.find((f) => fieldName(f.jsonKey) === key);
    if (!field) throw new GraphQLError(`unknown filter field "${key}"`, { extensions: { code: 'BAD_USER_INPUT' } });
    const path = `${prefix}.${field.jsonKey}`;
    if (field.kind === 'object') clauses.push(whereToMongo(value as Record<string, unknown>, field.fields, path));
    else clauses.push(...scalarFilter(path, value as ScalarFilterInput));
  }
  const nonEmpty = clauses.filter((c) => Object.keys(c).length > 0);
  if (nonEmpty.length === 0) return {};
  return nonEmpty.length === 1 ? nonEmpty[0]! : { $and: nonEmpty };
}

export interface Sort {
  /** Document path sorted on; `_id` breaks ties so the order is total and cursors are stable. */
  readonly path: string;
  readonly direction: 1 | -1;
}

export function sortOf(orderBy: { field?: string; direction?: 'ASC' | 'DESC' } | null | undefined, fields: readonly FieldModel[]): Sort {
  const direction = orderBy?.direction === 'DESC' ? -1 : 1;
  const field = orderBy?.field;
  if (!field || field === 'id') return { path: '_id', direction };
  if (field === 'updatedAt') return { path: '_meta.updatedAt', direction };
  const model = fields.find((f) => fieldName(f.jsonKey) === field);
  if (!model) throw new GraphQLError(`cannot order by "${field}"`, { extensions: { code: 'BAD_USER_INPUT' } });
  return { path: `data.${model.jsonKey}`, direction };
}

export function mongoSort(sort: Sort): Record<string, 1 | -1> {
  return sort.path === '_id' ? { _id: sort.direction } : { [sort.path]: sort.direction, _id: sort.direction };
}

/** Cursor = base64url JSON of [sort value, _id] of the last row returned. */
export function encodeCursor(sortValue: unknown, id: string): string {
  return Buffer.from(JSON.stringify([sortValue instanceof Date ? { $date: sortValue.toISOString() } : sortValue ?? null, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { value: unknown; id: string } {
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, string];
    if (typeof id !== 'string') throw new Error('no id');
    const restored = value && typeof value === 'object' && '$date' in (value as object) ? new Date((value as { $date: string }).$date) : value;
    return { value: restored, id };
  } catch {
    throw new GraphQLError('invalid cursor', { extensions: { code: 'BAD_USER_INPUT' } });
  }
}

/**
 * Rows strictly after the cursor in (sort value, _id) order. MongoDB sorts null (and missing)
 * before every value, so ascending, nulls come first and descending, last.
 */
export function afterCursor(sort: Sort, cursor: { value: unknown; id: string }): Filter {
  const idAfter = { _id: { [sort.direction === 1 ? '$gt' : '$lt']: cursor.id } };
  if (sort.path === '_id') return idAfter;
  const { path } = sort;
  if (cursor.value === null || cursor.value === undefined) {
    return sort.direction === 1
      ? { $or: [{ [path]: null, ...idAfter }, { [path]: { $ne: null } }] }
      : { [path]: null, ...idAfter };
  }
  const beyond = { [path]: { [sort.direction === 1 ? '$gt' : '$lt']: cursor.value } };
  const tie = { [path]: cursor.value, ...idAfter };
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

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
