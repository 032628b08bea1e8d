import { LRUCache } from 'lru-cache';
import type { StoredEntity } from '../state/entity-store';

/**
 * The entity states this ingestion process wrote last, so that the next batch touching the same
 * keys need not read them back from the store (a batch's first round trip).
 *
 * A cached state is a claim, not a fact: another writer (a backfill, another process after a
 * rebalance, a dead-letter replay) may have moved the entity on since. That is safe because every
 * state write is a compare-and-set on the version the plan started from: a plan made from a stale
 * state loses its write, and the batch redoes that entity from the store (apply-batch.ts). What a
 * plan decides without writing — a change skipped as duplicate or stale, or refused as invalid —
 * is checked against the store before it is believed. Only states this process wrote are kept; a
 * key whose write lost, or was a hard delete, is forgotten.
 */
export interface StateCache {
  get(subject: string, key: string): StoredEntity | undefined;
  remember(subject: string, entity: StoredEntity): void;
  forget(subject: string, key: string): void;
  /** Forgets everything (the consumer's partitions were reassigned). */
  clear(): void;
}

export function createStateCache(maxEntries: number): StateCache {
  const entries = new LRUCache<string, StoredEntity>({ max: maxEntries });
  const keyOf = (subject: string, key: string) => `${subject}\u0000${key}`;
  return {
    get: (subject, key) => entries.get(keyOf(subject, key)),
    remember: (subject, entity) => void entries.set(keyOf(subject, entity._id), entity),
    forget: (subject, key) => void entries.delete(keyOf(subject, key)),
    clear: () => entries.clear(),
  };
}
