/**
 * What a store wrote last, by id, least recently written first, bounded by the total `weight` of
 * what it holds: the least recently written entries go first once the bound is passed, and an
 * entry heavier than the whole bound is not kept. The rollup store keeps its buckets (weighed by
 * their members) and its contributions (one each) this way, to write them again without a read.
 */
export interface RecentWrites<V> {
  get(id: string): V | undefined;
  has(id: string): boolean;
  remember(id: string, value: V): void;
  forget(id: string): void;
  /** Forgets every entry whose id starts with `prefix`. */
  forgetPrefixed(prefix: string): void;
}

export function createRecentWrites<V>(bound: number, weight: (value: V) => number = () => 1): RecentWrites<V> {
  const entries = new Map<string, { readonly value: V; readonly weight: number }>();
  let total = 0;
  const forget = (id: string) => {
    const entry = entries.get(id);
    if (!entry) return;
    total -= entry.weight;
    entries.delete(id);
  };
  return {
    get: (id) => entries.get(id)?.value,
    has: (id) => entries.has(id),
    remember(id, value) {
      forget(id);
      // Weighed now: a value changed in place later still counts for what it was when kept.
      const w = weight(value);
      if (w > bound) return;
      entries.set(id, { value, weight: w });
      total += w;
      for (const oldest of entries.keys()) {
        if (total <= bound) break;
        forget(oldest);
      }
    },
    forget,
    forgetPrefixed(prefix) {
      for (const id of [...entries.keys()]) if (id.startsWith(prefix)) forget(id);
    },
  };
}
