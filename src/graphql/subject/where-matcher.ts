import { keyOf } from '../../values/order-key';
import type { FieldModel } from '../../catalog/field-model';
import { compileWhere, type FieldTarget, type WhereClause } from './where-filter';

/**
 * The in-memory backend of the filter language (where-filter.ts), for the change feed and metric
 * buckets: decides whether one canonical document matches a compiled `where`, with the semantics
 * the store filter has (clauseToMongo) — same order keys, same null and absent rules.
 */
export function matchesWhere(
  where: Record<string, unknown> | null | undefined,
  fields: readonly FieldModel[],
  data: Record<string, unknown> | null,
  id?: string,
): boolean {
  return matchesClause(compileWhere(where, fields), data, id);
}

export function matchesClause(clause: WhereClause, data: Record<string, unknown> | null, id?: string): boolean {
  switch (clause.kind) {
    case 'all':
      return true;
    case 'and':
      return clause.parts.every((p) => matchesClause(p, data, id));
    case 'or':
      return clause.parts.some((p) => matchesClause(p, data, id));
    case 'compare': {
      const value = comparedValue(clause.target, data, id);
      switch (clause.op) {
        case 'eq':
          return same(value, clause.operand);
        case 'ne':
          return !same(value, clause.operand);
        case 'in':
          return (clause.operand as unknown[]).some((o) => same(value, o));
        case 'lt':
          return comparable(value, clause.operand) && (value as string) < (clause.operand as string);
        case 'lte':
          return comparable(value, clause.operand) && (value as string) <= (clause.operand as string);
        case 'gt':
          return comparable(value, clause.operand) && (value as string) > (clause.operand as string);
        case 'gte':
          return comparable(value, clause.operand) && (value as string) >= (clause.operand as string);
      }
      break;
    }
    case 'contains': {
      const value = lookup(clause.target, data, id);
      return typeof value.value === 'string' && value.value.includes(clause.text);
    }
    case 'exists':
      return lookup(clause.target, data, id).present === clause.present;
    case 'isNull': {
      const value = lookup(clause.target, data, id).value;
      return (value === null || value === undefined) === clause.isNull;
    }
  }
  return false;
}

/** A keyed field compares by its order key (null when the value has none), others by value. */
function comparedValue(target: FieldTarget, data: Record<string, unknown> | null, id?: string): unknown {
  const { value } = lookup(target, data, id);
  if (target.kind === 'field' && target.keyed) {
    if (value === null || value === undefined) return null;
    return keyOf(target.keyed, value);
  }
  return value ?? null;
}

function lookup(target: FieldTarget, data: Record<string, unknown> | null, id?: string): { present: boolean; value: unknown } {
  if (target.kind === 'id') return { present: id !== undefined, value: id ?? null };
  let node: unknown = data;
  for (const part of target.path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, part)) return { present: false, value: null };
    node = (node as Record<string, unknown>)[part];
  }
  return { present: true, value: node };
}

const same = (a: unknown, b: unknown) => a !== null && a !== undefined && a === b;
/** Like the store's type bracketing: only two values of one type compare. */
const comparable = (a: unknown, b: unknown) => a !== null && a !== undefined && typeof a === typeof b;
