import { compileCondition } from '../mapping/condition';
import { parseFieldPath, type PathSegment } from '../mapping/json-path';
import { compileGetter, type Getter } from '../mapping/path-getter';
import { parseDateTime } from '../values/date-time';
import { addDec, averageOfText, formatDec, higherDec, lowerDec, mulDec, parseDec, reformatDec, toDec, type Dec } from '../values/decimal';
import { WINDOW_MS, type MetricDefinition, type WindowSize } from './metric-definition';

/**
 * The one aggregation of canonql's metrics, pure and shared by the streaming path, the batch
 * backfill and the tests: what an entity contributes to which buckets (`contributionsOf`), how
 * a bucket's members fold into its aggregate (`summarize`), and how a member is replaced
 * (`putMember`, last-writer-wins by entity version).
 *
 * A bucket is (metric version, window size, window start, dimension values). Its state is the
 * set of its members: per entity, that entity's contribution to the bucket (count, exact sum,
 * min, max of its rows in it) at an entity version. Every aggregate is a pure function of the
 * members, so a bucket is right whenever its member set is, however the changes arrived.
 */
export type DimValue = string | number | boolean | null;

/** One entity's contribution to one bucket: its rows there, folded. Sums are exact decimal text. */
export interface MemberAgg {
  readonly n: number;
  readonly s: string | null;
  readonly lo: string | null;
  readonly hi: string | null;
}

/** A bucket member: an entity's contribution at version `v`, or its absence (`g`) since `v`. */
export interface Member {
  readonly k: string;
  readonly v: number;
  readonly a?: MemberAgg;
  /** Gone: the entity left this bucket at version v (kept so an older writer cannot re-add it). */
  readonly g?: true;
  /** Wall time of the write (ms), to expire tombstones. */
  readonly t: number;
}

export interface BucketRef {
  readonly window: WindowSize;
  readonly startMs: number;
  readonly dims: readonly DimValue[];
}

export interface BucketSummary {
  readonly count: number;
  readonly sum: string | null;
  readonly min: string | null;
  readonly max: string | null;
}

export interface CompiledMetric {
  readonly definition: MetricDefinition;
  /** `<name>@<version>`: the namespace of this version's rollups. */
  readonly key: string;
  readonly dimensionNames: readonly string[];
  /**
   * What an entity in state `data` (null: deleted) contributes, per bucket id. `changeTsMs` is the
   * source time of its last change (for `time: {changeTime: true}`).
   */
  contributionsOf(data: Record<string, unknown> | null, changeTsMs: number | null): Map<string, { ref: BucketRef; agg: MemberAgg }>;
}

export const metricKey = (definition: Pick<MetricDefinition, 'name' | 'version'>) => `${definition.name}@${definition.version}`;

export function bucketId(key: string, ref: BucketRef): string {
  return `${key}/${ref.window}/${ref.startMs}/${JSON.stringify(ref.dims)}`;
}

/** Inverse of bucketId (metric names and window sizes contain no "/"). */
export function parseBucketId(id: string): { key: string; ref: BucketRef } {
  const first = id.indexOf('/');
  const second = id.indexOf('/', first + 1);
  const third = id.indexOf('/', second + 1);
  return {
    key: id.slice(0, first),
    ref: {
      window: id.slice(first + 1, second) as WindowSize,
      startMs: Number(id.slice(second + 1, third)),
      dims: JSON.parse(id.slice(third + 1)) as DimValue[],
    },
  };
}

export function windowStart(ms: number, window: WindowSize): number {
  const size = WINDOW_MS[window];
  return Math.floor(ms / size) * size;
}

/** The range of a JavaScript Date: ±8.64e15 ms (100,000,000 days) around the epoch. */
const MAX_TIME_MS = 8.64e15;

/**
 * Milliseconds of an entity timestamp, or null when it is none: canonical DateTime text (ISO-8601
 * with an offset, `parseDateTime`: "2024-05-01T10:30:00Z", "…+02:00", fractions truncated to the
 * millisecond), a Date, or epoch ms. Anything else is no time, like a missing one (the entity
 * contributes nothing): text without an offset (no server time zone is guessed), an impossible
 * date ("2024-02-30…"), other text ("1"), and instants outside the Date range, whose buckets
 * could not be given a start.
 */
export function timeOf(value: unknown): number | null {
  if (value instanceof Date) return msInRange(value.getTime());
  if (typeof value === 'number') return msInRange(value);
  if (typeof value === 'string') {
    const instant = parseDateTime(value);
    return instant ? instant.epochSeconds * 1000 + Math.floor(instant.nanos / 1_000_000) : null;
  }
  return null;
}

function msInRange(ms: number): number | null {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS ? ms : null;
}

function dimValue(value: unknown): DimValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

interface PathReader {
  /** Reads from the element when the path iterates the array, from the entity otherwise. */
  readonly perElement: boolean;
  readonly read: Getter;
}

function segmentsOf(path: string): readonly PathSegment[] {
  const parsed = parseFieldPath(path);
  if (!parsed.ok) throw new Error(`unchecked metric path: ${parsed.problem}`);
  return parsed.segments;
}

export function compileMetric(definition: MetricDefinition): CompiledMetric {
  const key = metricKey(definition);
  let arrayGetter: Getter | null = null;
  const reader = (path: string): PathReader => {
    const segments = segmentsOf(path);
    const cut = segments.findIndex((s) => s.kind === 'wildcard');
    if (cut < 0) return { perElement: false, read: compileGetter(segments) };
    arrayGetter ??= compileGetter(segments.slice(0, cut));
    return { perElement: true, read: compileGetter(segments.slice(cut + 1)) };
  };
  const measure = definition.measure ? reader(definition.measure.field) : null;
  const factor = definition.measure?.multiplyBy ? reader(definition.measure.multiplyBy) : null;
  const dims = definition.dimensions.map((d) => reader(d.field));
  const time = 'field' in definition.time ? compileGetter(segmentsOf(definition.time.field)) : null;
  const filters = (definition.filter ?? []).map(compileCondition);
  const iterates = arrayGetter as Getter | null;

  return {
    definition,
    key,
    dimensionNames: definition.dimensions.map((d) => d.name),
    contributionsOf(data, changeTsMs) {
      const out = new Map<string, { ref: BucketRef; agg: MemberAgg }>();
      if (data === null) return out;
      if (!filters.every((f) => f.test(data))) return out;
      const ms = timeOf(time ? time(data) : changeTsMs);
      if (ms === null) return out;
      const elements: unknown[] = iterates ? asArray(iterates(data)) : [undefined];
      const rows: { dims: DimValue[]; value: Dec | null }[] = [];
      for (const element of elements) {
        const at = (r: PathReader) => r.read(r.perElement ? element : data);
        let value: Dec | null = null;
        if (measure) {
          value = toDec(at(measure));
          if (value && factor) {
            const f = toDec(at(factor));
            value = f ? mulDec(value, f) : null;
          }
          // A row without a numeric measure is not counted: count, sum and avg stay consistent.
          if (!value) continue;
        }
        rows.push({ dims: dims.map((d) => dimValue(at(d))), value });
      }
      for (const window of definition.windows) {
        const startMs = windowStart(ms, window);
        for (const row of rows) {
          const ref: BucketRef = { window, startMs, dims: row.dims };
          const id = bucketId(key, ref);
          const previous = out.get(id);
          out.set(id, { ref, agg: foldRow(previous?.agg ?? null, row.value) });
        }
      }
      return out;
    },
  };
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function foldRow(agg: MemberAgg | null, value: Dec | null): MemberAgg {
  if (value === null) return { n: (agg?.n ?? 0) + 1, s: null, lo: null, hi: null };
  const text = formatDec(value);
  if (!agg) return { n: 1, s: text, lo: text, hi: text };
  return {
    n: agg.n + 1,
    s: formatDec(addDec(parseDec(agg.s!), value)),
    lo: lowerDec(value, parseDec(agg.lo!)) === value ? text : agg.lo,
    hi: higherDec(value, parseDec(agg.hi!)) === value ? text : agg.hi,
  };
}

/**
 * Sets entity `key`'s membership to `agg` (null: gone) at `version`, unless the bucket already
 * holds a newer version of it. Returns whether anything changed. Idempotent, and the result does
 * not depend on the order of the puts: the highest version wins.
 */
export function putMember(members: Map<string, Member>, key: string, version: number, agg: MemberAgg | null, now: number): boolean {
  const current = members.get(key);
  if (current && current.v > version) return false;
  if (current && current.v === version && sameAgg(current.a ?? null, agg)) return false;
  members.set(key, agg ? { k: key, v: version, a: agg, t: now } : { k: key, v: version, g: true, t: now });
  return true;
}

function sameAgg(a: MemberAgg | null, b: MemberAgg | null): boolean {
  if (a === null || b === null) return a === b;
  return a.n === b.n && a.s === b.s && a.lo === b.lo && a.hi === b.hi;
}

/** Drops tombstones older than `before` (no writer can still be holding an older version then). */
export function expireTombstones(members: Map<string, Member>, before: number): void {
  for (const [key, member] of members) if (member.g && member.t < before) members.delete(key);
}

/**
 * A member aggregate's decimals, parsed once per aggregate object: a bucket's members mostly
 * stay the same objects from one write of the bucket to the next (the rollup store keeps them),
 * and each write summarizes them all again. Weakly held: a replaced member's entry goes with it.
 */
const parsedAggs = new WeakMap<MemberAgg, { readonly s: Dec; readonly lo: Dec; readonly hi: Dec }>();
function parsedAgg(a: MemberAgg & { s: string }) {
  let parsed = parsedAggs.get(a);
  if (!parsed) {
    const s = parseDec(a.s);
    parsed = { s, lo: a.lo === a.s ? s : parseDec(a.lo!), hi: a.hi === a.s ? s : parseDec(a.hi!) };
    parsedAggs.set(a, parsed);
  }
  return parsed;
}

/** The bucket's aggregate: a pure function of its members. */
export function summarize(members: Iterable<Member>): BucketSummary {
  let count = 0;
  let sum: Dec | null = null;
  let min: Dec | null = null;
  let max: Dec | null = null;
  for (const member of members) {
    const a = member.a;
    if (!a) continue;
    count += a.n;
    if (a.s !== null) {
      const { s, lo, hi } = parsedAgg(a as MemberAgg & { s: string });
      sum = sum ? addDec(sum, s) : s;
      min = min ? lowerDec(min, lo) : lo;
      max = max ? higherDec(max, hi) : hi;
    }
  }
  return { count, sum: sum && formatDec(sum), min: min && formatDec(min), max: max && formatDec(max) };
}

/** Merges bucket aggregates (a coarser grouping of several buckets): all four fold exactly, min and max as `lowerDec`/`higherDec` choose. */
export function mergeSummaries(parts: Iterable<BucketSummary>): BucketSummary {
  // One part (a query keeping every dimension: each bucket its own group) is its own aggregate,
  // its decimals written as the fold below would write them.
  if (Array.isArray(parts) && parts.length === 1) {
    const only = parts[0] as BucketSummary;
    return {
      count: only.count,
      sum: only.sum === null ? null : reformatDec(only.sum),
      min: only.min === null ? null : reformatDec(only.min),
      max: only.max === null ? null : reformatDec(only.max),
    };
  }
  let count = 0;
  let sum: Dec | null = null;
  let min: Dec | null = null;
  let max: Dec | null = null;
  for (const part of parts) {
    count += part.count;
    if (part.sum !== null) sum = sum ? addDec(sum, parseDec(part.sum)) : parseDec(part.sum);
    if (part.min !== null) min = min ? lowerDec(min, parseDec(part.min)) : parseDec(part.min);
    if (part.max !== null) max = max ? higherDec(max, parseDec(part.max)) : parseDec(part.max);
  }
  return { count, sum: sum && formatDec(sum), min: min && formatDec(min), max: max && formatDec(max) };
}

/**
 * avg = sum / count, as a float (the exact parts are sum and count); null without a sum, and
 * when the average is beyond a double (averageOfText).
 */
export function averageOf(summary: Pick<BucketSummary, 'sum' | 'count'>): number | null {
  if (summary.sum === null || summary.count === 0) return null;
  return averageOfText(summary.sum, summary.count);
}
