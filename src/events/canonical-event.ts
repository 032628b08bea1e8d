import crypto from 'node:crypto';
import { deepEqual } from '../values/deep-equal';

/**
 * A canonical change event: what happened to one entity, in canonical terms. Its id is derived
 * from (subject, key, source, position), so a replayed raw event yields the same id and any
 * downstream consumer can deduplicate.
 */
export type CanonicalOp = 'CREATE' | 'UPDATE' | 'DELETE';

export interface CanonicalEventSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly position: string;
  readonly connector: string;
  readonly op: string;
  readonly db?: string;
  readonly table?: string;
  readonly collection?: string;
  readonly snapshot: boolean;
}

export interface CanonicalEvent {
  readonly id: string;
  readonly subject: string;
  readonly key: string;
  readonly op: CanonicalOp;
  readonly version: number;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly changedFields: string[];
  readonly spec: { readonly id: string; readonly version: number };
  readonly source: CanonicalEventSource;
  /** Commit time at the source (ms since epoch), when the source said. */
  readonly sourceTsMs: number | null;
  readonly ingestedAt: string;
  /**
   * Set on the reference that stands on the topic for an event over the topic's message limit:
   * `before` and `after` are null there, and the whole event is in the event log under the same id
   * (see event-reference.ts). Absent on every other event.
   */
  readonly bodyOmitted?: true;
}

export function canonicalEventId(subject: string, key: string, sourceId: string, position: string): string {
  // One-shot crypto.hash: the same digest as createHash().update().digest(), without a Hash object per event.
  return crypto.hash('sha256', `${subject}\u0000${key}\u0000${sourceId}\u0000${position}`, 'hex').slice(0, 32);
}

/** Top-level canonical fields whose values differ (deep, order-sensitive for arrays). */
export function changedFields(before: Record<string, unknown> | null, after: Record<string, unknown> | null): string[] {
  // Loops over own keys rather than a Set of spread key lists: this runs for every change.
  const changed: string[] = [];
  if (before) {
    for (const name in before) if (Object.hasOwn(before, name) && !deepEqual(before[name], after?.[name])) changed.push(name);
  }
  if (after) {
    for (const name in after) {
      if (Object.hasOwn(after, name) && !(before && Object.hasOwn(before, name)) && !deepEqual(before?.[name], after[name])) changed.push(name);
    }
  }
  return changed.sort();
}

/** Kafka topic of a subject's canonical events: `<prefix><subject>`, `canonical.order` by default. */
export const canonicalTopic = (subject: string, prefix = 'canonical.') => `${prefix}${subject}`;
