import { modelObject, type FieldModel } from '../../catalog/field-model';
import { AppError, ErrorCode } from '../../errors';
import { parseFieldPath } from '../../mapping/json-path';
import type { DimValue } from '../../metrics/aggregation';
import type { MetricDefinition } from '../../metrics/metric-definition';
import { compileWhere, type FieldTarget, type WhereClause } from '../subject/where-filter';
import { matchesClause } from '../subject/where-matcher';

/**
 * `metric(where:)` and `metricUpdated(where:)` in the one filter language (subject/where-filter.ts):
 * the subject's `where` shape over the metric's dimensions, each typed by the subject field it
 * reads (`region` → String, a dimension of a Decimal field → Decimal, compared by value), read by
 * the same matcher as subscriptions, so a metric filter and a list filter agree on every value:
 * `{region: {eq: "eu-west"}}`, `{region: {in: [...]}, or: [...]}`, `{amount: {gte: "10"}}`,
 * `{region: {isNull: true}}`. A value or a list of values is short for `eq` / `in` (`null` for
 * `isNull: true`), as before. A bucket holds null for a dimension whose value was null or absent,
 * so `exists` cannot be told and is refused; an unknown dimension or operator, or an operand that
 * is not a value of the dimension's type, is BAD_USER_INPUT naming its path — never an empty answer.
 */
export type DimensionsMatch = (dims: Readonly<Record<string, DimValue>>) => boolean;

export function compileMetricWhere(where: unknown, definition: MetricDefinition, subjectSchema: Record<string, unknown> | undefined): DimensionsMatch | null {
  if (where === null || where === undefined) return null;
  const fields = dimensionFields(definition, subjectFieldsOf(subjectSchema));
  const clause = compileWhere(normalize(where, 'where'), fields);
  return (dims) => matchesClause(clause, Object.fromEntries(definition.dimensions.map((d) => [d.name, dims[d.name] ?? null])));
}

/**
 * The scalar of the subject field each dimension reads (`enum` for an enum, `JSON` when unknown),
 * as `where` types it: the reader merges the rows of a kept Decimal, Int, Long, Float or DateTime
 * dimension by value (MetricQuery.dimensionScalars), as `where` compares them.
 */
export function dimensionScalars(definition: MetricDefinition, subject: readonly FieldModel[]): Record<string, string> {
  const scalars: Record<string, string> = Object.create(null);
  for (const field of dimensionFields(definition, subject)) scalars[field.jsonKey] = field.kind === 'scalar' ? field.scalar : field.kind;
  return scalars;
}

/** The subject's fields as its catalog schema models them (empty when the subject is not served). */
export function subjectFieldsOf(subjectSchema: Record<string, unknown> | undefined): FieldModel[] {
  return subjectSchema ? modelObject(subjectSchema) : [];
}

/** Each dimension as a field named like it, of the type of the subject field it reads (JSON when unknown). */
function dimensionFields(definition: MetricDefinition, subject: readonly FieldModel[]): FieldModel[] {
  return definition.dimensions.map((dimension): FieldModel => {
    const parsed = parseFieldPath(dimension.field);
    let level: readonly FieldModel[] = subject;
    let field: FieldModel | undefined;
    for (const segment of parsed.ok ? parsed.segments : []) {
      if (segment.kind === 'wildcard') {
        field = field?.kind === 'list' ? field.item : undefined;
      } else if (segment.kind === 'name') {
        field = level.find((f) => f.jsonKey === segment.name);
      } else {
        field = undefined;
      }
      if (!field) break;
      level = field.kind === 'object' ? field.fields : [];
    }
    if (field?.kind === 'scalar') return { jsonKey: dimension.name, kind: 'scalar', scalar: field.scalar };
    if (field?.kind === 'enum') return { jsonKey: dimension.name, kind: 'enum', values: field.values };
    return { jsonKey: dimension.name, kind: 'scalar', scalar: 'JSON' };
  });
}

const isValue = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** The shorthand (a value, a list of values) as operators, in `and`/`or` lists too. */
function normalize(where: unknown, at: string): Record<string, unknown> {
  if (typeof where !== 'object' || where === null || Array.isArray(where)) {
    throw new AppError(
      ErrorCode.BAD_USER_INPUT,
      `${at} must be an object of dimension filters, e.g. {"region": {"in": ["eu-west"]}} or {"region": "eu-west"}`,
      { details: { argument: at, value: where } },
    );
  }
  const out: Record<string, unknown> = {};
  for (const [key, condition] of Object.entries(where)) {
    const path = `${at}.${key}`;
    if ((key === 'and' || key === 'or') && Array.isArray(condition)) {
      out[key] = [...((out[key] as unknown[] | undefined) ?? []), ...condition.map((w, i) => normalize(w, `${path}[${i}]`))];
    } else if (condition === null) {
      out[key] = { isNull: true };
    } else if (isValue(condition)) {
      out[key] = { eq: condition };
    } else if (Array.isArray(condition)) {
      if (!condition.every(isValue)) throw badDimension(path, condition);
      const values = condition.filter((v) => v !== null);
      const shorthand = condition.includes(null) ? { or: [{ [key]: { isNull: true } }, { [key]: { in: values } }] } : null;
      if (shorthand) out.and = [...((out.and as unknown[] | undefined) ?? []), shorthand];
      else out[key] = { in: values };
    } else {
      if ('exists' in condition) {
        throw new AppError(
          ErrorCode.BAD_USER_INPUT,
          `${path}.exists: a metric bucket holds null for a dimension value that was null or absent, so they cannot be told apart: use isNull`,
          { details: { argument: `${path}.exists`, value: (condition as Record<string, unknown>).exists } },
        );
      }
      out[key] = condition;
    }
  }
  return out;
}

function badDimension(path: string, value: unknown): AppError {
  return new AppError(ErrorCode.BAD_USER_INPUT, `${path}: a list of values takes values only, e.g. ["a", "b"]; got ${JSON.stringify(value)}`, {
    details: { argument: path, value },
  });
}

/**
 * `<plural>Metric(where:)` and `<plural>MetricUpdated(where:)`: the subject's own generated
 * `<Type>Where`, over the fields the metric's dimensions read. The input is compiled as a list
 * compiles it (same types, operators and by-value operands), then each field it names must be the
 * field of a dimension (`region`, `customer.email`); a bucket is matched by the same matcher as a
 * subscription, on a document rebuilt from its dimension values (null for null or absent). A
 * field no dimension reads (or `id`) is BAD_USER_INPUT naming it and the dimensions' fields;
 * `exists` is refused as in `metric(where:)` — never an empty answer.
 */
export function compileSubjectMetricWhere(
  where: Record<string, unknown> | null | undefined,
  definition: MetricDefinition,
  fields: readonly FieldModel[],
): DimensionsMatch | null {
  if (where === null || where === undefined) return null;
  const clause = compileWhere(where, fields);
  const byPath = new Map<string, string>();
  for (const dimension of definition.dimensions) {
    const parsed = parseFieldPath(dimension.field);
    if (parsed.ok && parsed.segments.every((s) => s.kind === 'name')) byPath.set(dimension.field, dimension.name);
  }
  const readable = [...byPath.keys()];
  checkTargets(clause, (target, what) => {
    const argument = `where.${target.kind === 'id' ? 'id' : target.path.join('.')}`;
    const path = target.kind === 'id' ? null : target.path.join('.');
    if (path === null || !byPath.has(path)) {
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `${argument}: metric "${definition.name}" has no dimension of that field (its dimensions read ${readable.join(', ') || 'no field'})`,
        { details: { argument, value: path ?? 'id' } },
      );
    }
    if (what === 'exists') {
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `${argument}.exists: a metric bucket holds null for a dimension value that was null or absent, so they cannot be told apart: use isNull`,
        { details: { argument: `${argument}.exists`, value: true } },
      );
    }
  });
  return (dims) => {
    const data: Record<string, unknown> = {};
    for (const [path, name] of byPath) setPath(data, path.split('.'), dims[name] ?? null);
    return matchesClause(clause, data);
  };
}

function checkTargets(clause: WhereClause, check: (target: FieldTarget, kind: WhereClause['kind']) => void): void {
  if ('parts' in clause) for (const part of clause.parts) checkTargets(part, check);
  else if ('target' in clause) check(clause.target, clause.kind);
}

function setPath(into: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = into;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === 'object' && next !== null ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}
