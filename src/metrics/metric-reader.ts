import type { Db, Filter } from 'mongodb';
import { AppError, didYouMean, ErrorCode } from '../errors';
import { groupValuesOf, type GroupValues } from '../values/group-value';
import { averageOf, mergeSummaries, metricKey, type BucketSummary, type DimValue } from './aggregation';
import { BACKFILLS_COLLECTION, type BackfillProgress } from './backfill';
import type { MetricDefinition, WindowSize } from './metric-definition';
import { BUCKET_FOLD_PROJECTION, BUCKET_SUMMARY_PROJECTION, BUCKETS_COLLECTION, type BucketDoc, type BucketFold, type BucketView } from './rollup-store';

/**
 * The read side of metrics, for the API role (any process: it reads the rollup documents the
 * metrics role writes). Queries fold bucket aggregates in code: the store needs no `$group`.
 * Live updates come from polling the buckets' `updatedAtMs` (one poll per process, only while
 * someone listens), so an API replica sees rewrites made by any metrics process.
 */
export interface MetricQuery {
  readonly name: string;
  readonly window: WindowSize;
  readonly from?: Date | null;
  readonly to?: Date | null;
  /** Which buckets count, by their dimension values (the API compiles `where` into it: graphql/metrics/metric-where.ts). */
  readonly matches?: ((dims: Readonly<Record<string, DimValue>>) => boolean) | null;
  /** Dimensions to keep; the others are merged. Absent: every dimension. */
  readonly groupBy?: readonly string[] | null;
  /**
   * The GraphQL scalar of the subject field each dimension reads (`Decimal`, `DateTime`,
   * `String`, …), as the API types `where` (graphql/metrics/metric-where.ts: `dimensionScalars`).
   * Buckets whose kept dimensions of a Decimal, Int, Long, Float or DateTime field are equal by
   * value ("12.5" and "12.50", one instant in two offsets) are one row (values/group-value.ts);
   * any other dimension, or every one when this is absent, keeps a row per stored value.
   */
  readonly dimensionScalars?: Readonly<Record<string, string>> | null;
}

export interface MetricBucketResult extends BucketSummary {
  readonly metric: string;
  readonly window: WindowSize;
  readonly start: Date;
  readonly dimensions: Record<string, DimValue>;
  readonly avg: number | null;
}

export interface AggregateLimits {
  /** Entities an ad-hoc aggregate may scan. */
  readonly maxScan: number;
  /** Groups an ad-hoc aggregate (or a metric query) may return. */
  readonly maxGroups: number;
}

/**
 * BAD_USER_INPUT for a metric name no active metric has, with the near miss among `active` (what the
 * caller may see) and the list; `of` names the subject when only its metrics are listed.
 */
export function noActiveMetric(name: string, active: readonly string[], of?: string): AppError {
  return new AppError(
    ErrorCode.BAD_USER_INPUT,
    `name: no active metric "${name}"${didYouMean(name, active)} (active${of ? ` metrics of ${of}` : ''}: ${active.join(', ') || 'none'})`,
    { details: { argument: 'name', value: name } },
  );
}

export interface MetricsReader {
  readonly limits: AggregateLimits;
  definitions(): MetricDefinition[];
  definition(name: string): MetricDefinition | null;
  setDefinitions(definitions: readonly MetricDefinition[]): void;
  query(query: MetricQuery): Promise<MetricBucketResult[]>;
  backfill(name: string): Promise<BackfillProgress | null>;
  /** Bucket rewrites, as polled from the store. */
  watch(listener: (buckets: BucketView[]) => void): () => void;
  /** Called after every change of the active definitions (activation, rollback, deactivation). */
  onDefinitions(listener: () => void): () => void;
  stop(): void;
}

export interface MetricsReaderOptions {
  readonly db: Db;
  readonly definitions: readonly MetricDefinition[];
  readonly limits: AggregateLimits;
  readonly pollIntervalMs?: number;
  /** How far back each poll looks again, for writes that committed late (clock skew, slow writers). */
  readonly pollOverlapMs?: number;
  /** Buckets one page of a poll reads (default 5,000); a poll reads up to 10 pages, a longer pass goes on at the next poll. */
  readonly pollPageSize?: number;
}

/** Pages one poll reads at most; a longer pass goes on at the next poll. */
const POLL_PAGES = 10;

export function createMetricsReader(options: MetricsReaderOptions): MetricsReader {
  const buckets = options.db.collection<BucketDoc>(BUCKETS_COLLECTION);
  let definitions = [...options.definitions];
  const listeners = new Set<(buckets: BucketView[]) => void>();
  const definitionListeners = new Set<() => void>();
  const pollInterval = options.pollIntervalMs ?? 500;
  const overlap = options.pollOverlapMs ?? 5000;
  const pageSize = options.pollPageSize ?? 5000;
  let timer: NodeJS.Timeout | null = null;
  /** The newest `updatedAtMs` a finished pass read: the next pass starts `overlap` before it. */
  let since = Date.now() - overlap;
  /**
   * Where the pass under way stopped (its last page was full): the next poll goes on after this
   * (updatedAtMs, _id), in that order, so a burst of more rewrites than a page (even of one
   * millisecond) is read through instead of its first page again and again. Null between passes.
   */
  let cursor: { readonly at: number; readonly id: string } | null = null;
  /** The newest `updatedAtMs` the pass under way has read. */
  let passNewest = since;
  /** Rewrites older than the first listener are history, not updates: marked seen, not sent. */
  let watchingSince = Date.now();
  const seen = new Map<string, { rev: number; at: number }>();
  let polling = false;

  /**
   * One poll: pages of the buckets rewritten since the last pass's newest `updatedAtMs` less the
   * overlap (writes that committed late), ordered by (updatedAtMs, _id), each page after the
   * last one's final bucket. A short page ends the pass; a pass longer than `POLL_PAGES` pages
   * goes on at the next poll where this one stopped.
   */
  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      for (let page = 0; page < POLL_PAGES; page += 1) {
        const filter: Filter<BucketDoc> = cursor
          ? { $or: [{ updatedAtMs: { $gt: cursor.at } }, { updatedAtMs: cursor.at, _id: { $gt: cursor.id } }] }
          : { updatedAtMs: { $gte: since - overlap } };
        if (!cursor) passNewest = since;
        const docs = (await buckets
          .find(filter, { projection: BUCKET_SUMMARY_PROJECTION })
          .sort({ updatedAtMs: 1, _id: 1 })
          .limit(pageSize)
          .toArray()) as unknown as BucketView[];
        const fresh: BucketView[] = [];
        for (const doc of docs) {
          const known = seen.get(doc._id);
          if (known && known.rev >= doc.rev) continue;
          seen.set(doc._id, { rev: doc.rev, at: doc.updatedAtMs });
          if (doc.updatedAtMs >= watchingSince) fresh.push(doc);
        }
        const last = docs[docs.length - 1];
        if (last) passNewest = Math.max(passNewest, last.updatedAtMs);
        const full = last !== undefined && docs.length >= pageSize;
        if (full) {
          cursor = { at: last.updatedAtMs, id: last._id };
        } else {
          cursor = null;
          since = Math.max(since, passNewest);
        }
        for (const [id, entry] of seen) if (entry.at < since - 2 * overlap) seen.delete(id);
        if (fresh.length > 0) for (const listener of listeners) listener(fresh);
        if (!full || listeners.size === 0) break;
      }
    } finally {
      polling = false;
    }
  }

  const requireDefinition = (name: string): MetricDefinition => {
    const definition = definitions.find((d) => d.name === name);
    if (!definition)
      throw noActiveMetric(
        name,
        definitions.map((d) => d.name),
      );
    return definition;
  };

  return {
    limits: options.limits,
    definitions: () => [...definitions],
    definition: (name) => definitions.find((d) => d.name === name) ?? null,
    setDefinitions(next) {
      definitions = [...next];
      for (const listener of [...definitionListeners]) listener();
    },
    onDefinitions(listener) {
      definitionListeners.add(listener);
      return () => void definitionListeners.delete(listener);
    },

    async query(query) {
      const definition = requireDefinition(query.name);
      if (!definition.windows.includes(query.window)) {
        throw new AppError(ErrorCode.BAD_USER_INPUT, `metric "${definition.name}" has no ${query.window} window (it has ${definition.windows.join(', ')})`);
      }
      const names = definition.dimensions.map((d) => d.name);
      const groupBy = query.groupBy ?? names;
      // A name kept twice adds nothing but work per bucket: a list repeating one name 100,000 times
      // held the event loop for 1.5 s. Refused, so a list is at most the metric's dimensions long.
      const repeated = firstRepeated(groupBy);
      if (repeated !== null) throw new AppError(ErrorCode.BAD_USER_INPUT, `groupBy names the dimension "${repeated}" more than once`);
      const unknown = groupBy.filter((n) => !names.includes(n));
      if (unknown.length > 0) {
        throw new AppError(
          ErrorCode.BAD_USER_INPUT,
          `metric "${definition.name}" has no dimension ${unknown.map((n) => `"${n}"`).join(', ')} (it has ${names.join(', ') || 'none'})`,
        );
      }
      const filter: Filter<BucketDoc> = { metric: metricKey(definition), window: query.window, count: { $gt: 0 } };
      // The windows whose start is in [from, to): `from` is not rounded down to its window (that
      // would return a window starting before it, and let a reversed range within one window pass).
      const from = query.from ? query.from.getTime() : null;
      const to = query.to ? query.to.getTime() : null;
      if (from !== null && to !== null && to <= from) throw new AppError(ErrorCode.BAD_USER_INPUT, '`to` must be after `from`');
      if (from !== null || to !== null) filter.startMs = { ...(from !== null ? { $gte: from } : {}), ...(to !== null ? { $lt: to } : {}) };
      // `where` is applied to the buckets read in [from, to), by the filter language's matcher
      // (its comparisons by value have no store operator on bucket dimensions): the bound counts them.
      const maxBuckets = options.limits.maxScan;
      const read = (await buckets
        .find(filter, { projection: BUCKET_FOLD_PROJECTION })
        .sort({ startMs: 1 })
        .limit(maxBuckets + 1)
        .toArray()) as unknown as BucketFold[];
      if (read.length > maxBuckets) {
        throw new AppError(ErrorCode.LIMIT_EXCEEDED, `metric query would read more than ${maxBuckets} buckets: narrow from/to`);
      }
      const docs = query.matches ? read.filter((doc) => query.matches!(doc.dims)) : read;
      const scalars = query.dimensionScalars;
      const grouping = scalars ? groupBy.map((n) => groupValuesOf(Object.hasOwn(scalars, n) ? scalars[n]! : null)) : null;
      const results = foldBuckets(docs, groupBy, definition.name, query.window, grouping?.some((g) => g.byValue) ? grouping : null);
      if (results.length > options.limits.maxGroups) {
        throw new AppError(
          ErrorCode.LIMIT_EXCEEDED,
          `metric query would return more than ${options.limits.maxGroups} buckets: narrow from/to, where or groupBy`,
        );
      }
      return results;
    },

    async backfill(name) {
      const definition = requireDefinition(name);
      return options.db.collection<BackfillProgress>(BACKFILLS_COLLECTION).findOne({ _id: metricKey(definition) });
    },

    watch(listener) {
      listeners.add(listener);
      if (!timer) {
        watchingSince = Date.now();
        since = watchingSince - overlap;
        cursor = null;
        timer = setInterval(() => void poll().catch(() => undefined), pollInterval);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
          seen.clear();
        }
      };
    },
    stop() {
      listeners.clear();
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

/** A bucket read, with the values of its kept dimensions, their JSON, and its group's key. */
interface Keyed {
  readonly doc: BucketFold;
  readonly values: DimValue[];
  readonly dimsKey: string;
  /** `dimsKey`, or when a value has another spelling in the read, the JSON of the values with each spelling replaced by its value's first one. */
  groupKey: string;
}

/**
 * One result per (start, kept dimension values), ordered by start, then by the values' JSON in
 * groupBy's order. The docs come from the store ordered by start; a stable sort by (start, key)
 * puts each group's parts next to each other, so each run of equal keys is one group: no map of
 * groups, and a query keeping every dimension (each bucket its own group) allocates one entry
 * per bucket.
 *
 * With `grouping` (a kept dimension reads a Decimal, Int, Long, Float or DateTime field), a
 * group is one value of those dimensions, as `eq` compares: the buckets of "12.5" and "12.50",
 * stored apart as written, are one row. The identity of each distinct value read is computed
 * once (values/group-value.ts); when no value has two spellings in the read (a dimension written
 * in one spelling), nothing more is done. Otherwise a bucket holding a second spelling is keyed
 * by the JSON of its values with that spelling replaced by the first one read, the row shows,
 * per dimension, the spelling `GroupValues.shown` picks among its buckets' (the same whatever
 * their order), and the rows are sorted again by (start, the shown values' JSON): the order of a
 * query in which no values merge.
 */
function foldBuckets(
  docs: readonly BucketFold[],
  groupBy: readonly string[],
  metric: string,
  window: WindowSize,
  grouping: readonly GroupValues[] | null,
): MetricBucketResult[] {
  const kept = groupBy.length;
  const keyed: Keyed[] = new Array(docs.length);
  const byValue = grouping ? grouping.map((g, i) => (g.byValue ? i : -1)).filter((i) => i >= 0) : [];
  const distinct = byValue.map(() => new Set<DimValue>());
  for (let d = 0; d < docs.length; d += 1) {
    const doc = docs[d]!;
    const values: DimValue[] = new Array(kept);
    for (let i = 0; i < kept; i += 1) values[i] = ownDim(doc.dims, groupBy[i]!);
    for (let j = 0; j < byValue.length; j += 1) distinct[j]!.add(values[byValue[j]!]!);
    const dimsKey = JSON.stringify(values);
    keyed[d] = { doc, values, dimsKey, groupKey: dimsKey };
  }
  const ranks = grouping !== null && byValue.length > 0 ? spellingsOfOneValue(grouping, byValue, distinct, keyed) : null;
  keyed.sort((a, b) => a.doc.startMs - b.doc.startMs || compareKeys(a.groupKey, b.groupKey));
  const results: MetricBucketResult[] = [];
  const shownKeys: string[] = [];
  for (let first = 0; first < keyed.length; ) {
    const head = keyed[first]!;
    let end = first + 1;
    while (end < keyed.length && keyed[end]!.doc.startMs === head.doc.startMs && keyed[end]!.groupKey === head.groupKey) end += 1;
    const parts: BucketSummary[] = new Array(end - first);
    for (let i = first; i < end; i += 1) parts[i - first] = keyed[i]!.doc;
    const summary = mergeSummaries(parts);
    let shown = head.values;
    if (ranks) {
      for (let p = first + 1; p < end; p += 1) {
        const other = keyed[p]!;
        if (other.dimsKey === head.dimsKey) continue;
        for (let j = 0; j < byValue.length; j += 1) {
          const i = byValue[j]!;
          const rank = ranks[j]!;
          if ((rank.get(other.values[i]!) ?? 0) < (rank.get(shown[i]!) ?? 0)) {
            if (shown === head.values) shown = [...head.values];
            shown[i] = other.values[i]!;
          }
        }
      }
      shownKeys.push(shown === head.values ? head.dimsKey : JSON.stringify(shown));
    }
    const dimensions: Record<string, DimValue> = {};
    for (let i = 0; i < kept; i += 1) setDim(dimensions, groupBy[i]!, shown[i]!);
    results.push({
      metric,
      window,
      start: new Date(head.doc.startMs),
      dimensions,
      count: summary.count,
      sum: summary.sum,
      min: summary.min,
      max: summary.max,
      avg: averageOf(summary),
    });
    first = end;
  }
  if (!ranks) return results;
  const order = results.map((_, i) => i);
  order.sort((a, b) => results[a]!.start.getTime() - results[b]!.start.getTime() || compareKeys(shownKeys[a]!, shownKeys[b]!));
  return order.map((i) => results[i]!);
}

/**
 * When a value kept by value is read in several spellings ("12.5" and "12.50"): re-keys each
 * bucket holding a spelling other than the first read of its value, by the JSON of its values
 * with those spellings replaced by the first ones, and returns per such dimension the rank of
 * each spelling among its value's others, in the order `GroupValues.shown` prefers them (0 the
 * shown one; absent: a value read in one spelling). Null when every value has one spelling.
 * Identities and preferences are computed once per distinct value, not per bucket.
 */
function spellingsOfOneValue(
  grouping: readonly GroupValues[],
  byValue: readonly number[],
  distinct: readonly Set<DimValue>[],
  keyed: Keyed[],
): Map<DimValue, number>[] | null {
  const spellings = byValue.map((i, j) => {
    const byIdentity = new Map<string, DimValue[]>();
    for (const value of distinct[j]!) {
      const identity = grouping[i]!.identity(value);
      const list = byIdentity.get(identity);
      if (list) list.push(value);
      else byIdentity.set(identity, [value]);
    }
    return [...byIdentity.values()].filter((list) => list.length > 1);
  });
  if (spellings.every((lists) => lists.length === 0)) return null;
  const firsts = spellings.map((lists) => new Map(lists.flatMap((list) => list.slice(1).map((value) => [value, list[0]!] as const))));
  for (const entry of keyed) {
    let replaced: DimValue[] | null = null;
    for (let j = 0; j < byValue.length; j += 1) {
      const i = byValue[j]!;
      const first = firsts[j]!.get(entry.values[i]!);
      if (first === undefined) continue;
      replaced ??= [...entry.values];
      replaced[i] = first;
    }
    if (replaced) entry.groupKey = JSON.stringify(replaced);
  }
  return spellings.map((lists, j) => {
    const values = grouping[byValue[j]!]!;
    const rank = new Map<DimValue, number>();
    for (const list of lists) {
      list.sort((a, b) => (values.shown(a, b) === a ? -1 : 1));
      list.forEach((value, r) => rank.set(value, r));
    }
    return rank;
  });
}

function compareKeys(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A bucket's value of a dimension: its own property only (never Object.prototype's `constructor`). */
function ownDim(dims: Readonly<Record<string, DimValue>>, name: string): DimValue {
  return Object.hasOwn(dims, name) ? (dims[name] ?? null) : null;
}

/**
 * Sets a result's dimension as its own property. Names of Object.prototype are refused at
 * definition time (metric-definition.ts); a definition stored before that still gets its
 * `__proto__` dimension as a property rather than as the object's prototype.
 */
function setDim(dimensions: Record<string, DimValue>, name: string, value: DimValue): void {
  if (name === '__proto__') Object.defineProperty(dimensions, name, { value, enumerable: true, writable: true, configurable: true });
  else dimensions[name] = value;
}

/** The first name that stands twice in `names`, or null. */
function firstRepeated(names: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}
