import type { AppError } from '../errors';
import type { CanonicalEvent } from '../events/canonical-event';
import type { EntityWrite, StoredEntity } from '../state/entity-store';
import { applyChange, cacheKeyOf, knownPublished, type ApplyDeps, type ApplyResult, type EntityCache, type PublishedBelow } from './apply-change';
import { isInvalidChange, planChange, type ChangeIntent, type ChangePlan } from './plan-change';

/**
 * Applies a batch of canonical changes with the same exactly-once rules as `applyChange`, in a
 * fixed number of store round trips whatever the batch size:
 *   1. read the stored state of every entity in the batch (one query per subject), except those
 *      the process's state cache holds (state-cache.ts: what it wrote last);
 *   2. plan every change in memory, in order, each seeing the ones before it;
 *   3. look up the events of duplicate and stale changes (a crash may have left them unpublished);
 *   4. insert the new events (the outbox) — before any state is written; a replay after a crash
 *      finds its events there already;
 *   5. write each entity's final state with a compare-and-set on the version read in step 1.
 * An entity whose write lost a race is redone change by change through `applyChange`.
 */
export type BatchResult = ApplyResult | { readonly outcome: 'invalid'; readonly error: AppError };

interface EntityPlan {
  readonly subject: string;
  readonly key: string;
  readonly expectedVersion: number | null;
  next: StoredEntity | null;
  written: boolean;
  readonly indices: number[];
}

export async function applyBatch(deps: ApplyDeps, intents: readonly ChangeIntent[], publishedBelow?: PublishedBelow): Promise<BatchResult[]> {
  const now = (deps.now ?? (() => new Date()))();
  const { states: start, cached } = await readStates(deps, intents);
  let planned = planBatch(deps, intents, start, now);
  // A change skipped or refused on a cached state is only believed once the store agrees.
  if (await refreshDoubtful(deps, planned, start, cached)) planned = planBatch(deps, intents, start, now);
  const { results, entities, newEvents, skipped } = planned;

  const logged = await deps.eventLog.findMany(skipped.map((s) => s.eventId));
  for (const { index, eventId, outcome } of skipped) {
    const found = logged.get(eventId);
    results[index] = { outcome, republish: found && !knownPublished(found, publishedBelow) ? found.event : null };
  }
  // An event already in the log is a replay after a crash between outbox and state write: the
  // logged copy is the one to publish (same id, same content, computed from the same state).
  const existing = await deps.eventLog.insertMany(newEvents.map((e) => e.event));
  const inserted = new Set<string>();
  for (const { index, event } of newEvents) {
    const found = existing.get(event.id);
    if (found) results[index] = { outcome: 'applied', event: found.event };
    else inserted.add(event.id);
  }

  const conflicted: EntityPlan[] = [];
  const bySubject = new Map<string, EntityPlan[]>();
  for (const entity of entities.values()) {
    if (entity.written) appendTo(bySubject, entity.subject, entity);
  }
  for (const [subject, list] of bySubject) {
    const writes: EntityWrite[] = list.map((e) => ({ key: e.key, expectedVersion: e.expectedVersion, next: e.next }));
    const lost = new Set(await deps.store.writeMany(subject, writes));
    for (const entity of list) {
      if (lost.has(entity.key)) conflicted.push(entity);
      else if (entity.next) deps.states?.remember(subject, entity.next);
      else deps.states?.forget(subject, entity.key);
    }
  }

  for (const entity of conflicted) {
    // Undo this entity's part of the outbox, then redo its changes one by one from fresh state.
    deps.states?.forget(entity.subject, entity.key);
    for (const index of entity.indices) {
      const result = results[index];
      // Only events this batch inserted are undone; one found in the log belongs to whoever wrote it.
      if (result && result.outcome === 'applied' && result.event && inserted.has(result.event.id)) await deps.eventLog.discardUnpublished(result.event.id);
    }
    const cache: EntityCache = new Map();
    for (const index of entity.indices) {
      try {
        results[index] = await applyChange(deps, intents[index]!, cache, publishedBelow);
      } catch (error) {
        if (!isInvalidChange(error)) throw error;
        results[index] = { outcome: 'invalid', error };
      }
    }
  }
  return results;
}

interface BatchPlan {
  /** Per intent: set here for applied and invalid changes; skipped ones are completed by the caller. */
  readonly results: BatchResult[];
  readonly entities: Map<string, EntityPlan>;
  readonly newEvents: { index: number; event: CanonicalEvent }[];
  readonly skipped: { index: number; eventId: string; outcome: 'duplicate' | 'stale' }[];
}

/** Plans every change in memory, in order, each seeing the ones before it; `start` is not changed. */
function planBatch(deps: ApplyDeps, intents: readonly ChangeIntent[], start: EntityCache, now: Date): BatchPlan {
  const current: EntityCache = new Map(start);
  const plan: BatchPlan = { results: new Array(intents.length), entities: new Map(), newEvents: [], skipped: [] };
  intents.forEach((intent, index) => {
    const ck = cacheKeyOf(intent.subject, intent.key);
    let entity = plan.entities.get(ck);
    if (!entity) {
      entity = {
        subject: intent.subject,
        key: intent.key,
        expectedVersion: start.get(ck)?._meta.version ?? null,
        next: start.get(ck) ?? null,
        written: false,
        indices: [],
      };
      plan.entities.set(ck, entity);
    }
    entity.indices.push(index);
    let change: ChangePlan;
    try {
      change = planChange(intent, current.get(ck) ?? null, now, deps.validate);
    } catch (error) {
      if (isInvalidChange(error)) {
        plan.results[index] = { outcome: 'invalid', error };
        return;
      }
      throw error;
    }
    if (change.kind === 'skip') {
      plan.skipped.push({ index, eventId: change.eventId, outcome: change.outcome });
      return;
    }
    current.set(ck, change.next);
    entity.next = change.next;
    entity.written = true;
    if (change.event) plan.newEvents.push({ index, event: change.event });
    plan.results[index] = { outcome: 'applied', event: change.event };
  });
  return plan;
}

/**
 * Reads back from the store every entity whose plan started from a cached state and skipped or
 * refused one of its changes (decisions no compare-and-set checks). Where the store holds another
 * state, `start` gets the stored one and the cache forgets the key; returns whether any did.
 */
async function refreshDoubtful(deps: ApplyDeps, plan: BatchPlan, start: EntityCache, cached: ReadonlySet<string>): Promise<boolean> {
  if (cached.size === 0) return false;
  const notWritten = new Set(plan.skipped.map((s) => s.index));
  plan.results.forEach((result, index) => {
    if (result?.outcome === 'invalid') notWritten.add(index);
  });
  const doubtful = new Map<string, string[]>();
  for (const [ck, entity] of plan.entities) {
    if (cached.has(ck) && entity.indices.some((i) => notWritten.has(i))) appendTo(doubtful, entity.subject, entity.key);
  }
  let differed = false;
  for (const [subject, keys] of doubtful) {
    const stored = await deps.store.getMany(subject, keys);
    for (const key of keys) {
      const ck = cacheKeyOf(subject, key);
      const was = start.get(ck);
      const now = stored.get(key) ?? null;
      if (now && was && now._meta.version === was._meta.version && now._meta.lastEventId === was._meta.lastEventId) continue;
      start.set(ck, now);
      deps.states?.forget(subject, key);
      differed = true;
    }
  }
  return differed;
}

/**
 * The stored state of every entity in the batch: from the process's state cache where it holds
 * the key, otherwise read (one query per subject). `cached` names the entities taken from the cache.
 */
async function readStates(deps: ApplyDeps, intents: readonly ChangeIntent[]): Promise<{ states: EntityCache; cached: Set<string> }> {
  const keysBySubject = new Map<string, Set<string>>();
  for (const intent of intents) {
    const keys = keysBySubject.get(intent.subject) ?? new Set<string>();
    keys.add(intent.key);
    keysBySubject.set(intent.subject, keys);
  }
  const states: EntityCache = new Map();
  const cached = new Set<string>();
  for (const [subject, keys] of keysBySubject) {
    const toRead: string[] = [];
    for (const key of keys) {
      const hit = deps.states?.get(subject, key);
      if (hit) {
        states.set(cacheKeyOf(subject, key), hit);
        cached.add(cacheKeyOf(subject, key));
      } else toRead.push(key);
    }
    if (toRead.length === 0) continue;
    const found = await deps.store.getMany(subject, toRead);
    for (const key of toRead) states.set(cacheKeyOf(subject, key), found.get(key) ?? null);
  }
  return { states, cached };
}

/** Appends in place: copying a subject's list per entity made a batch of n entities cost O(n²). */
function appendTo<T>(lists: Map<string, T[]>, subject: string, item: T): void {
  const list = lists.get(subject);
  if (list) list.push(item);
  else lists.set(subject, [item]);
}
