import { GraphQLBoolean, GraphQLFloat, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString, type GraphQLFieldConfigMap } from 'graphql';
import { AppError, ErrorCode } from '../../errors';
import { parseFieldPath, type PathSegment } from '../../mapping/json-path';
import { compileGetter } from '../../mapping/path-getter';
import { addDec, averageOfText, formatDec, higherDec, lowerDec, toDec, type Dec } from '../../values/decimal';
import type { AggregateLimits } from '../../metrics/metric-reader';
import type { StoredEntity } from '../../state/entity-store';
import { requireSubjectRead } from '../access';
import type { ApiContext } from '../context';
import { fieldName } from '../naming';
import { DecimalScalar, JSONScalar } from '../scalars';
import type { FieldModel } from '../../catalog/field-model';
import { groupValuesOf, type GroupValues } from '../../values/group-value';
import { whereToMongo } from './list-query';
import type { SubjectTypes } from './subject-schema';

/**
 * `<plural>Aggregate(where, groupBy, measure)`: count, exact sum, avg, min and max over the
 * current state of a subject, grouped by field values; computed in code (the store has no
 * `$group` accumulators to rely on), so its cost is bounded: at most `maxScan` entities read and
 * `maxGroups` groups, beyond which the query fails with LIMIT_EXCEEDED instead of running long.
 * Metrics (rollups maintained while streaming) are the way to aggregate big subjects.
 */
export const DEFAULT_AGGREGATE_LIMITS: AggregateLimits = { maxScan: 100_000, maxGroups: 1_000 };

const AggregateGroup = new GraphQLObjectType<GroupResult>({
  name: 'AggregateGroup',
  description: 'Aggregate of the entities sharing one combination of groupBy values.',
  fields: {
    group: {
      type: new GraphQLNonNull(JSONScalar),
      description:
        'The groupBy field values, e.g. {"region": "eu-west"} ({} without groupBy). Grouped by value, as `eq` compares: "12.5" and "12.50", or one instant in two offsets, are one group, shown in the spelling with the most fractional digits (of those, the first in code-unit order).',
    },
    count: { type: new GraphQLNonNull(GraphQLInt), description: 'Entities in the group.' },
    sum: { type: DecimalScalar, description: 'Exact sum of the numeric measure values (entities without one are skipped).' },
    avg: {
      type: GraphQLFloat,
      description:
        'sum / number of measure values, as a double (IEEE 754: about 15–17 significant digits, rounded to nearest; null when beyond a double, about ±1.8e308); sum and count are exact.',
    },
    min: { type: DecimalScalar },
    max: { type: DecimalScalar },
  },
});

interface GroupResult {
  group: Record<string, unknown>;
  count: number;
  sum: string | null;
  avg: number | null;
  min: string | null;
  max: string | null;
}

interface AggregateArgs {
  where?: Record<string, unknown> | null;
  groupBy?: string[] | null;
  measure?: string | null;
  includeDeleted?: boolean;
}

export function aggregateQuery(types: SubjectTypes): GraphQLFieldConfigMap<unknown, ApiContext> {
  const { subject, names, fields } = types;
  return {
    [names.aggregate]: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(AggregateGroup))),
      description: `Ad-hoc aggregate over current ${names.type} state: count, and sum/avg/min/max of \`measure\` (a numeric field path), per \`groupBy\` field paths. Bounded: too many entities or groups fail with LIMIT_EXCEEDED (use a metric).`,
      args: {
        where: { type: types.where },
        groupBy: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)), description: 'Field paths, e.g. ["region"] or ["customer.email"].' },
        measure: {
          type: GraphQLString,
          description: 'A numeric or decimal field path in the metric definitions\' syntax, e.g. "amount" or "line_items[*].price" (one value per element).',
        },
        includeDeleted: { type: GraphQLBoolean, defaultValue: false },
      },
      resolve: async (_root, args: AggregateArgs, ctx) => {
        requireSubjectRead(ctx.principal, subject);
        const limits = ctx.services.metrics?.limits ?? DEFAULT_AGGREGATE_LIMITS;
        const groupBy = (args.groupBy ?? []).map((path, i) => readerOf(path, fields, `groupBy[${i}]`, false));
        const measure = args.measure ? readerOf(args.measure, fields, 'measure', true) : null;
        const filter = whereToMongo(args.where, fields);
        const query = { $and: [filter, args.includeDeleted ? { '_meta.purged': { $ne: true } } : { '_meta.deleted': false }] };
        const projection: Record<string, 1> = { _id: 1 };
        for (const r of [...groupBy, ...(measure ? [measure] : [])]) projection[`data.${r.root}`] = 1;
        const cursor = ctx.services.store
          .collection(subject)
          .find(query, { projection })
          .limit(limits.maxScan + 1);
        const groups = new Map<string, { shown: unknown[]; count: number; values: number; sum: Dec | null; min: Dec | null; max: Dec | null }>();
        let scanned = 0;
        for await (const doc of cursor as AsyncIterable<StoredEntity>) {
          scanned += 1;
          if (scanned > limits.maxScan) {
            await cursor.close();
            throw new AppError(
              ErrorCode.LIMIT_EXCEEDED,
              `${names.aggregate} would scan more than ${limits.maxScan} entities: narrow \`where\`, or define a metric`,
            );
          }
          const values = groupBy.map((r) => normalizeGroupValue(r.read(doc.data)));
          // One group per value, as `eq` compares ("12.5" and "12.50" are one): see values/group-value.ts.
          const id = JSON.stringify(values.map((v, i) => groupBy[i]!.values.identity(v)));
          let group = groups.get(id);
          if (!group) {
            if (groups.size >= limits.maxGroups) {
              await cursor.close();
              throw new AppError(
                ErrorCode.LIMIT_EXCEEDED,
                `${names.aggregate} would return more than ${limits.maxGroups} groups: narrow \`where\` or \`groupBy\``,
              );
            }
            group = { shown: values, count: 0, values: 0, sum: null, min: null, max: null };
            groups.set(id, group);
          } else {
            for (let i = 0; i < groupBy.length; i += 1) group.shown[i] = groupBy[i]!.values.shown(group.shown[i], values[i]);
          }
          group.count += 1;
          // A `[*]` measure contributes one value per element, like a per-element metric.
          const read = measure ? measure.read(doc.data) : undefined;
          for (const raw of Array.isArray(read) && measure?.perElement ? read.flat(Infinity) : [read]) {
            const value = toDec(raw);
            if (!value) continue;
            group.values += 1;
            group.sum = group.sum ? addDec(group.sum, value) : value;
            group.min = group.min ? lowerDec(group.min, value) : value;
            group.max = group.max ? higherDec(group.max, value) : value;
          }
        }
        return [...groups.values()].map(
          (g): GroupResult => ({
            group: Object.fromEntries(groupBy.map((r, i) => [r.path, g.shown[i]])),
            count: g.count,
            sum: g.sum && formatDec(g.sum),
            avg: g.sum && g.values > 0 ? averageOfText(formatDec(g.sum), g.values) : null,
            min: g.min && formatDec(g.min),
            max: g.max && formatDec(g.max),
          }),
        );
      },
    },
  };
}

/**
 * A field path in the metric definitions' syntax (`region`, `customer.email`, `line_items[*].price`),
 * checked against the subject's fields: an unknown field at any depth, or a list crossed without
 * `[*]` (`line_items.price`), is BAD_USER_INPUT naming the argument and the path — never a null sum.
 * `[*]` is allowed in `measure` (one value per element) and not in `groupBy`.
 */
function readerOf(
  path: string,
  fields: readonly FieldModel[],
  argument: string,
  allowWildcard: boolean,
): { path: string; root: string; perElement: boolean; read: (data: unknown) => unknown; values: GroupValues } {
  const refuse = (why: string): never => {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `${argument}: "${path}" ${why}`, { details: { argument, value: path } });
  };
  const parsed = parseFieldPath(path);
  if (!parsed.ok) return refuse(`is not a field path (${parsed.problem})`);
  let level: readonly FieldModel[] | null = fields;
  let current: FieldModel | null = null;
  const segments: PathSegment[] = [];
  let wildcards = 0;
  for (const segment of parsed.segments) {
    if (segment.kind === 'wildcard') {
      if (!allowWildcard) refuse('iterates a list: group by an element field with a metric instead');
      if (current?.kind !== 'list') refuse('has [*] after a field that is not a list');
      wildcards += 1;
      segments.push(segment);
      current = (current as Extract<FieldModel, { kind: 'list' }>).item;
      level = current.kind === 'object' ? current.fields : null;
      continue;
    }
    if (segment.kind !== 'name') refuse('may use field names and [*] only');
    const name = (segment as { name: string }).name;
    if (current?.kind === 'list')
      refuse(
        `crosses the list "${current.jsonKey}" without [*]: write it as in the metric definitions, e.g. "${path.replace(`${current.jsonKey}.`, `${current.jsonKey}[*].`)}"`,
      );
    const field: FieldModel | undefined = level?.find((f) => f.jsonKey === name || fieldName(f.jsonKey) === name);
    if (!field)
      refuse(`is not a field path of this subject: no field "${name}"${level ? ` (fields there: ${level.map((f) => fieldName(f.jsonKey)).join(', ')})` : ''}`);
    current = field!;
    segments.push({ kind: 'name', name: field!.jsonKey });
    level = field!.kind === 'object' ? field!.fields : null;
  }
  if (wildcards > 1) refuse('iterates more than one list');
  if (current && (current.kind === 'object' || current.kind === 'list'))
    refuse(
      `names ${current.kind === 'list' ? 'a list' : 'an object'}, not a value${current.kind === 'list' && allowWildcard ? ` (write "${path}[*]..." for its elements)` : ''}`,
    );
  return {
    path,
    root: (segments[0] as { name: string }).name,
    perElement: wildcards > 0,
    read: compileGetter(segments),
    values: groupValuesOf(current?.kind === 'scalar' ? current.scalar : null),
  };
}

function normalizeGroupValue(value: unknown): unknown {
  if (value === undefined) return null;
  return value instanceof Date ? value.toISOString() : value;
}
