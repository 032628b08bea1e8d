import {
  GraphQLFloat,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfigMap,
  type GraphQLEnumType,
} from 'graphql';
import { AppError, ErrorCode } from '../../errors';
import { averageOf, metricKey, type DimValue } from '../../metrics/aggregation';
import type { MetricBucketResult, MetricsReader } from '../../metrics/metric-reader';
import type { BucketView } from '../../metrics/rollup-store';
import { WINDOW_MS } from '../../metrics/metric-definition';
import type { SubscriptionFieldsFactory } from '../build-api-schema';
import type { ApiContext } from '../context';
import { DateTimeScalar, DecimalScalar, JSONScalar } from '../scalars';
import type { WindowSize } from '../../metrics/metric-definition';
import type { SharedTypes, SubjectTypes } from '../subject/subject-schema';
import { groupValuesOf } from '../../values/group-value';
import { metricDimensionScalars, metricMatcher, metricsOf, requireMetricRead, windowOf } from './metric.resolver';
import type { DimensionsMatch } from './metric-where';
import { subjectMetricArgs, subjectMetricDefinition, subjectMetricMatcher, subjectMetricScalars, type SubjectMetricArgs } from './subject-metric-fields';

/**
 * `metricUpdated(name, window, where, groupBy)`: every rewrite of a matching bucket, live. With
 * `groupBy`, or when a kept dimension reads a Decimal, Int, Long, Float or DateTime field (whose
 * buckets of equal values, "12.5" and "12.50", are one row of a query), the payload is the whole
 * row of that window, re-read after the change, as the query returns it (so a client can
 * replace its row); otherwise the rewritten bucket itself. Updates come from the reader's poll of the rollups, so any API
 * replica sees the writes of any metrics process.
 */
const MetricBucketUpdate = new GraphQLObjectType<MetricBucketResult>({
  name: 'MetricBucketUpdate',
  description: 'The new aggregate of one metric bucket (or group of buckets) after a change.',
  fields: {
    metric: { type: new GraphQLNonNull(GraphQLString) },
    window: { type: new GraphQLNonNull(GraphQLString) },
    start: { type: new GraphQLNonNull(DateTimeScalar) },
    dimensions: {
      type: new GraphQLNonNull(JSONScalar),
      description: 'The dimension values of the row, as `MetricBucket.dimensions` (grouped by value for a Decimal, Int, Long, Float or DateTime field).',
    },
    count: { type: new GraphQLNonNull(GraphQLInt) },
    sum: { type: DecimalScalar },
    avg: { type: GraphQLFloat, description: 'sum / count, as a double; null without a sum, or when beyond a double (about ±1.8e308).' },
    min: { type: DecimalScalar },
    max: { type: DecimalScalar },
  },
});

interface Args {
  name: string;
  window: string;
  where?: unknown;
  groupBy?: string[] | null;
}

export function metricSubscriptionFields(windowType: GraphQLEnumType): GraphQLFieldConfigMap<unknown, ApiContext> {
  return {
    metricUpdated: {
      type: new GraphQLNonNull(MetricBucketUpdate),
      description: "Live updates of a metric's buckets (count, sum, avg, min, max), as the metrics role rewrites them.",
      deprecationReason: "Use the metric's subject's `<plural>MetricUpdated` (`ordersMetricUpdated`), whose `where` is the subject's typed filter.",
      args: {
        name: { type: new GraphQLNonNull(GraphQLString) },
        window: { type: new GraphQLNonNull(windowType) },
        where: { type: JSONScalar, description: "The subject's filter language over the metric's dimensions, as in `metric`." },
        groupBy: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
      },
      subscribe: (_root, args: Args, ctx: ApiContext) => {
        metricsOf(ctx);
        requireMetricRead(ctx, args.name);
        return followMetric(
          ctx,
          args.name,
          windowOf(args.window),
          args.groupBy ?? null,
          metricMatcher(ctx, args.name, args.where),
          metricDimensionScalars(ctx, args.name),
        );
      },
      resolve: (payload: unknown) => payload as MetricBucketResult,
    },
  };
}

/**
 * The live updates of one metric's buckets in `window` that `matches` accepts (a whole row each
 * with `groupBy` or a dimension kept by value): what `metricUpdated` and each subject's
 * `<plural>MetricUpdated` return. `dimensionScalars` types the dimensions as for the query.
 */
function followMetric(
  ctx: ApiContext,
  name: string,
  window: WindowSize,
  groupBy: string[] | null,
  matches: DimensionsMatch | null,
  dimensionScalars: Readonly<Record<string, string>> | null,
): AsyncIterableIterator<MetricBucketResult> {
  const metrics = metricsOf(ctx);
  const definition = metrics.definition(name);
  // Validates name, window and dimensions up front, like the query does.
  const check = metrics.query({ name, window, matches, groupBy, dimensionScalars, from: new Date(0), to: new Date(1) });
  const kept = groupBy ?? definition?.dimensions.map((d) => d.name) ?? [];
  const grouping = kept.map((n) => groupValuesOf(dimensionScalars && Object.hasOwn(dimensionScalars, n) ? dimensionScalars[n]! : null));
  // A bucket is its own row unless dimensions are merged (groupBy) or equal values in several spellings are (by value).
  const perBucket = !groupBy && !grouping.some((g) => g.byValue);
  // A subscription is to one version of the metric (its window and dimensions were checked
  // against it): when another becomes active, or none, it ends with a coded error and the
  // client resubscribes, getting the version served now. Following silently could mean a
  // version whose dimensions no longer match the subscription's arguments.
  const versionChanged = (): AppError | null => {
    const now = metrics.definition(name);
    if (definition && now && metricKey(now) === metricKey(definition)) return null;
    return new AppError(
      ErrorCode.METRIC_VERSION_CHANGED,
      now
        ? `metric "${name}" is now served at version ${now.version} (this subscription was to version ${definition?.version ?? '?'}): resubscribe`
        : `metric "${name}" is no longer active (this subscription was to version ${definition?.version ?? '?'}): resubscribe when it is active again`,
      { details: { name, subscribedVersion: definition?.version ?? null, activeVersion: now?.version ?? null } },
    );
  };
  return liveBuckets(
    metrics,
    check,
    versionChanged,
    (bucket) => {
      if (!definition || bucket.metric !== metricKey(definition) || bucket.window !== window || (bucket.count === 0 && bucket.rev === 1)) return false;
      return !matches || matches(bucket.dims);
    },
    async (bucket) => {
      if (perBucket) {
        return [
          {
            metric: name,
            window,
            start: new Date(bucket.startMs),
            dimensions: bucket.dims,
            count: bucket.count,
            sum: bucket.sum,
            min: bucket.min,
            max: bucket.max,
            avg: averageOf(bucket),
          },
        ];
      }
      // The rewritten bucket's row: the same kept values (by value where the query merges by
      // value), within the subscription's where.
      const identities = kept.map((n, i) => grouping[i]!.identity(bucket.dims[n] ?? null));
      const sameGroup = (dims: Readonly<Record<string, DimValue>>) =>
        kept.every((n, i) => grouping[i]!.identity(dims[n] ?? null) === identities[i]) && (!matches || matches(dims));
      const rows = await metrics.query({
        name,
        window,
        matches: sameGroup,
        groupBy,
        dimensionScalars,
        from: new Date(bucket.startMs),
        to: new Date(bucket.startMs + WINDOW_MS[window]),
      });
      return rows.length > 0
        ? rows
        : [
            {
              metric: name,
              window,
              start: new Date(bucket.startMs),
              dimensions: Object.fromEntries(kept.map((n) => [n, bucket.dims[n] ?? null])),
              count: 0,
              sum: null,
              min: null,
              max: null,
              avg: null,
            },
          ];
    },
  );
}

/** An async iterator over matching bucket updates; `return()` stops listening. */
function liveBuckets(
  metrics: MetricsReader,
  ready: Promise<unknown>,
  versionChanged: () => AppError | null,
  matches: (bucket: BucketView) => boolean,
  toPayloads: (bucket: BucketView) => Promise<MetricBucketResult[]>,
): AsyncIterableIterator<MetricBucketResult> {
  const queue: MetricBucketResult[] = [];
  let waiting: ((result: IteratorResult<MetricBucketResult>) => void) | null = null;
  let failed: unknown = null;
  let done = false;
  let failWaiting: ((error: unknown) => void) | null = null;
  // Payloads are produced in order of the updates (a group re-read must not overtake an older one).
  let chain: Promise<void> = ready.then(
    () => undefined,
    (error: unknown) => {
      failed = error;
    },
  );
  const push = (payload: MetricBucketResult) => {
    if (done) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      failWaiting = null;
      resolve({ done: false, value: payload });
    } else if (queue.length < 1000) queue.push(payload);
  };
  const stop = metrics.watch((buckets) => {
    for (const bucket of buckets) {
      if (!matches(bucket)) continue;
      chain = chain
        .then(async () => {
          for (const payload of await toPayloads(bucket)) push(payload);
        })
        .catch(() => undefined);
    }
  });
  const stopDefinitions = metrics.onDefinitions(() => {
    const error = versionChanged();
    if (!error || done) return;
    // Delivered after what is queued: the updates made before the switch are still true.
    chain = chain.then(() => {
      failed = error;
      if (failWaiting) {
        const reject = failWaiting;
        waiting = null;
        failWaiting = null;
        finish();
        reject(error);
      }
    });
  });
  const finish = () => {
    done = true;
    stop();
    stopDefinitions();
    if (waiting) waiting({ done: true, value: undefined });
    waiting = null;
    failWaiting = null;
  };
  return {
    async next() {
      await chain;
      if (queue.length > 0) return { done: false, value: queue.shift()! };
      if (failed) {
        finish();
        throw failed;
      }
      if (done) return { done: true, value: undefined };
      return new Promise((resolve, reject) => {
        waiting = resolve;
        failWaiting = reject;
      });
    },
    async return() {
      finish();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** `<plural>MetricUpdated(name, window, where, groupBy)`: `metricUpdated` for one subject's metrics, with its typed `where`. */
function subjectMetricSubscription(types: SubjectTypes, shared: SharedTypes): GraphQLFieldConfigMap<unknown, ApiContext> {
  return {
    [types.names.metricUpdated]: {
      type: new GraphQLNonNull(MetricBucketUpdate),
      description: `Live updates of the buckets of a metric of ${types.names.type} matching \`where\` (the filter of \`${types.names.list}\`), as the metrics role rewrites them.`,
      args: subjectMetricArgs(types, shared, true),
      subscribe: (_root, args: SubjectMetricArgs, ctx: ApiContext) => {
        const definition = subjectMetricDefinition(ctx, types, args.name);
        return followMetric(
          ctx,
          definition.name,
          windowOf(args.window),
          args.groupBy ?? null,
          subjectMetricMatcher(types, definition, args.where),
          subjectMetricScalars(types, definition),
        );
      },
      resolve: (payload: unknown) => payload as MetricBucketResult,
    },
  };
}

/** Adds each subject's `<plural>MetricUpdated`, then `metricUpdated`, to the subscription fields another factory builds. */
export function withMetricSubscriptions(factory: SubscriptionFieldsFactory): SubscriptionFieldsFactory {
  return (types, shared) => ({
    ...factory(types, shared),
    ...Object.assign({}, ...types.map((t) => subjectMetricSubscription(t, shared))),
    ...metricSubscriptionFields(shared.MetricWindow),
  });
}
