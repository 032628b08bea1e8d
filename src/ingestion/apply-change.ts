import { AppError, ErrorCode } from '../errors';
import type { CanonicalEvent } from '../events/canonical-event';
import type { EventLog } from '../events/event-log';
import type { EntityStore, StoredEntity } from '../state/entity-store';
import { planChange, type ChangeIntent, type Validate } from './plan-change';
import type { StateCache } from './state-cache';

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
  /** States this process wrote last, read instead of the store by the batch path (state-cache.ts). */
  readonly states?: StateCache;
}

/**
 * Where the consumer's committed offset of the records' partition stands: the consumer commits a
 * record's offset only after Kafka acknowledged its canonical events, so an event created by a
 * record below it was published (no `published` flag write is needed on the hot path).
 */
export interface PublishedBelow {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** Whether a logged event is known to be on its canonical topic (by its flag or the committed offset). */
export function knownPublished(logged: { event: CanonicalEvent; published: boolean }, below?: PublishedBelow): boolean {
  if (logged.published) return true;
  if (!below) return false;
  const source = logged.event.source;
  return source.topic === below.topic && source.partition === below.partition && /^\d+$/.test(source.offset) && BigInt(source.offset) < below.offset;
}

/** Entities read during one batch: later changes of the same key see earlier ones' writes. */
export type EntityCache = Map<string, StoredEntity | null>;

export const cacheKeyOf = (subject: string, key: string) => `${subject}\u0000${key}`;

const MAX_CAS_ATTEMPTS = 5;

export async function applyChange(deps: ApplyDeps, intent: ChangeIntent, cache: EntityCache, publishedBelow?: PublishedBelow): Promise<ApplyResult> {
  const cacheKey = cacheKeyOf(intent.subject, intent.key);
  for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt += 1) {
    const prev = cache.has(cacheKey) ? cache.get(cacheKey)! : await deps.store.get(intent.subject, intent.key);
    const plan = planChange(intent, prev, (deps.now ?? (() => new Date()))(), deps.validate);
    if (plan.kind === 'skip') {
      // Already applied (or superseded). Its event may still be unpublished after a crash.
      const logged = await deps.eventLog.find(plan.eventId);
      return { outcome: plan.outcome, republish: logged && !knownPublished(logged, publishedBelow) ? logged.event : null };
    }
    const logged = plan.event ? await deps.eventLog.record(plan.event) : null;
    const recorded = logged ? logged.event : null;
    const result = await deps.store.compareAndSet(intent.subject, plan.next, prev?._meta.version ?? null);
    if (result === 'written') {
      cache.set(cacheKey, plan.next);
      return { outcome: 'applied', event: recorded };
    }
    // Another writer got there first (e.g. during a consumer-group rebalance): forget what we
    // computed and decide again from the fresh state.
    cache.delete(cacheKey);
    // Only an event this call inserted is undone; one found in the log belongs to whoever wrote it.
    if (logged?.inserted) await deps.eventLog.discardUnpublished(logged.event.id);
  }
  throw new AppError(ErrorCode.INTERNAL, `entity ${intent.subject} "${intent.key}" kept changing under us`, { retriable: true });
}
