import crypto from 'node:crypto';
import type { AnyBulkWriteOperation, Collection, Db, Filter, OptionalId, WithoutId } from 'mongodb';
import {
  expireTombstones,
  parseBucketId,
  putMember,
  summarize,
  type BucketSummary,
  type CompiledMetric,
  type DimValue,
  type Member,
  type MemberAgg,
} from './aggregation';
import type { WindowSize } from './metric-definition';

/**
 * Metric rollups in the store, exact under retries, replays, crashes and concurrent writers,
 * with no multi-document transaction:
 *
 * - `metric_contributions`: per metric version and entity, the entity's contribution (bucket id
 *   → its folded rows) at an entity version, the buckets it may still occupy (`touched`), and
 *   `dirty` while buckets may not reflect it yet. Written first, with a compare-and-set on `rev`
 *   and only for a newer entity version: it is the source of truth.
 * - `metric_buckets`: per bucket, its members (entity → contribution at a version, or a
 *   tombstone) and the aggregate computed from them. A bucket is rewritten whole with a
 *   compare-and-set on `rev`; member updates are last-writer-wins by entity version, hence
 *   idempotent and order-free.
 *
 * `settle` makes every bucket an entity may occupy agree with its contribution document, then
 * clears `dirty` (compare-and-set, so a newer write stays dirty). A crash anywhere leaves the
 * contribution dirty; replaying the change (same version: "duplicate"), a later change of the
 * entity, or the start-up sweep settles it again. See docs/metrics.md.
 */
export const CONTRIBUTIONS_COLLECTION = 'metric_contributions';
export const BUCKETS_COLLECTION = 'metric_buckets';

/** Tombstones only guard against a writer still holding an older version: minutes suffice. */
const TOMBSTONE_TTL_MS = 10 * 60_000;
const MAX_ROUNDS = 50;

export interface EntityChange {
  readonly key: string;
  /** The entity version this state is (canonical event `version`, state `_meta.version`). */
  readonly version: number;
  /** Canonical data; null when the entity is deleted. */
  readonly data: Record<string, unknown> | null;
  /** Source time of the change that produced this state (ms), when known. */
  readonly changeTsMs: number | null;
}

export interface ContributionDoc {
  _id: string;
  metric: string;
  k: string;
  v: number;
  rows: { b: string; a: MemberAgg }[];
  touched: string[];
  dirty: boolean;
  rev: number;
}

export interface BucketDoc extends BucketSummary {
  _id: string;
  metric: string;
  window: WindowSize;
  startMs: number;
  dims: Record<string, DimValue>;
  dimsKey: string;
  members: Member[];
  rev: number;
  w: string;
  updatedAtMs: number;
}

export type BucketView = Omit<BucketDoc, 'members' | 'w'>;

export interface ApplyResult {
  /** Changes whose contribution was written (newer than stored). */
  readonly applied: number;
  /** Changes at or below the stored version (duplicates and stale events). */
  readonly skipped: number;
  /** Buckets rewritten. */
  readonly buckets: BucketView[];
}

export interface RollupStore {
  readonly contributions: Collection<ContributionDoc>;
  readonly buckets: Collection<BucketDoc>;
  ensureIndexes(): Promise<void>;
  /** Applies entity states to one metric: only a version newer than the stored one counts. */
  apply(metric: CompiledMetric, changes: readonly EntityChange[]): Promise<ApplyResult>;
  /** Settles every contribution left dirty by a crash (run at start). Returns how many. */
  settleDirty(metric: CompiledMetric): Promise<number>;
  /** Removes every rollup of a metric version (before a rebuild, or when it is dropped). */
  drop(metricKey: string): Promise<void>;
}

export function createRollupStore(db: Db): RollupStore {
  const contributions = db.collection<ContributionDoc>(CONTRIBUTIONS_COLLECTION);
  const buckets = db.collection<BucketDoc>(BUCKETS_COLLECTION);
  const contributionId = (metric: string, key: string) => `${metric}|${key}`;

  async function readContributions(metric: string, keys: readonly string[]): Promise<Map<string, ContributionDoc>> {
    const found = new Map<string, ContributionDoc>();
    if (keys.length === 0) return found;
    const docs = await contributions.find({ _id: { $in: keys.map((k) => contributionId(metric, k)) } }).toArray();
    for (const doc of docs) found.set(doc.k, doc);
    return found;
  }

  /** Writes each bucket's member puts; retries buckets whose compare-and-set lost a race. */
  async function writeBuckets(metric: CompiledMetric, puts: Map<string, { k: string; v: number; a: MemberAgg | null }[]>): Promise<BucketView[]> {
    const written: BucketView[] = [];
    let pending = [...puts.keys()];
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_ROUNDS) throw new Error(`metric ${metric.key}: buckets still contended after ${MAX_ROUNDS} rounds`);
      const docs = new Map((await buckets.find({ _id: { $in: pending } }).toArray()).map((d) => [d._id, d]));
      const now = Date.now();
      const writes: CasWrite<BucketDoc>[] = [];
      for (const id of pending) {
        const doc = docs.get(id);
        const members = new Map((doc?.members ?? []).map((m) => [m.k, m]));
        let changed = false;
        for (const put of puts.get(id)!) changed = putMember(members, put.k, put.v, put.a, now) || changed;
        if (!changed) continue;
        expireTombstones(members, now - TOMBSTONE_TTL_MS);
        const { ref } = parseBucketId(id);
        const next: BucketDoc = {
          _id: id,
          metric: metric.key,
          window: ref.window,
          startMs: ref.startMs,
          dims: Object.fromEntries(metric.dimensionNames.map((name, i) => [name, ref.dims[i] ?? null])),
          dimsKey: JSON.stringify(ref.dims),
          ...summarize(members.values()),
          members: [...members.values()],
          rev: (doc?.rev ?? 0) + 1,
          w: crypto.randomUUID(),
          updatedAtMs: now,
        };
        writes.push({ next, storedRev: doc?.rev ?? null });
      }
      if (writes.length === 0) break;
      // The write token says whose write a stored bucket is.
      const result = await compareAndSetMany(buckets, writes, async (docs) => {
        const stored = new Map((await buckets.find({ _id: { $in: docs.map((doc) => doc._id) } }, { projection: { w: 1 } }).toArray()).map((d) => [d._id, d.w]));
        return (doc) => stored.get(doc._id) === doc.w;
      });
      for (const doc of result.written) written.push(view(doc));
      pending = result.lost.map((doc) => doc._id);
    }
    return written;
  }

  /** Makes the buckets of these entities agree with their contribution documents. */
  async function settle(metric: CompiledMetric, keys: readonly string[]): Promise<BucketView[]> {
    if (keys.length === 0) return [];
    const docs = await readContributions(metric.key, keys);
    const puts = new Map<string, { k: string; v: number; a: MemberAgg | null }[]>();
    const add = (bucket: string, put: { k: string; v: number; a: MemberAgg | null }) => {
      const list = puts.get(bucket);
      if (list) list.push(put);
      else puts.set(bucket, [put]);
    };
    for (const doc of docs.values()) {
      const rows = new Map(doc.rows.map((r) => [r.b, r.a]));
      for (const bucket of new Set([...doc.touched, ...rows.keys()])) add(bucket, { k: doc.k, v: doc.v, a: rows.get(bucket) ?? null });
    }
    const written = await writeBuckets(metric, puts);
    const clears = [...docs.values()].map(
      (doc): AnyBulkWriteOperation<ContributionDoc> => ({
        updateOne: { filter: { _id: doc._id, rev: doc.rev }, update: { $set: { dirty: false, touched: doc.rows.map((r) => r.b), rev: doc.rev + 1 } } },
      }),
    );
    if (clears.length > 0) await contributions.bulkWrite(clears, { ordered: false });
    return written;
  }

  return {
    contributions,
    buckets,
    async ensureIndexes() {
      await buckets.createIndex({ metric: 1, window: 1, startMs: 1 });
      await buckets.createIndex({ updatedAtMs: 1 });
      await contributions.createIndex({ metric: 1, dirty: 1 });
    },

    async apply(metric, changes) {
      // Only each entity's newest state matters: a contribution is a function of the state alone.
      const latest = new Map<string, EntityChange>();
      for (const change of changes) {
        const seen = latest.get(change.key);
        if (!seen || change.version > seen.version) latest.set(change.key, change);
      }
      let applied = 0;
      let skipped = changes.length - latest.size;
      const toSettle = new Set<string>();
      let pending = [...latest.values()];
      for (let round = 0; pending.length > 0; round += 1) {
        if (round >= MAX_ROUNDS) throw new Error(`metric ${metric.key}: contributions still contended after ${MAX_ROUNDS} rounds`);
        const stored = await readContributions(
          metric.key,
          pending.map((c) => c.key),
        );
        const writes: CasWrite<ContributionDoc>[] = [];
        for (const change of pending) {
          const current = stored.get(change.key);
          if (current && change.version <= current.v) {
            skipped += 1;
            if (current.dirty) toSettle.add(change.key);
            continue;
          }
          const rows = [...metric.contributionsOf(change.data, change.changeTsMs)].map(([b, { agg }]) => ({ b, a: agg }));
          const touched = [...new Set([...(current?.touched ?? []), ...(current?.rows ?? []).map((r) => r.b), ...rows.map((r) => r.b)])];
          const next: ContributionDoc = {
            _id: contributionId(metric.key, change.key),
            metric: metric.key,
            k: change.key,
            v: change.version,
            rows,
            touched,
            dirty: true,
            rev: (current?.rev ?? 0) + 1,
          };
          writes.push({ next, storedRev: current?.rev ?? null });
        }
        if (writes.length === 0) break;
        const result = await compareAndSetMany(contributions, writes, async (docs) => {
          const after = await readContributions(
            metric.key,
            docs.map((doc) => doc.k),
          );
          return (doc) => {
            const now = after.get(doc.k);
            return now !== undefined && now.v === doc.v && now.rev === doc.rev;
          };
        });
        for (const doc of result.written) toSettle.add(doc.k);
        applied += result.written.length;
        pending = result.lost.map((doc) => latest.get(doc.k)!);
      }
      const written = await settle(metric, [...toSettle]);
      return { applied, skipped, buckets: written };
    },

    async settleDirty(metric) {
      let total = 0;
      for (;;) {
        const dirty = await contributions
          .find({ metric: metric.key, dirty: true }, { projection: { k: 1 } })
          .limit(500)
          .toArray();
        if (dirty.length === 0) return total;
        await settle(
          metric,
          dirty.map((d) => d.k),
        );
        total += dirty.length;
        if (dirty.length < 500) return total;
      }
    },

    async drop(metricKey) {
      await contributions.deleteMany({ metric: metricKey });
      await buckets.deleteMany({ metric: metricKey });
    },
  };
}

/** A document to write if the stored one still has `storedRev` (null: if there is none). */
export interface CasWrite<T> {
  readonly next: T;
  readonly storedRev: number | null;
}

/**
 * One round of compare-and-set writes in one unordered round trip: an insert where nothing was
 * stored, a replace guarded by the stored `rev` otherwise. When not every write matched (a lost
 * race, or a store that stopped at the first error), `isOurs` reads back the documents and says
 * which of them hold our write; the others are lost, for the caller's next round.
 */
export async function compareAndSetMany<T extends { _id: string; rev: number }>(
  collection: Collection<T>,
  writes: readonly CasWrite<T>[],
  isOurs: (docs: readonly T[]) => Promise<(doc: T) => boolean>,
): Promise<{ written: T[]; lost: T[] }> {
  const ops = writes.map(({ next, storedRev }): AnyBulkWriteOperation<T> => {
    if (storedRev === null) return { insertOne: { document: next as OptionalId<T> } };
    const { _id, ...rest } = next;
    return { replaceOne: { filter: { _id, rev: storedRev } as Filter<T>, replacement: rest as WithoutId<T> } };
  });
  let done = 0;
  try {
    const result = await collection.bulkWrite(ops, { ordered: false });
    done = result.insertedCount + result.matchedCount;
  } catch (error) {
    if (!(error as { writeErrors?: unknown }).writeErrors && (error as { code?: number }).code !== 11000) throw error;
  }
  const docs = writes.map((w) => w.next);
  if (done === ops.length) return { written: docs, lost: [] };
  const ours = await isOurs(docs);
  return { written: docs.filter(ours), lost: docs.filter((doc) => !ours(doc)) };
}

function view(doc: BucketDoc): BucketView {
  const { members: _members, w: _w, ...rest } = doc;
  return rest;
}
