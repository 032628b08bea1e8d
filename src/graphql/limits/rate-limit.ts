/**
 * Token buckets per caller (credential id, or client address for anonymous callers): each holds
 * up to `perMinute` tokens, refilled continuously at `perMinute` per minute, one taken per
 * operation. A burst of a minute's allowance is fine; a sustained rate above it is refused with
 * the time until the next token. In memory, per process: each API replica limits on its own (a
 * caller spread over N replicas gets up to N times the rate; see docs/operations.md).
 */
export interface RateLimiter {
  /** Takes `cost` tokens from `key`'s bucket, or says how long until they would be there. */
  take(key: string, cost?: number, now?: number): { allowed: true } | { allowed: false; retryAfterMs: number };
  /** Buckets held (for tests). */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(options: { perMinute: number; maxKeys?: number }): RateLimiter {
  const capacity = options.perMinute;
  const perMs = options.perMinute / 60_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, now: number) => {
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
  };

  /** Memory stays bounded: full buckets carry no state worth keeping; then the least recently used go. */
  const evict = (now: number) => {
    for (const [key, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= capacity) buckets.delete(key);
    }
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(key);
    }
  };

  return {
    take(key, cost = 1, now = Date.now()) {
      if (capacity <= 0) return { allowed: true }; // 0: no limit
      let bucket = buckets.get(key);
      if (bucket) {
        buckets.delete(key); // re-inserted below: Map order is least recently used first
        refill(bucket, now);
      } else {
        if (buckets.size >= maxKeys) evict(now);
        bucket = { tokens: capacity, at: now };
      }
      buckets.set(key, bucket);
      // A cost above the whole allowance (a big batch) takes a full bucket rather than never passing.
      const need = Math.min(cost, capacity);
      if (bucket.tokens >= need) {
        bucket.tokens -= need;
        return { allowed: true };
      }
      return { allowed: false, retryAfterMs: Math.ceil((need - bucket.tokens) / perMs) };
    },
    get size() {
      return buckets.size;
    },
  };
}
