import type { AppError } from '../errors';
import type { CanonicalEvent } from '../events/canonical-event';
import type { EntityWrite, StoredEntity } from '../state/entity-store';
import { applyChange, cacheKeyOf, knownPublished, type ApplyDeps, type ApplyResult, type EntityCache, type PublishedBelow } from './apply-change';
import { isInvalidChange, planChange, type ChangeIntent, type ChangePlan } from './plan-change';

/**
 * Applies a batch of canonical changes with the same exactly-once rules as `applyChange`, in a
 * fixed number of store round trips whatever the batch size:
 *   1. read the stored state of every entity in the batch (one query per subject);
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
  const current: EntityCache = await readStates(deps, intents);
  const start = new Map(current);
  const results: BatchResult[] = new Array(intents.length);
  const entities = new Map<string, EntityPlan>();
  const newEvents: { index: number; event: CanonicalEvent }[] = [];
  const skipped: { index: number; eventId: string; outcome: 'duplicate' | 'stale' }[] = [];

  intents.forEach((intent, index) => {
    const ck = cacheKeyOf(intent.subject, intent.key);
    let entity = entities.get(ck);
    if (!entity) {
      entity = {
        subject: intent.subject,
        key: intent.key,
        expectedVersion: start.get(ck)?._meta.version ?? null,
        next: start.get(ck) ?? null,
        written: false,
        indices: [],
      };
      entities.set(ck, entity);
    }
    entity.indices.push(index);
    let plan: ChangePlan;
    try {
      plan = planChange(intent, current.get(ck) ?? null, now, deps.validate);
    } catch (error) {
      if (isInvalidChange(error)) {
        results[index] = { outcome: 'invalid', error };
        return;
      }
      throw error;
    }
    if (plan.kind === 'skip') {
      skipped.push({ index, eventId: plan.eventId, outcome: plan.outcome });
      return;
    }
    current.set(ck, plan.next);
    entity.next = plan.next;
    entity.written = true;
    if (plan.event) newEvents.push({ index, event: plan.event });
    results[index] = { outcome: 'applied', event: plan.event };
  });

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
    if (entity.written) bySubject.set(entity.subject, [...(bySubject.get(entity.subject) ?? []), entity]);
  }
  for (const [subject, list] of bySubject) {
    const writes: EntityWrite[] = list.map((e) => ({ key: e.key, expectedVersion: e.expectedVersion, next: e.next }));
    const lost = new Set(await deps.store.writeMany(subject, writes));
    conflicted.push(...list.filter((e) => lost.has(e.key)));
  }

  for (const entity of conflicted) {
    // Undo this entity's part of the outbox, then redo its changes one by one from fresh state.
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

async function readStates(deps: ApplyDeps, intents: readonly ChangeIntent[]): Promise<EntityCache> {
  const keysBySubject = new Map<string, Set<string>>();
  for (const intent of intents) {
    const keys = keysBySubject.get(intent.subject) ?? new Set<string>();
    keys.add(intent.key);
    keysBySubject.set(intent.subject, keys);
  }
  const cache: EntityCache = new Map();
  for (const [subject, keys] of keysBySubject) {
    const found = await deps.store.getMany(subject, [...keys]);
    for (const key of keys) cache.set(cacheKeyOf(subject, key), found.get(key) ?? null);
  }
  return cache;
}
