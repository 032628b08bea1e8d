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
import { createRecentWrites } from './recent-writes';

/**
 * Metric rollups in the store, exact under retries, replays, crashes and concurrent writers,
 * with no multi-document transaction:
 *
 * - `metric_contributions`: per metric version and entity, the entity's contribution (bucket id
 *   → its folded rows) at an entity version and the buckets it may still occupy (`touched`).
 *   Written first, with a compare-and-set on `rev` and only for a newer entity version: it is the
 *   source of truth. Beside them, one intent document per batch (`<metric>#<batch>`, `dirty`,
 *   the batch's entity keys in `i`), written first in the same ordered write as the batch's
 *   contributions; each contribution names its batch in `p`. A contribution is unsettled (its
 *   buckets may not reflect it) while its batch's intent exists, or while it has `dirty` (the form
 *   written before intents, cleared per entity).
 * - `metric_buckets`: per bucket, its members (entity → contribution at a version, or a
 *   tombstone) and the aggregate computed from them. A bucket is rewritten whole with a
 *   compare-and-set on `rev` (and on its write token `w` when written from this store's copy of
 *   it, which saves reading a bucket this store wrote last); member updates are last-writer-wins
 *   by entity version, hence idempotent and order-free.
 *
 * `settle` makes every bucket an entity may occupy agree with its contribution document. Then the
 * batch's intent is removed (one delete, not awaited by the batch), or for a `dirty` contribution
 * the flag is cleared (compare-and-set, so a newer write stays dirty). A crash anywhere leaves
 * the intent (or the flag); replaying the change (same version: "duplicate"), a later change of
 * the entity, or the start-up sweep settles it again. See docs/metrics.md.
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

/** A contribution document as the code works with it (read from either stored form). */
export interface ContributionDoc {
  _id: string;
  metric: string;
  k: string;
  v: number;
  rows: { b: string; a: MemberAgg }[];
  /** Every bucket the entity may still occupy: the rows' buckets and those it may not have left yet. */
  touched: string[];
  dirty: boolean;
  rev: number;
  /** Stored before `r` existed (`k`, `rows`, `touched` as fields): its `dirty` clear writes `touched` again. */
  legacy?: true;
  /** The batch that wrote it: unsettled while that batch's intent exists. */
  p?: string;
  /**
   * The write that stored it (the writing store's batch id, unique per process and round): with
   * `rev`, what a write from a remembered copy requires, so that a document deleted and written
   * again since (a drop and rebuild elsewhere) never passes for the copy. Absent on documents
   * written before it existed.
   */
  w?: string;
}

/**
 * A contribution document as stored. `r`: the rows as one JSON string of `[b, n, s]` (a row whose
 * min and max are its sum) or `[b, n, s, lo, hi]`, `b` the bucket id without the metric's
 * `<name>@<version>/` prefix; `x`: the same for the buckets in `touched` that are not a row's,
 * left out when there are none. The entity key is the `_id` after `<metric>|`. A document written
 * before this form holds `k`, `rows` ({b, a} documents) and `touched` instead, and is read as such.
 */
export interface StoredContribution {
  _id: string;
  metric: string;
  v: number;
  r?: string;
  x?: string;
  k?: string;
  rows?: { b: string; a: MemberAgg }[];
  touched?: string[];
  dirty: boolean;
  rev: number;
  p?: string;
  w?: string;
}

/**
 * A batch's intent, in the contributions' collection so that it goes ahead of them in one ordered
 * write: `_id` `<metric>#<batch>`, `i` the keys of the contributions the batch writes (each with
 * `p` = batch), `at` when it was written. `dirty: true` puts it under the start-up sweep's index.
 */
export interface StoredIntent {
  _id: string;
  metric: string;
  dirty: true;
  i: string[];
  at: number;
}

type StoredRow = [string, number, string | null] | [string, number, string | null, string | null, string | null];

/** The stored form of a contribution (see StoredContribution). */
export function encodeContribution(doc: ContributionDoc): StoredContribution {
  const prefix = doc.metric.length + 1;
  const rowBuckets = new Set<string>();
  const rows = doc.rows.map(({ b, a }): StoredRow => {
    rowBuckets.add(b);
    return a.lo === a.s && a.hi === a.s ? [b.slice(prefix), a.n, a.s] : [b.slice(prefix), a.n, a.s, a.lo, a.hi];
  });
  const extra = doc.touched.filter((b) => !rowBuckets.has(b)).map((b) => b.slice(prefix));
  return {
    _id: doc._id,
    metric: doc.metric,
    v: doc.v,
    r: JSON.stringify(rows),
    ...(extra.length > 0 ? { x: JSON.stringify(extra) } : {}),
    dirty: doc.dirty,
    rev: doc.rev,
    ...(doc.p !== undefined ? { p: doc.p } : {}),
    ...(doc.w !== undefined ? { w: doc.w } : {}),
  };
}

/** A stored contribution, in whichever form it was written. */
export function decodeContribution(stored: StoredContribution): ContributionDoc {
  const k = stored.k ?? stored._id.slice(stored.metric.length + 1);
  if (stored.r === undefined) {
    return {
      _id: stored._id,
      metric: stored.metric,
      k,
      v: stored.v,
      rows: stored.rows ?? [],
      touched: stored.touched ?? [],
      dirty: stored.dirty,
      rev: stored.rev,
      legacy: true,
    };
  }
  const prefix = `${stored.metric}/`;
  const rows = (JSON.parse(stored.r) as StoredRow[]).map((row) => ({
    b: prefix + row[0],
    a: row.length === 3 ? { n: row[1], s: row[2], lo: row[2], hi: row[2] } : { n: row[1], s: row[2], lo: row[3], hi: row[4] },
  }));
  const extra = stored.x === undefined ? [] : (JSON.parse(stored.x) as string[]).map((b) => prefix + b);
  const doc: ContributionDoc = {
    _id: stored._id,
    metric: stored.metric,
    k,
    v: stored.v,
    rows,
    touched: [...rows.map((r) => r.b), ...extra],
    dirty: stored.dirty,
    rev: stored.rev,
  };
  if (stored.p !== undefined) doc.p = stored.p;
  if (stored.w !== undefined) doc.w = stored.w;
  return doc;
}

export interface BucketDoc extends BucketSummary {
  _id: string;
  metric: string;
  window: WindowSize;
  startMs: number;
  dims: Record<string, DimValue>;
  dimsKey: string;
  /** The members, encoded by `encodeMembers` (one string: see there). */
  m?: string;
  /** The members of a bucket last written before `m` existed (each rewrite writes `m` instead). */
  members?: Member[];
  rev: number;
  w: string;
  updatedAtMs: number;
}

export type BucketView = Omit<BucketDoc, 'members' | 'm' | 'w'>;

/** What readers of aggregates project away: the members (either form) and the write token. */
export const BUCKET_SUMMARY_PROJECTION = { members: 0, m: 0, w: 0 } as const;

/** What a metric query folds: a bucket's start, dimension values and summary, nothing else (half a bucket's bytes to decode). */
export const BUCKET_FOLD_PROJECTION = { _id: 0, startMs: 1, dims: 1, count: 1, sum: 1, min: 1, max: 1 } as const;

export type BucketFold = Pick<BucketDoc, 'startMs' | 'dims' | 'count' | 'sum' | 'min' | 'max'>;

/** A member as stored in `m`: `[k, v, t]` a tombstone, `[k, v, n, s]` a contribution whose lo and hi are s, `[k, v, n, s, lo, hi]` any other. */
type StoredMember = [string, number, number] | [string, number, number, string | null] | [string, number, number, string | null, string | null, string | null];

/**
 * A bucket's members as one JSON string of arrays: the store keeps and copies one value per
 * bucket instead of a nested document per member, and the driver and the store encode and decode
 * one string. The aggregate's values stay the exact decimal text they were; a live member's
 * write time, only ever read for tombstones, is not kept.
 */
export function encodeMembers(members: Iterable<Member>): string {
  const rows: StoredMember[] = [];
  for (const { k, v, a, t } of members) {
    if (!a) rows.push([k, v, t]);
    else if (a.lo === a.s && a.hi === a.s) rows.push([k, v, a.n, a.s]);
    else rows.push([k, v, a.n, a.s, a.lo, a.hi]);
  }
  return JSON.stringify(rows);
}

/** Inverse of encodeMembers (a live member's `t` reads as 0). */
export function decodeMembers(encoded: string): Member[] {
  return (JSON.parse(encoded) as StoredMember[]).map((row): Member => {
    if (row.length === 3) return { k: row[0], v: row[1], g: true, t: row[2] };
    if (row.length === 4) return { k: row[0], v: row[1], a: { n: row[2], s: row[3], lo: row[3], hi: row[3] }, t: 0 };
    return { k: row[0], v: row[1], a: { n: row[2], s: row[3], lo: row[4], hi: row[5] }, t: 0 };
  });
}

/** A stored bucket's members, in whichever form it was written. */
export function membersOf(doc: Pick<BucketDoc, 'm' | 'members'>): Member[] {
  return doc.m !== undefined ? decodeMembers(doc.m) : (doc.members ?? []);
}

/**
 * A bucket as this store last wrote it: its members, and the `rev` and write token `w` that say
 * whether the stored document is still that one.
 */
interface CachedBucket {
  readonly rev: number;
  readonly w: string;
  /**
   * The members as written. The next write of the bucket changes this map in place rather than a
   * copy (the copy was a bucket's whole membership per write): the entry is dropped whenever that
   * write does not land (lost, or failed), so the map never holds members the store does not.
   */
  readonly members: Map<string, Member>;
}

/** Members kept in a store's bucket cache at most (the least recently written buckets go first). */
const CACHED_MEMBERS = 200_000;

/** Contributions kept in a store's contribution cache at most (the least recently written go first). */
const CACHED_CONTRIBUTIONS = 50_000;

/** An entity's membership of one bucket at a version (null: gone). */
interface MemberPut {
  readonly k: string;
  readonly v: number;
  readonly a: MemberAgg | null;
}

interface BucketWaiter {
  readonly ids: ReadonlySet<string>;
  resolve(written: BucketView[]): void;
  reject(error: unknown): void;
}

export interface ApplyResult {
  /** Changes whose contribution was written (newer than stored). */
  readonly applied: number;
  /** Changes at or below the stored version (duplicates and stale events). */
  readonly skipped: number;
  /** Buckets rewritten. */
  readonly buckets: BucketView[];
}

export interface RollupStore {
  readonly contributions: Collection<StoredContribution>;
  readonly buckets: Collection<BucketDoc>;
  ensureIndexes(): Promise<void>;
  /** Applies entity states to one metric: only a version newer than the stored one counts. */
  apply(metric: CompiledMetric, changes: readonly EntityChange[]): Promise<ApplyResult>;
  /** Settles every contribution left dirty by a crash (run at start). Returns how many. */
  settleDirty(metric: CompiledMetric): Promise<number>;
  /** Removes every rollup of a metric version (before a rebuild, or when it is dropped). */
  drop(metricKey: string): Promise<void>;
  /** Resolves when the removals of this store's settled batches' intents have been answered. */
  intentsClosed(): Promise<void>;
}

export function createRollupStore(db: Db): RollupStore {
  const contributions = db.collection<StoredContribution>(CONTRIBUTIONS_COLLECTION);
  const buckets = db.collection<BucketDoc>(BUCKETS_COLLECTION);
  const intents = db.collection<StoredIntent>(CONTRIBUTIONS_COLLECTION);
  const contributionId = (metric: string, key: string) => `${metric}|${key}`;
  const intentId = (metric: string, batch: string) => `${metric}#${batch}`;
  /** This store's batches are `<owner>.<n>`: whether one of them is settled is known here without a read. */
  const owner = crypto.randomUUID().slice(0, 8);
  let batchCount = 0;
  const isOwn = (batch: string) => batch.startsWith(`${owner}.`);
  /** This store's batches whose buckets are not all written yet (one whose settle failed stays here). */
  const openBatches = new Set<string>();
  /** Other writers' batches whose intent was found removed: an intent, once removed, is never written again. */
  const closedForeign = new Set<string>();
  /** Removals of settled batches' intents in flight. */
  const closing = new Set<Promise<void>>();
  /**
   * Metrics whose last batch with first states found one of their contributions stored (a replay
   * after a restart or a rebalance, a new group reading a topic a backfill has already covered):
   * while so, first states are read like any other entity, rather than each batch losing an
   * insert round and reading them anyway. A batch whose reads find none stored ends it.
   */
  const firstStatesStored = new Set<string>();

  /**
   * Which of these contributions may have buckets that do not reflect them: flagged `dirty`, or
   * written by a batch whose intent still exists. Reads the intents of other writers' batches not
   * already known to be closed (none in a process that alone writes the metric).
   */
  async function unsettledOf(metric: string, docs: Iterable<ContributionDoc>): Promise<(doc: ContributionDoc) => boolean> {
    const unknown = new Set<string>();
    for (const doc of docs) if (doc.p !== undefined && !isOwn(doc.p) && !closedForeign.has(doc.p)) unknown.add(doc.p);
    const open = new Set<string>();
    if (unknown.size > 0) {
      const found = await intents.find({ _id: { $in: [...unknown].map((batch) => intentId(metric, batch)) } }, { projection: { _id: 1 } }).toArray();
      for (const { _id } of found) open.add(_id.slice(metric.length + 1));
      if (closedForeign.size > 100_000) closedForeign.clear();
      for (const batch of unknown) if (!open.has(batch)) closedForeign.add(batch);
    }
    return (doc) => doc.dirty || (doc.p !== undefined && (isOwn(doc.p) ? openBatches.has(doc.p) : open.has(doc.p)));
  }

  /** Removes a settled batch's intent, off the batch's path: an intent left behind only costs a second settle. */
  function closeIntent(metric: string, batch: string): void {
    const removal = intents.deleteOne({ _id: intentId(metric, batch) }).then(
      () => undefined,
      () => undefined,
    );
    closing.add(removal);
    void removal.finally(() => closing.delete(removal));
  }

  /**
   * The contributions this store wrote last, by `_id`, least recently written first. A write from
   * a remembered copy is guarded by its `rev` and its write token `w`: if anyone wrote the document
   * since, the guard fails, the copy goes and the next round reads the document. A change at or
   * below a remembered version is skipped without a read: a stored version only ever grows (a
   * rebuild starts from the entity's state, which is at least as new). So the cache saves the read
   * of each entity's contribution (the store's lookup and encoding, this process's decoding),
   * never its exactness.
   */
  const knownContributions = createRecentWrites<ContributionDoc>(CACHED_CONTRIBUTIONS);

  async function readContributions(metric: string, keys: readonly string[]): Promise<Map<string, ContributionDoc>> {
    const found = new Map<string, ContributionDoc>();
    if (keys.length === 0) return found;
    const docs = await contributions.find({ _id: { $in: keys.map((k) => contributionId(metric, k)) } }).toArray();
    for (const stored of docs) {
      const doc = decodeContribution(stored);
      found.set(doc.k, doc);
    }
    return found;
  }

  /**
   * Bucket puts waiting for this store's next bucket write of a metric, with their callers.
   * Batches applied concurrently (the consumer's partitions, a backfill beside the stream) mostly
   * touch the same buckets: queued while a write is in flight, their puts are merged (a member put
   * is order-free, the highest version wins) and each bucket is read and written once for all of
   * them, instead of once per batch with the later writers losing their compare-and-set. A write
   * starts once every apply of the metric in flight here has queued its puts or left without
   * any (`arriving`): the batches of one fetch, applied at once, make one bucket write together
   * instead of the first alone and the others after it.
   */
  const queued = new Map<string, { metric: CompiledMetric; puts: Map<string, MemberPut[]>; waiters: BucketWaiter[] }>();
  const flushing = new Set<string>();
  /** Per metric, the applies in flight that have not yet queued their bucket puts nor left. */
  const arriving = new Map<string, number>();
  const maybeFlush = (key: string) => {
    if (queued.has(key) && !flushing.has(key) && !arriving.has(key)) void flushBuckets(key);
  };

  /** Counts an apply of `key` in flight; the function returned says it has queued its puts or left (once). */
  function applying(key: string): () => void {
    arriving.set(key, (arriving.get(key) ?? 0) + 1);
    let arrived = false;
    return () => {
      if (arrived) return;
      arrived = true;
      const left = arriving.get(key)! - 1;
      if (left === 0) arriving.delete(key);
      else arriving.set(key, left);
      maybeFlush(key);
    };
  }

  /**
   * Writes each bucket's member puts (merged with those queued meanwhile); resolves with this
   * caller's buckets written. `arrived` (an apply's) is called once its puts are queued.
   */
  function writeBuckets(metric: CompiledMetric, puts: ReadonlyMap<string, readonly MemberPut[]>, arrived?: () => void): Promise<BucketView[]> {
    if (puts.size === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      let queue = queued.get(metric.key);
      if (!queue) {
        queue = { metric, puts: new Map(), waiters: [] };
        queued.set(metric.key, queue);
      }
      for (const [id, list] of puts) {
        const merged = queue.puts.get(id);
        if (merged) merged.push(...list);
        else queue.puts.set(id, [...list]);
      }
      queue.waiters.push({ ids: new Set(puts.keys()), resolve, reject });
      if (arrived) arrived();
      else maybeFlush(metric.key);
    });
  }

  async function flushBuckets(key: string): Promise<void> {
    flushing.add(key);
    try {
      // With applies still on their way, the next write waits for them (the last one starts it).
      for (let queue = queued.get(key); queue && !arriving.has(key); queue = queued.get(key)) {
        queued.delete(key);
        try {
          const written = await writeBucketsNow(queue.metric, queue.puts);
          for (const waiter of queue.waiters) waiter.resolve(written.filter((bucket) => waiter.ids.has(bucket._id)));
        } catch (error) {
          for (const waiter of queue.waiters) waiter.reject(error);
        }
      }
    } finally {
      flushing.delete(key);
    }
  }

  /**
   * The buckets this store wrote last, by id, least recently written first. A write from a cached
   * bucket is guarded by its `rev` and its write token `w`: if anyone wrote the bucket since
   * (another process, a drop and rebuild back to the same `rev`), the guard fails, the entry goes
   * and the next round reads the bucket. So the cache saves a bucket's read (the store encoding
   * every member, this process decoding them), never its exactness.
   */
  const cached = createRecentWrites<CachedBucket>(CACHED_MEMBERS, (entry) => entry.members.size);

  /** Writes each bucket's member puts; retries buckets whose compare-and-set lost a race. */
  async function writeBucketsNow(metric: CompiledMetric, puts: ReadonlyMap<string, readonly MemberPut[]>): Promise<BucketView[]> {
    const written: BucketView[] = [];
    let pending = [...puts.keys()];
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_ROUNDS) throw new Error(`metric ${metric.key}: buckets still contended after ${MAX_ROUNDS} rounds`);
      // A bucket this store wrote last is not read; after a lost round every pending one is.
      const toRead = round === 0 ? pending.filter((id) => !cached.has(id)) : pending;
      const docs = new Map(toRead.length === 0 ? [] : (await buckets.find({ _id: { $in: toRead } }).toArray()).map((d) => [d._id, d]));
      const now = Date.now();
      const writes: CasWrite<BucketDoc>[] = [];
      const nextMembers = new Map<string, Map<string, Member>>();
      for (const id of pending) {
        const doc = docs.get(id);
        const base = round === 0 ? cached.get(id) : undefined;
        const stored = base ?? (doc ? { rev: doc.rev, w: doc.w as string | undefined, members: null } : null);
        const members = base ? base.members : new Map((doc ? membersOf(doc) : []).map((m) => [m.k, m]));
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
          m: encodeMembers(members.values()),
          rev: (stored?.rev ?? 0) + 1,
          w: crypto.randomUUID(),
          updatedAtMs: now,
        };
        nextMembers.set(id, members);
        writes.push({ next, storedRev: stored?.rev ?? null, ...(stored?.w !== undefined ? { storedW: stored.w } : {}) });
      }
      if (writes.length === 0) break;
      let result: { written: BucketDoc[]; lost: BucketDoc[] };
      try {
        // The write token says whose write a stored bucket is.
        result = await compareAndSetMany(buckets, writes, async (docs) => {
          const stored = new Map(
            (await buckets.find({ _id: { $in: docs.map((doc) => doc._id) } }, { projection: { w: 1 } }).toArray()).map((d) => [d._id, d.w]),
          );
          return (doc) => stored.get(doc._id) === doc.w;
        });
      } catch (error) {
        for (const { next } of writes) cached.forget(next._id);
        throw error;
      }
      for (const doc of result.written) {
        written.push(view(doc));
        cached.remember(doc._id, { rev: doc.rev, w: doc.w, members: nextMembers.get(doc._id)! });
      }
      for (const doc of result.lost) cached.forget(doc._id);
      pending = result.lost.map((doc) => doc._id);
    }
    return written;
  }

  /**
   * Makes the buckets of these entities agree with these contribution documents (as read or
   * written just before: if one has moved on since, its `dirty` stays for the newer writer).
   */
  async function settle(metric: CompiledMetric, docs: ReadonlyMap<string, ContributionDoc>, arrived?: () => void): Promise<BucketView[]> {
    if (docs.size === 0) return [];
    const puts = new Map<string, MemberPut[]>();
    const add = (bucket: string, put: MemberPut) => {
      const list = puts.get(bucket);
      if (list) list.push(put);
      else puts.set(bucket, [put]);
    };
    for (const doc of docs.values()) {
      const rows = new Map(doc.rows.map((r) => [r.b, r.a]));
      for (const bucket of new Set([...doc.touched, ...rows.keys()])) add(bucket, { k: doc.k, v: doc.v, a: rows.get(bucket) ?? null });
    }
    const written = await writeBuckets(metric, puts, arrived);
    // A contribution of a batch with an intent is settled when the intent goes; a `dirty` one by
    // its clear, which shrinks `touched` to the rows' buckets (in the stored form, by dropping `x`).
    const clears = [...docs.values()]
      .filter((doc) => doc.dirty)
      .map((doc): AnyBulkWriteOperation<StoredContribution> => {
        const filter = { _id: doc._id, rev: doc.rev };
        if (doc.legacy) return { updateOne: { filter, update: { $set: { dirty: false, touched: doc.rows.map((r) => r.b), rev: doc.rev + 1 } } } };
        const shrinks = doc.touched.length > doc.rows.length;
        return { updateOne: { filter, update: { $set: { dirty: false, rev: doc.rev + 1 }, ...(shrinks ? { $unset: { x: '' as const } } : {}) } } };
      });
    if (clears.length > 0) {
      // A cleared document's rev moves on: a copy of it no longer matches.
      for (const doc of docs.values()) if (doc.dirty) knownContributions.forget(doc._id);
      await contributions.bulkWrite(clears, { ordered: false });
    }
    return written;
  }

  /** RollupStore.apply, with `arrived` called once its bucket puts are queued. */
  async function applyNow(metric: CompiledMetric, changes: readonly EntityChange[], arrived: () => void): Promise<ApplyResult> {
    // Only each entity's newest state matters: a contribution is a function of the state alone.
    const latest = new Map<string, EntityChange>();
    /**
     * Entities whose first state (version 1) is in these changes: they have no contribution unless
     * a backfill or another writer has just made one, so round 0 inserts theirs without reading.
     * An insert refused because the document exists loses its round like a lost compare-and-set,
     * and the next round reads it: the outcome is the read's, only a read is saved.
     */
    const fresh = new Set<string>();
    for (const change of changes) {
      const seen = latest.get(change.key);
      if (!seen || change.version > seen.version) latest.set(change.key, change);
      if (change.version === 1) fresh.add(change.key);
    }
    let applied = 0;
    let skipped = changes.length - latest.size;
    // The contribution each entity's buckets must agree with: the one written, or an unsettled one found.
    const toSettle = new Map<string, ContributionDoc>();
    /** This apply's batches (one per compare-and-set round that writes a changed contribution). */
    const batches: string[] = [];
    let pending = [...latest.values()];
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_ROUNDS) throw new Error(`metric ${metric.key}: contributions still contended after ${MAX_ROUNDS} rounds`);
      // A contribution this store wrote last is not read; after a lost round every pending one is.
      const remembered = new Map<string, ContributionDoc>();
      const toRead: string[] = [];
      /** First states inserted in this round without a read. */
      const unread = new Set<string>();
      const readsFirstStates = round > 0 || firstStatesStored.has(metric.key);
      for (const change of pending) {
        const copy = round === 0 ? knownContributions.get(contributionId(metric.key, change.key)) : undefined;
        if (copy) remembered.set(change.key, copy);
        else if (readsFirstStates || !fresh.has(change.key)) toRead.push(change.key);
        else unread.add(change.key);
      }
      const stored = await readContributions(metric.key, toRead);
      const firstStatesRead = round === 0 && readsFirstStates ? toRead.filter((key) => fresh.has(key)) : [];
      if (firstStatesRead.length > 0) {
        if (firstStatesRead.some((key) => stored.has(key))) firstStatesStored.add(metric.key);
        else firstStatesStored.delete(metric.key);
      }
      for (const [key, copy] of remembered) stored.set(key, copy);
      const unsettled = await unsettledOf(metric.key, stored.values());
      const batch = `${owner}.${(batchCount += 1)}`;
      const writes: CasWrite<StoredContribution>[] = [];
      const nextOf = new Map<string, ContributionDoc>();
      /** Written with the buckets already right: a newer version whose contribution is the settled one's. */
      const unchanged = new Set<string>();
      const keys: string[] = [];
      for (const change of pending) {
        const current = stored.get(change.key);
        if (current && change.version <= current.v) {
          skipped += 1;
          if (unsettled(current)) toSettle.set(change.key, current);
          continue;
        }
        const rows = [...metric.contributionsOf(change.data, change.changeTsMs)].map(([b, { agg }]) => ({ b, a: agg }));
        const settled = current !== undefined && !unsettled(current);
        if (current && settled && sameRows(current, rows)) {
          // Its buckets already hold these rows (at an older version): only the version moves on,
          // so an older state arriving later is still refused; no bucket is written and nothing is unsettled.
          const next: ContributionDoc = { ...current, v: change.version, rows, touched: rows.map((r) => r.b), rev: current.rev + 1, w: batch };
          delete next.legacy;
          delete next.p;
          nextOf.set(next._id, next);
          unchanged.add(next._id);
          writes.push({ next: encodeContribution(next), storedRev: current.rev, ...(current.w !== undefined ? { storedW: current.w } : {}) });
          continue;
        }
        // A settled contribution is already gone from the buckets it may have left (its `touched`
        // beyond its rows): only its rows' buckets remain to be updated.
        const before = current === undefined ? [] : settled ? current.rows.map((r) => r.b) : [...current.touched, ...current.rows.map((r) => r.b)];
        const next: ContributionDoc = {
          _id: contributionId(metric.key, change.key),
          metric: metric.key,
          k: change.key,
          v: change.version,
          rows,
          touched: [...new Set([...before, ...rows.map((r) => r.b)])],
          dirty: false,
          rev: (current?.rev ?? 0) + 1,
          p: batch,
          w: batch,
        };
        nextOf.set(next._id, next);
        keys.push(change.key);
        writes.push({ next: encodeContribution(next), storedRev: current?.rev ?? null, ...(current?.w !== undefined ? { storedW: current.w } : {}) });
      }
      if (writes.length === 0) break;
      // The intent goes ahead of the contributions naming it, in the same ordered write.
      let intent: StoredIntent | undefined;
      if (keys.length > 0) {
        intent = { _id: intentId(metric.key, batch), metric: metric.key, dirty: true, i: keys, at: Date.now() };
        openBatches.add(batch);
        batches.push(batch);
      }
      let result: { written: StoredContribution[]; lost: StoredContribution[] };
      try {
        result = await compareAndSetMany(
          contributions,
          writes,
          async (docs) => {
            const after = await readContributions(
              metric.key,
              docs.map((doc) => nextOf.get(doc._id)!.k),
            );
            return (doc) => {
              const now = after.get(nextOf.get(doc._id)!.k);
              return now !== undefined && now.v === doc.v && now.rev === doc.rev && now.w === doc.w;
            };
          },
          intent as StoredContribution | undefined,
        );
      } catch (error) {
        // Whether any of them landed is not known: the next apply reads them.
        for (const { next } of writes) knownContributions.forget(next._id);
        throw error;
      }
      for (const { _id } of result.written) {
        if (!unchanged.has(_id)) toSettle.set(nextOf.get(_id)!.k, nextOf.get(_id)!);
        knownContributions.remember(_id, nextOf.get(_id)!);
      }
      for (const { _id } of result.lost) {
        knownContributions.forget(_id);
        if (unread.has(nextOf.get(_id)!.k)) firstStatesStored.add(metric.key);
      }
      applied += result.written.length;
      pending = result.lost.map((doc) => latest.get(nextOf.get(doc._id)!.k)!);
    }
    const written = await settle(metric, toSettle, arrived);
    for (const batch of batches) {
      openBatches.delete(batch);
      closeIntent(metric.key, batch);
    }
    return { applied, skipped, buckets: written };
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
      const arrived = applying(metric.key);
      try {
        return await applyNow(metric, changes, arrived);
      } finally {
        arrived();
      }
    },

    async settleDirty(metric) {
      let total = 0;
      let after = '';
      for (;;) {
        // Flagged contributions and intents, in `_id` order: an intent left in place is passed, not found again.
        const found = (await contributions
          .find({ metric: metric.key, dirty: true, _id: { $gt: after } })
          .sort({ _id: 1 })
          .limit(500)
          .toArray()) as (StoredContribution | StoredIntent)[];
        if (found.length === 0) return total;
        after = found[found.length - 1]!._id;
        const unsettled = new Map<string, ContributionDoc>();
        const expired: string[] = [];
        for (const stored of found) {
          if ('i' in stored) {
            const batch = stored._id.slice(metric.key.length + 1);
            // This store's own batches settle themselves (or stay open here after a failure).
            if (isOwn(batch)) continue;
            for (const doc of (await readContributions(metric.key, stored.i)).values()) if (doc.p === batch) unsettled.set(doc.k, doc);
            // The intent may belong to a live writer whose contributions are still on the way; it is
            // removed only once no writer can still hold that write (as for tombstones).
            if (stored.at < Date.now() - TOMBSTONE_TTL_MS) expired.push(stored._id);
            continue;
          }
          const doc = decodeContribution(stored);
          unsettled.set(doc.k, doc);
        }
        await settle(metric, unsettled);
        if (expired.length > 0) await intents.deleteMany({ _id: { $in: expired } });
        total += unsettled.size;
        if (found.length < 500) return total;
      }
    },

    async drop(metricKey) {
      cached.forgetPrefixed(`${metricKey}/`);
      knownContributions.forgetPrefixed(`${metricKey}|`);
      await contributions.deleteMany({ metric: metricKey });
      await buckets.deleteMany({ metric: metricKey });
    },

    async intentsClosed() {
      while (closing.size > 0) await Promise.all([...closing]);
    },
  };
}

/** A document to write if the stored one still has `storedRev` (null: if there is none). */
export interface CasWrite<T> {
  readonly next: T;
  readonly storedRev: number | null;
  /** The stored write token `w` the write also requires, when known. */
  readonly storedW?: string;
}

/**
 * One round of compare-and-set writes in one round trip per kind: an insert where nothing was
 * stored, a replace guarded by the stored `rev` otherwise. With `ahead` (an intent naming these
 * writes) the round is ordered and `ahead` goes first: inserted first in the inserts' command when
 * there are no replaces, upserted first in the replaces' command otherwise. None of the writes
 * reaches the store before it. When not every write matched (a lost race, or an
 * ordered round stopped at the first error), `isOurs` reads back the documents and says which of
 * them hold our write; the others are lost, for the caller's next round.
 */
export async function compareAndSetMany<T extends { _id: string; rev: number }>(
  collection: Collection<T>,
  writes: readonly CasWrite<T>[],
  isOurs: (docs: readonly T[]) => Promise<(doc: T) => boolean>,
  ahead?: T,
): Promise<{ written: T[]; lost: T[] }> {
  const opOf = ({ next, storedRev, storedW }: CasWrite<T>): AnyBulkWriteOperation<T> => {
    if (storedRev === null) return { insertOne: { document: next as OptionalId<T> } };
    const { _id, ...rest } = next;
    const filter = (storedW === undefined ? { _id, rev: storedRev } : { _id, rev: storedRev, w: storedW }) as Filter<T>;
    return { replaceOne: { filter, replacement: rest as WithoutId<T> } };
  };
  let ops = writes.map(opOf);
  /** 1 when `ahead` is one of the inserts counted in the result. */
  let aheadInserted = 0;
  if (ahead) {
    // Ordered, the driver sends each run of one kind as a command. With inserts alone, `ahead` is
    // inserted first in their command (one round trip). Otherwise it is upserted first in the
    // replaces' command and the inserts follow in another: an insert refused (the document
    // exists) stops an ordered command there, and would stop the replaces behind it too.
    const replaces = ops.filter((op) => 'replaceOne' in op);
    if (replaces.length === 0) {
      ops = [{ insertOne: { document: ahead as OptionalId<T> } }, ...ops];
      aheadInserted = 1;
    } else {
      const { _id, ...rest } = ahead;
      const upsert: AnyBulkWriteOperation<T> = { replaceOne: { filter: { _id } as Filter<T>, replacement: rest as WithoutId<T>, upsert: true } };
      ops = [upsert, ...replaces, ...ops.filter((op) => 'insertOne' in op)];
    }
  }
  let done = 0;
  try {
    const result = await collection.bulkWrite(ops, { ordered: ahead !== undefined });
    done = result.insertedCount - aheadInserted + result.matchedCount;
  } catch (error) {
    if (!(error as { writeErrors?: unknown }).writeErrors && (error as { code?: number }).code !== 11000) throw error;
  }
  const docs = writes.map((w) => w.next);
  if (done === writes.length) return { written: docs, lost: [] };
  const ours = await isOurs(docs);
  return { written: docs.filter(ours), lost: docs.filter((doc) => !ours(doc)) };
}

/** Whether `rows` are exactly the settled contribution's rows and it occupies no other bucket. */
function sameRows(current: ContributionDoc, rows: readonly { b: string; a: MemberAgg }[]): boolean {
  if (current.rows.length !== rows.length || current.touched.length !== new Set(current.touched).size || current.touched.length !== rows.length) return false;
  const stored = new Map(current.rows.map((r) => [r.b, r.a]));
  return rows.every(({ b, a }) => {
    const was = stored.get(b);
    return was !== undefined && was.n === a.n && was.s === a.s && was.lo === a.lo && was.hi === a.hi;
  });
}

function view(doc: BucketDoc): BucketView {
  const { members: _members, m: _m, w: _w, ...rest } = doc;
  return rest;
}
