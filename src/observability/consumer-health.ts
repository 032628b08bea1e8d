/**
 * What a Kafka consumer of this process is doing, for readiness (`/readyz`) and logs:
 *
 * - `starting`: connecting or joining its group — at start, after kafkajs restarts it, or while a
 *   restart after a transient crash is pending. Joining can take a session timeout after a crash
 *   of the previous member, so this is not a failure: queries and subscriptions are served
 *   meanwhile.
 * - `consuming`: member of its group. `idle`: nothing to consume (no active spec / metric).
 * - `failed`: crashed for good (a non-retriable error, or kafkajs gave up and nothing restarts it).
 * - `stopped`: stopped on purpose (shutdown).
 */
export type ConsumerState = 'starting' | 'consuming' | 'idle' | 'failed' | 'stopped';

export interface ConsumerHealth {
  readonly state: ConsumerState;
  /** Since when (ms since epoch). */
  readonly since: number;
  /** Why it failed or is restarting. */
  readonly reason?: string;
}

export interface ConsumerHealthTracker {
  health(): ConsumerHealth;
  set(state: ConsumerState, reason?: unknown): void;
}

export function createConsumerHealth(now: () => number = Date.now): ConsumerHealthTracker {
  let current: ConsumerHealth = { state: 'starting', since: now() };
  return {
    health: () => current,
    set(state, reason) {
      // A failure is final: only a deliberate stop follows it.
      if (current.state === 'failed' && state !== 'stopped') return;
      const text = reason === undefined ? undefined : reason instanceof Error ? reason.message : String(reason);
      if (state === current.state && text === current.reason) return;
      current = { state, since: now(), ...(text !== undefined ? { reason: text } : {}) };
    },
  };
}
