import { fieldName } from '../naming';
import type { FieldModel } from './field-model';

/**
 * The in-memory twin of `whereToMongo`, for the change feed: decides whether one canonical
 * document matches a `where` input, with the same operator semantics (a missing field is null;
 * `exists: false` matches null and missing).
 */
export function matchesWhere(where: Record<string, unknown> | null | undefined, fields: readonly FieldModel[], data: Record<string, unknown> | null, id?: string): boolean {
  if (!where) return true;
  for (const [key, condition] of Object.entries(where)) {
    if (condition === undefined || condition === null) continue;
    if (key === 'and') {
      if (!(condition as Record<string, unknown>[]).every((w) => matchesWhere(w, fields, data, id))) return false;
      continue;
    }
    if (key === 'or') {
      if (!(condition as Record<string, unknown>[]).some((w) => matchesWhere(w, fields, data, id))) return false;
      continue;
    }
    if (key === 'id' && id !== undefined) {
      if (!matchesScalar(id, condition as Record<string, unknown>)) return false;
      continue;
    }
    const field = fields.find((f) => fieldName(f.jsonKey) === key);
    if (!field) return false;
    const value = data?.[field.jsonKey] ?? null;
    if (field.kind === 'object') {
      if (!matchesWhere(condition as Record<string, unknown>, field.fields, (value as Record<string, unknown> | null) ?? null)) return false;
    } else if (!matchesScalar(value, condition as Record<string, unknown>)) {
      return false;
    }
  }
  return true;
}

function matchesScalar(value: unknown, ops: Record<string, unknown>): boolean {
  for (const [op, operand] of Object.entries(ops)) {
    if (operand === undefined) continue;
    switch (op) {
      case 'eq': if (!same(value, operand)) return false; break;
      case 'ne': if (same(value, operand)) return false; break;
      case 'in': if (!(operand as unknown[]).some((o) => same(value, o))) return false; break;
      case 'lt': if (!(comparable(value, operand) && (value as never) < (operand as never))) return false; break;
      case 'lte': if (!(comparable(value, operand) && (value as never) <= (operand as never))) return false; break;
      case 'gt': if (!(comparable(value, operand) && (value as never) > (operand as never))) return false; break;
      case 'gte': if (!(comparable(value, operand) && (value as never) >= (operand as never))) return false; break;
      case 'contains': if (typeof value !== 'string' || !value.includes(String(operand))) return false; break;
      case 'exists': if ((value !== null && value !== undefined) !== operand) return false; break;
      default: return false;
    }
  }
  return true;
}

const same = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);
const comparable = (a: unknown, b: unknown) => a !== null && a !== undefined && typeof a === typeof b;
