import crypto from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { stateCollectionName, type StoredEntity } from '../state/entity-store';
import { summarize, type BucketSummary, type CompiledMetric, type Member } from './aggregation';
import type { EntityChange, RollupStore } from './rollup-store';

/**
 * Batch computation of a metric from canonical state (`state_<subject>`), with the very code the
 * streaming path uses: each entity's state becomes an EntityChange at its `_meta.version`, and
 * goes through `RollupStore.apply` (backfill) or straight into `contributionsOf` + `summarize`
 * (in-memory recomputation, to verify the stored rollups).
 */
export const BACKFILLS_COLLECTION = 'metric_backfills';
const PAGE = 500;
/** A backfill whose owner has not reported for this long is taken over by another process. */
const LEASE_MS = 30_000;

export type BackfillState = 'running' | 'done' | 'failed';

export interface BackfillProgress {
  _id: string;
  state: BackfillState;
  scanned: number;
  /** Entities in state when the backfill started (an estimate of the work). */
  total: number;
  lastKey: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  owner: string;
  heartbeatAtMs: number;
  error?: string;
}

/** The EntityChange a stored entity stands for (deleted entities contribute nothing). */
export function changeOfState(entity: StoredEntity): EntityChange {
  return {
    key: entity._id,
    version: entity._meta.version,
    data: entity._meta.deleted ? null : entity.data,
    changeTsMs: entity._meta.sourceTsMs ?? (entity._meta.updatedAt instanceof Date ? entity._meta.updatedAt.getTime() : null),
  };
}

/** Reads a subject's state page by page, in `_id` order, after `afterKey`. */
export async function* statePages(db: Db, subject: string, afterKey: string | null): AsyncGenerator<StoredEntity[]> {
  const state = db.collection<StoredEntity>(stateCollectionName(subject));
  let last = afterKey;
  for (;;) {
    const page = await state
      .find(last === null ? {} : { _id: { $gt: last } })
      .sort({ _id: 1 })
      .limit(PAGE)
      .toArray();
    if (page.length === 0) return;
    yield page;
    last = page[page.length - 1]!._id;
    if (page.length < PAGE) return;
  }
}

/** Recomputes every bucket of a metric from state in memory: bucket id → aggregate. */
export async function computeFromState(db: Db, metric: CompiledMetric): Promise<Map<string, BucketSummary>> {
  const members = new Map<string, Member[]>();
  for await (const page of statePages(db, metric.definition.subject, null)) {
    for (const entity of page) {
      const change = changeOfState(entity);
      for (const [id, { agg }] of metric.contributionsOf(change.data, change.changeTsMs)) {
        const list = members.get(id) ?? [];
        list.push({ k: change.key, v: change.version, a: agg, t: 0 });
        members.set(id, list);
      }
    }
  }
  return new Map([...members].map(([id, list]) => [id, summarize(list)]));
}

export interface Backfills {
  readonly collection: Collection<BackfillProgress>;
  /**
   * Runs (or resumes, or takes over from a dead owner) the backfill of a metric version; returns
   * its final progress, or null when another live process owns it. `restart`: from scratch even if done.
   */
  run(metric: CompiledMetric, options?: { restart?: boolean; onProgress?: (p: BackfillProgress) => void }): Promise<BackfillProgress | null>;
  progress(metricKey: string): Promise<BackfillProgress | null>;
}

export function createBackfills(db: Db, rollups: RollupStore): Backfills {
  const collection = db.collection<BackfillProgress>(BACKFILLS_COLLECTION);
  const owner = `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;

  async function claim(metric: CompiledMetric, restart: boolean): Promise<BackfillProgress | null> {
    const now = Date.now();
    const total = await db.collection(stateCollectionName(metric.definition.subject)).estimatedDocumentCount();
    const fresh: BackfillProgress = {
      _id: metric.key,
      state: 'running',
      scanned: 0,
      total,
      lastKey: null,
      startedAt: new Date(now),
      finishedAt: null,
      owner,
      heartbeatAtMs: now,
    };
    const existing = await collection.findOne({ _id: metric.key });
    if (!existing) {
      try {
        await collection.insertOne(fresh);
        return fresh;
      } catch (error) {
        if ((error as { code?: number }).code === 11000) return null;
        throw error;
      }
    }
    if (existing.state === 'done' && !restart) return existing;
    const ownerAlive = existing.state === 'running' && existing.owner !== owner && existing.heartbeatAtMs > now - LEASE_MS;
    if (ownerAlive) return null;
    // Resume where a dead owner stopped (restart: from the beginning), taking the lease by CAS.
    const next = restart || existing.state !== 'running' ? fresh : { ...existing, owner, heartbeatAtMs: now };
    const result = await collection.replaceOne({ _id: metric.key, heartbeatAtMs: existing.heartbeatAtMs, owner: existing.owner }, next);
    return result.matchedCount === 1 ? next : null;
  }

  return {
    collection,
    async run(metric, options = {}) {
      const claimed = await claim(metric, options.restart ?? false);
      if (!claimed || claimed.state === 'done') return claimed;
      let progress = claimed;
      try {
        for await (const page of statePages(db, metric.definition.subject, progress.lastKey)) {
          await rollups.apply(metric, page.map(changeOfState));
          const update = { scanned: progress.scanned + page.length, lastKey: page[page.length - 1]!._id, heartbeatAtMs: Date.now() };
          const moved = await collection.updateOne({ _id: metric.key, owner }, { $set: update });
          if (moved.matchedCount === 0) return null; // taken over (we were too slow): the new owner goes on
          progress = { ...progress, ...update };
          options.onProgress?.(progress);
        }
        const finished = { state: 'done' as const, finishedAt: new Date(), heartbeatAtMs: Date.now() };
        await collection.updateOne({ _id: metric.key, owner }, { $set: finished });
        progress = { ...progress, ...finished };
        options.onProgress?.(progress);
        return progress;
      } catch (error) {
        await collection.updateOne({ _id: metric.key, owner }, { $set: { state: 'failed', error: (error as Error).message } }).catch(() => undefined);
        throw error;
      }
    },
    progress: (metricKey) => collection.findOne({ _id: metricKey }),
  };
}
