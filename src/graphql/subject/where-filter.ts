import { GraphQLError } from 'graphql';
import { isKeyedScalar, keyOf, type KeyedScalar } from '../../values/order-key';
import { fieldName } from '../naming';
import type { FieldModel } from '../../catalog/field-model';

/**
 * The one filter language: a subject's generated `where` input compiled once into a tree of
 * clauses, which two backends read with the same semantics: the store filter (list-query.ts,
 * for lists, aggregates) and the in-memory matcher (where-matcher.ts, for subscriptions and
 * metric buckets). Operands of Decimal, Int, Float and DateTime fields are compiled to order keys
 * (values/order-key.ts), so both sides compare by value ("12.5" = "12.50"; "…T10:00:00+02:00" =
 * "…T08:00:00Z"; "9.00" < "10.00").
 *
 * Semantics, on every side:
 * - `eq`/`in`: equal by value; a null or absent field equals nothing (`eq: null` means `isNull: true`).
 * - `ne`: not `eq` (so a null or absent field matches); `ne: null` means `isNull: false`.
 * - `lt lte gt gte`: only values of the field's type compare; null and absent never match.
 * - `contains`: substring of a string value.
 * - a String or ID operand is well-formed text: one with a lone surrogate is BAD_USER_INPUT.
 * - `exists`: the field is present in the document (its value may be null); `false`: absent.
 * - `isNull`: the field has no value (null or absent); `false`: it has one.
 */
export type ComparisonOp = 'eq' | 'ne' | 'in' | 'lt' | 'lte' | 'gt' | 'gte';

export type WhereClause =
  | { readonly kind: 'all' }
  | { readonly kind: 'and' | 'or'; readonly parts: readonly WhereClause[] }
  /** `path`: JSON keys from the document root (`['customer', 'email']`); `id`: the entity key. */
  | { readonly kind: 'compare'; readonly target: FieldTarget; readonly op: ComparisonOp; readonly operand: unknown }
  | { readonly kind: 'contains'; readonly target: FieldTarget; readonly text: string }
  | { readonly kind: 'exists'; readonly target: FieldTarget; readonly present: boolean }
  | { readonly kind: 'isNull'; readonly target: FieldTarget; readonly isNull: boolean };

export type FieldTarget =
  | { readonly kind: 'id' }
  /** `keyed`: compared through order keys (`_k.<path>`), else through the value (`data.<path>`). */
  | { readonly kind: 'field'; readonly path: readonly string[]; readonly keyed: KeyedScalar | null };

const COMPARISONS = new Set(['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte']);

/**
 * Bounds of one filter, refused with BAD_USER_INPUT naming the argument: `and`/`or` nested deeper
 * than this (a filter nested 50 deep is past MongoDB's 100 levels of a query document, and the
 * compile, the store and the in-memory matcher all recurse per level), and a `contains` longer
 * than this many characters (it becomes a regular expression the store compiles for every
 * document it tests: MongoDB refuses one over 32 KiB, and the local store spent minutes on one
 * of 100 KB, holding its lock for every other request), and an `in` list of more values than this
 * (the local store tests each document against the list one value after another: 100,000 values
 * over 5,000 documents took it 34 s of a core, going on after the request gave up).
 */
export const MAX_WHERE_NESTING = 32;
export const MAX_CONTAINS_LENGTH = 1000;
export const MAX_IN_VALUES = 1000;

/**
 * Compiles a `where` input. `argument` names it in errors (`where.amount.gt`): an unknown field
 * or operator, or an operand that is not a value of the field's type, is BAD_USER_INPUT naming
 * its path and value — never an empty answer.
 */
export function compileWhere(where: Record<string, unknown> | null | undefined, fields: readonly FieldModel[], argument = 'where'): WhereClause {
  return compileObject(where, fields, [], argument, true, 0);
}

function compileObject(
  where: Record<string, unknown> | null | undefined,
  fields: readonly FieldModel[],
  prefix: readonly string[],
  at: string,
  top: boolean,
  nesting: number,
): WhereClause {
  if (where === null || where === undefined) return ALL;
  if (typeof where !== 'object' || Array.isArray(where)) throw badInput(`${at} must be an object of field filters`, at, where);
  const parts: WhereClause[] = [];
  for (const [key, condition] of Object.entries(where)) {
    if (condition === undefined || condition === null) continue;
    const path = `${at}.${key}`;
    if (top && (key === 'and' || key === 'or')) {
      if (!Array.isArray(condition)) throw badInput(`${path} must be a list`, path, condition);
      if (nesting >= MAX_WHERE_NESTING) throw badInput(`${path}: and/or nest deeper than ${MAX_WHERE_NESTING} levels`, path, null);
      const list = condition.map((w, i) => compileObject(w as Record<string, unknown>, fields, prefix, `${path}[${i}]`, true, nesting + 1));
      parts.push(list.length === 0 ? ALL : { kind: key, parts: list });
      continue;
    }
    // `id` is the entity's key, unless a canonical field is named so: the entity type then shows
    // that field as `id` (entity-type.ts), and the filter (whose input type is that field's) reads it.
    if (top && key === 'id' && prefix.length === 0 && !showsCanonicalId(fields)) {
      parts.push(...compileScalar(condition, { kind: 'id' }, 'ID', path));
      continue;
    }
    const field = fields.find((f) => fieldName(f.jsonKey) === key);
    if (!field || field.kind === 'list')
      throw badInput(
        `${path}: unknown filter field "${key}" (fields: ${fields
          .filter((f) => f.kind !== 'list')
          .map((f) => fieldName(f.jsonKey))
          .join(', ')})`,
        path,
        key,
      );
    const fieldPath = [...prefix, field.jsonKey];
    if (field.kind === 'object') {
      parts.push(compileObject(condition as Record<string, unknown>, field.fields, fieldPath, path, false, nesting));
      continue;
    }
    const scalar = field.kind === 'enum' ? 'Enum' : field.scalar;
    parts.push(...compileScalar(condition, { kind: 'field', path: fieldPath, keyed: isKeyedScalar(scalar) ? scalar : null }, scalar, path));
  }
  const meaningful = parts.filter((p) => p.kind !== 'all');
  return meaningful.length === 0 ? ALL : meaningful.length === 1 ? meaningful[0]! : { kind: 'and', parts: meaningful };
}

const ALL: WhereClause = { kind: 'all' };

/** Whether a canonical field is served as the entity's `id` (entity-type.ts): `id` in filters and sorts is then that field, not the key. */
export function showsCanonicalId(fields: readonly FieldModel[]): boolean {
  return fields.some((f) => fieldName(f.jsonKey) === 'id');
}

function compileScalar(condition: unknown, target: FieldTarget, scalar: string, at: string): WhereClause[] {
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) throw badInput(`${at} must be an object of operators`, at, condition);
  const clauses: WhereClause[] = [];
  for (const [op, operand] of Object.entries(condition)) {
    if (operand === undefined) continue;
    const path = `${at}.${op}`;
    if ((op === 'eq' || op === 'ne') && operand === null) {
      // The key is never null: `id: {eq: null}` matches no entity, as `isNull: true` does.
      clauses.push({ kind: 'isNull', target, isNull: op === 'eq' });
    } else if (COMPARISONS.has(op)) {
      if (operand === null) continue;
      if (op === 'in' && Array.isArray(operand) && operand.length > MAX_IN_VALUES)
        throw badInput(`${path}: a list of ${operand.length} values; at most ${MAX_IN_VALUES} are allowed`, path, operand.slice(0, 3));
      const value =
        op === 'in'
          ? (Array.isArray(operand) ? operand : [operand]).map((o, i) => operandOf(o, target, scalar, `${path}[${i}]`))
          : operandOf(operand, target, scalar, path);
      clauses.push({ kind: 'compare', target, op: op as ComparisonOp, operand: value });
    } else if (op === 'contains') {
      if (typeof operand !== 'string') throw badInput(`${path} must be a string`, path, operand);
      if (operand.length > MAX_CONTAINS_LENGTH)
        throw badInput(`${path}: a text of ${operand.length} characters; at most ${MAX_CONTAINS_LENGTH} are allowed`, path, `${operand.slice(0, 40)}…`);
      clauses.push({ kind: 'contains', target, text: wellFormed(operand, path) });
    } else if (op === 'exists' || op === 'isNull') {
      if (typeof operand !== 'boolean') throw badInput(`${path} must be true or false`, path, operand);
      clauses.push(op === 'exists' ? { kind: 'exists', target, present: operand } : { kind: 'isNull', target, isNull: operand });
    } else {
      throw badInput(`${path}: unknown operator "${op}"`, path, op);
    }
  }
  return clauses;
}

/** The operand as the store holds it: an order key for keyed fields, the value otherwise. */
function operandOf(operand: unknown, target: FieldTarget, scalar: string, at: string): unknown {
  if (target.kind === 'field' && target.keyed) {
    const key = keyOf(target.keyed, operand);
    if (key === null) throw badInput(`${at}: ${JSON.stringify(operand)} is not a ${target.keyed}`, at, operand);
    return key;
  }
  const expected = scalar === 'Boolean' ? 'boolean' : 'string';
  if (typeof operand !== expected) throw badInput(`${at}: ${JSON.stringify(operand)} is not a ${scalar}`, at, operand);
  return typeof operand === 'string' ? wellFormed(operand, at) : operand;
}

/**
 * A text operand as the store will compare it. A lone surrogate (an unpaired \uD800–\uDFFF code
 * unit, which a JSON variable can carry) is written by the store's BSON as U+FFFD: the store would
 * compare another text than the matcher, and answer entities holding U+FFFD. No stored text holds
 * one (ingestion refuses them), so such an operand is refused, naming the argument.
 */
function wellFormed(text: string, at: string): string {
  if (!text.isWellFormed())
    throw badInput(`${at}: ${JSON.stringify(text)} holds a lone surrogate (an unpaired \\uD800–\\uDFFF code unit), which no stored text can hold`, at, text);
  return text;
}

function badInput(message: string, argument: string, value: unknown): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argument, value: value === undefined ? null : value } });
}
