import { Arg, Ctx, Field, Float, Int, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { AppError, ErrorCode } from '../../errors';
import { WINDOW_SIZES, type WindowSize } from '../../metrics/metric-definition';
import { noActiveMetric, type MetricsReader } from '../../metrics/metric-reader';
import { canReadSubject, isScoped, requireSubjectRead } from '../access';
import type { ApiContext } from '../context';
import { DateTimeScalar, DecimalScalar, JSONScalar } from '../scalars';
import { compileMetricWhere, dimensionScalars, subjectFieldsOf, type DimensionsMatch } from './metric-where';

/**
 * Metric queries: `metric(name, window, from, to, where, groupBy)` over the rollups the metrics
 * role maintains, and `metricDefinitions`. Sums, minima and maxima are exact decimals; `avg` is
 * sum / count as a float.
 */
// Plain properties and no middleware: graphql's default resolver reads them, without a
// type-graphql wrapper per field of each of the up to maxGroups buckets a query returns.
@ObjectType('MetricBucket', { description: 'One window of a metric for one combination of dimension values.', simpleResolvers: true })
export class MetricBucketType {
  @Field(() => DateTimeScalar, { description: 'Start of the window (UTC, inclusive).' })
  start!: Date;

  @Field(() => JSONScalar, {
    description:
      'The grouped dimension values, e.g. {"region": "eu-west", "product": "MUG-CLASSIC"}. A dimension of a Decimal, Int, Long, Float or DateTime field is grouped by value, as `eq` compares: "12.5" and "12.50", or one instant in two offsets, are one row, shown in the spelling with the most fractional digits (of those, the first in code-unit order).',
  })
  dimensions!: Record<string, unknown>;

  @Field(() => Int, { description: 'Contributions counted (entities, or array elements for per-element metrics).' })
  count!: number;

  @Field(() => DecimalScalar, { nullable: true, description: 'Exact sum of the measure (null for a count-only metric).' })
  sum!: string | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'sum / count, as a double (IEEE 754: about 15–17 significant digits, rounded to nearest; null when beyond a double, about ±1.8e308); sum and count are exact.',
  })
  avg!: number | null;

  @Field(() => DecimalScalar, { nullable: true })
  min!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  max!: string | null;
}

@ObjectType('MetricBackfill', { description: 'Progress of the batch computation of a metric version from canonical state.' })
export class MetricBackfillType {
  @Field(() => String, { description: 'running, done or failed.' })
  state!: string;

  @Field(() => Int)
  scanned!: number;

  @Field(() => Int, { description: 'Entities in state when it started.' })
  total!: number;

  @Field(() => DateTimeScalar)
  startedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType('MetricDimension')
export class MetricDimensionType {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'Canonical field path; `[*]` iterates an array (one contribution per element).' })
  field!: string;
}

@ObjectType('MetricDefinition', { description: 'An active metric definition.' })
export class MetricDefinitionType {
  @Field(() => String)
  name!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String)
  subject!: string;

  @Field(() => String, { nullable: true, description: 'Measured field path (null: count only).' })
  measure!: string | null;

  @Field(() => String, { nullable: true, description: 'Field path the measure is multiplied by (price × qty).' })
  multiplyBy!: string | null;

  @Field(() => [MetricDimensionType])
  dimensions!: MetricDimensionType[];

  @Field(() => String, { description: 'The timestamp placing an entity in a window: a field path, or "changeTime".' })
  time!: string;

  @Field(() => [String], { description: 'Window sizes: minute, hour, day (UTC, tumbling).' })
  windows!: string[];

  @Field(() => MetricBackfillType, { nullable: true })
  backfill!: MetricBackfillType | null;
}

export function metricsOf(ctx: ApiContext): MetricsReader {
  const metrics = ctx.services.metrics;
  if (!metrics) throw new AppError(ErrorCode.NOT_FOUND, 'metrics are not enabled on this server (CANONQL_METRICS=false)');
  return metrics;
}

/** A metric is a read of the subject it aggregates: a reader scoped to other subjects gets FORBIDDEN. */
export function requireMetricRead(ctx: ApiContext, name: string): void {
  const metrics = metricsOf(ctx);
  const definition = metrics.definition(name);
  if (definition) requireSubjectRead(ctx.principal, definition.subject);
  else if (isScoped(ctx.principal)) {
    // The reader's own error lists every active metric: a scoped caller is told only of its own.
    const readable = metrics
      .definitions()
      .filter((d) => canReadSubject(ctx.principal, d.subject))
      .map((d) => d.name);
    throw noActiveMetric(name, readable);
  }
}

/** The window sizes as the enum `MetricWindow` (`metricUpdated` takes the same type from the built schema: SharedTypes). */
const MetricWindow = Object.fromEntries(WINDOW_SIZES.map((w) => [w, w])) as Record<WindowSize, WindowSize>;
registerEnumType(MetricWindow, { name: 'MetricWindow', description: 'A tumbling UTC window size.' });

export function windowOf(window: string): WindowSize {
  if (!WINDOW_SIZES.includes(window as WindowSize)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `window must be one of ${WINDOW_SIZES.join(', ')} (got "${window}")`);
  }
  return window as WindowSize;
}

/**
 * The metric's `where` compiled for its active definition (metric-where.ts): the filter language
 * over its dimensions; an unknown metric is left to the reader's BAD_USER_INPUT.
 */
export function metricMatcher(ctx: ApiContext, name: string, where: unknown): DimensionsMatch | null {
  const definition = metricsOf(ctx).definition(name);
  if (!definition) return null;
  return compileMetricWhere(where, definition, subjectSchemaOf(ctx, definition.subject));
}

/**
 * The scalar of each dimension of the active definition, from its subject's schema as `where`
 * types it: a kept Decimal, Int, Long, Float or DateTime dimension's rows merge by value
 * (MetricQuery.dimensionScalars). Null for an unknown metric (left to the reader's BAD_USER_INPUT).
 */
export function metricDimensionScalars(ctx: ApiContext, name: string): Record<string, string> | null {
  const definition = metricsOf(ctx).definition(name);
  if (!definition) return null;
  return dimensionScalars(definition, subjectFieldsOf(subjectSchemaOf(ctx, definition.subject)));
}

function subjectSchemaOf(ctx: ApiContext, subject: string): Record<string, unknown> | undefined {
  return ctx.services.catalog.list().find((s) => s.subject === subject)?.schema;
}

@Resolver()
export class MetricResolver {
  @Query(() => [MetricBucketType], {
    deprecationReason: "Use the metric's subject's `<plural>Metric` (`ordersMetric`), whose `where` is the subject's typed filter.",
    description:
      'Buckets of a metric whose window starts in [from, to), oldest first. `where`: the subject\'s filter language over the metric\'s dimensions, e.g. {"region": {"in": ["eu-west"]}, "amount": {"gte": "10"}}; a value or list of values is short for eq / in. `groupBy`: dimensions kept (the others are merged); absent: all.',
  })
  async metric(
    @Arg('name', () => String) name: string,
    @Arg('window', () => MetricWindow, { description: "One of the metric's windows." }) window: string,
    @Arg('from', () => DateTimeScalar, { nullable: true, description: 'Windows starting at or after (inclusive).' }) from: string | null,
    @Arg('to', () => DateTimeScalar, { nullable: true, description: 'Windows starting before (exclusive); must be after `from`.' }) to: string | null,
    @Arg('where', () => JSONScalar, { nullable: true }) where: unknown,
    @Arg('groupBy', () => [String], { nullable: true }) groupBy: string[] | null,
    @Ctx() ctx: ApiContext,
  ): Promise<MetricBucketType[]> {
    requireMetricRead(ctx, name);
    return metricsOf(ctx).query({
      name,
      window: windowOf(window),
      from: from ? new Date(from) : null,
      to: to ? new Date(to) : null,
      matches: metricMatcher(ctx, name, where),
      groupBy,
      dimensionScalars: metricDimensionScalars(ctx, name),
    });
  }

  @Query(() => [MetricDefinitionType], { description: 'The active metric definitions, with the progress of their backfill.' })
  async metricDefinitions(@Ctx() ctx: ApiContext): Promise<MetricDefinitionType[]> {
    const metrics = ctx.services.metrics;
    if (!metrics) return [];
    return Promise.all(
      metrics
        .definitions()
        .filter((d) => canReadSubject(ctx.principal, d.subject))
        .map(async (d) => {
          const progress = await metrics.backfill(d.name);
          return {
            name: d.name,
            version: d.version,
            description: d.description ?? null,
            subject: d.subject,
            measure: d.measure?.field ?? null,
            multiplyBy: d.measure?.multiplyBy ?? null,
            dimensions: d.dimensions.map((x) => ({ name: x.name, field: x.field })),
            time: 'field' in d.time ? d.time.field : 'changeTime',
            windows: [...d.windows],
            backfill: progress
              ? { state: progress.state, scanned: progress.scanned, total: progress.total, startedAt: progress.startedAt, finishedAt: progress.finishedAt }
              : null,
          };
        }),
    );
  }
}
