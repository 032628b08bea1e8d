import { GraphQLList, GraphQLNonNull, GraphQLString, type GraphQLFieldConfigArgumentMap, type GraphQLFieldConfigMap } from 'graphql';
import { AppError, ErrorCode } from '../../errors';
import type { MetricDefinition } from '../../metrics/metric-definition';
import { noActiveMetric } from '../../metrics/metric-reader';
import { canReadSubject, requireSubjectRead } from '../access';
import type { ApiContext } from '../context';
import { DateTimeScalar } from '../scalars';
import type { SharedTypes, SubjectTypes } from '../subject/subject-schema';
import { metricsOf, windowOf } from './metric.resolver';
import { compileSubjectMetricWhere, dimensionScalars, type DimensionsMatch } from './metric-where';

/**
 * `<plural>Metric(name, window, from, to, where, groupBy)`: a metric of one subject, filtered with
 * the subject's own generated `<Type>Where` — the input its list, its `<plural>Aggregate` and its
 * `<single>Changed` take — over the fields the metric's dimensions read. `name` is a string
 * checked against the active definitions when the field runs (an unknown name, or a metric of
 * another subject, is BAD_USER_INPUT naming it): definitions are registered, activated and rolled
 * back at run time without rebuilding the schema, and their names (`order-amount`) are not GraphQL
 * names, so an enum would lag behind them and rename them. `<plural>MetricUpdated` (in
 * metric-subscription.ts) takes the same arguments.
 */
export interface SubjectMetricArgs {
  readonly name: string;
  readonly window: string;
  readonly from?: string | null;
  readonly to?: string | null;
  readonly where?: Record<string, unknown> | null;
  readonly groupBy?: string[] | null;
}

export function subjectMetricArgs(types: SubjectTypes, shared: SharedTypes, live: boolean): GraphQLFieldConfigArgumentMap {
  return {
    name: {
      type: new GraphQLNonNull(GraphQLString),
      description: `The name of an active metric definition of ${types.subject} (catalog { metricDefinitions }).`,
    },
    window: { type: new GraphQLNonNull(shared.MetricWindow), description: "One of the metric's windows." },
    ...(live
      ? {}
      : {
          from: { type: DateTimeScalar, description: 'Windows starting at or after (inclusive).' },
          to: { type: DateTimeScalar, description: 'Windows starting before (exclusive); must be after `from`.' },
        }),
    where: {
      type: types.where,
      description: `The ${types.names.type} filter of \`${types.names.list}\`, over the fields the metric's dimensions read (compared by value); \`exists\` is refused: a bucket holds null for a null or absent value.`,
    },
    groupBy: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)), description: 'Dimension names kept (the others are merged); absent: all.' },
  };
}

/** The active definition named, which must be a metric of this subject; the reader must be allowed to read the subject. */
export function subjectMetricDefinition(ctx: ApiContext, types: SubjectTypes, name: string): MetricDefinition {
  requireSubjectRead(ctx.principal, types.subject);
  const metrics = metricsOf(ctx);
  const definition = metrics.definition(name);
  const own = () =>
    metrics
      .definitions()
      .filter((d) => d.subject === types.subject)
      .map((d) => d.name);
  // A metric of a subject the caller may not read is answered as one that does not exist.
  if (!definition || !canReadSubject(ctx.principal, definition.subject)) {
    throw noActiveMetric(name, own(), types.subject);
  }
  if (definition.subject !== types.subject) {
    throw new AppError(
      ErrorCode.BAD_USER_INPUT,
      `name: metric "${name}" aggregates ${definition.subject}, not ${types.subject} (active metrics of ${types.subject}: ${own().join(', ') || 'none'})`,
      { details: { argument: 'name', value: name } },
    );
  }
  return definition;
}

/** The scalar of each dimension, from the subject's fields: kept Decimal, Int, Long, Float and DateTime dimensions merge by value. */
export function subjectMetricScalars(types: SubjectTypes, definition: MetricDefinition): Record<string, string> {
  return dimensionScalars(definition, types.fields);
}

/** `where` compiled for the metric, or null for every bucket. */
export function subjectMetricMatcher(types: SubjectTypes, definition: MetricDefinition, where: SubjectMetricArgs['where']): DimensionsMatch | null {
  return compileSubjectMetricWhere(where, definition, types.fields);
}

export function subjectMetricQuery(types: SubjectTypes, shared: SharedTypes): GraphQLFieldConfigMap<unknown, ApiContext> {
  return {
    [types.names.metric]: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(shared.MetricBucket))),
      description: `Buckets of a metric of ${types.names.type} whose window starts in [from, to), oldest first, for the entities matching \`where\` (the filter of \`${types.names.list}\`).`,
      args: subjectMetricArgs(types, shared, false),
      resolve: (_root, args: SubjectMetricArgs, ctx) => {
        const definition = subjectMetricDefinition(ctx, types, args.name);
        return metricsOf(ctx).query({
          name: definition.name,
          window: windowOf(args.window),
          from: args.from ? new Date(args.from) : null,
          to: args.to ? new Date(args.to) : null,
          matches: subjectMetricMatcher(types, definition, args.where),
          groupBy: args.groupBy ?? null,
          dimensionScalars: subjectMetricScalars(types, definition),
        });
      },
    },
  };
}
