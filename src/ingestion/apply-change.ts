import { AppError, ErrorCode } from '../errors';
import type { CanonicalEvent } from '../events/canonical-event';
import type { EventLog } from '../events/event-log';
import type { EntityStore, StoredEntity } from '../state/entity-store';
import { planChange, type ChangeIntent, type Validate } from './plan-change';

export type { ChangeIntent } from './plan-change';

/**
 * Applies one canonical change to one entity, exactly once in effect, on its own: the canonical
 * event goes to the event log (the outbox) first, then the state is written with a
 * compare-and-set on its version; a lost race re-reads and decides again. The batch path
 * (apply-batch.ts) does the same for many changes in a few round trips, and falls back to this
 * for an entity whose batched write lost a race.
 */
export type ApplyResult =
  | { readonly outcome: 'applied'; readonly event: CanonicalEvent | null }
  | { readonly outcome: 'duplicate' | 'stale'; readonly republish: CanonicalEvent | null };

export interface ApplyDeps {
  readonly store: EntityStore;
  readonly eventLog: EventLog;
  readonly validate: Validate;
  readonly now?: () => Date;
}

/** Entities read during one batch: later changes of the same key see earlier ones' writes. */
export type EntityCache = Map<string, StoredEntity | null>;

export const cacheKeyOf = (subject: string, key: string) => `${subject}\u0000${key}`;

const MAX_CAS_ATTEMPTS = 5;

export async function applyChange(deps: ApplyDeps, intent: ChangeIntent, cache: EntityCache): Promise<ApplyResult> {
  const cacheKey = cacheKeyOf(intent.subject, intent.key);
  for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt += 1) {
    const prev = cache.has(cacheKey) ? cache.get(cacheKey)! : await deps.store.get(intent.subject, intent.key);
    const plan = planChange(intent, prev, (deps.now ?? (() => new Date()))(), deps.validate);
    if (plan.kind === 'skip') {
      // Already applied (or superseded). Its event may still be unpublished after a crash.
      const logged = await deps.eventLog.find(plan.eventId);
      return { outcome: plan.outcome, republish: logged && !logged.published ? logged.event : null };
    }
    const recorded = plan.event ? (await deps.eventLog.record(plan.event)).event : null;
    const result = plan.hardDelete
      ? await deps.store.compareAndDelete(intent.subject, intent.key, prev!._meta.version)
      : await deps.store.compareAndSet(intent.subject, plan.next, prev?._meta.version ?? null);
    if (result === 'written') {
      cache.set(cacheKey, plan.hardDelete ? null : plan.next);
      return { outcome: 'applied', event: recorded };
    }
    // Another writer got there first (e.g. during a consumer-group rebalance): forget what we
    // computed and decide again from the fresh state.
    cache.delete(cacheKey);
    if (recorded) await deps.eventLog.discardUnpublished(recorded.id);
  }
  throw new AppError(ErrorCode.INTERNAL, `entity ${intent.subject} "${intent.key}" kept changing under us`, { retriable: true });
}
