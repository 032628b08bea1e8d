import type { Outcome } from './pipeline';

/** Counters of ingestion outcomes, for logs, readiness and (later) Prometheus. */
export interface IngestionStats {
  readonly outcomes: Record<Outcome, number>;
  readonly batches: number;
  readonly lastEventAt: Date | null;
  count(outcome: Outcome): void;
  batchDone(): void;
  snapshot(): { outcomes: Record<Outcome, number>; batches: number; lastEventAt: string | null };
}

export function createIngestionStats(): IngestionStats {
  const outcomes: Record<Outcome, number> = { applied: 0, duplicate: 0, stale: 0, skipped: 0, 'dead-lettered': 0 };
  let batches = 0;
  let lastEventAt: Date | null = null;
  return {
    outcomes,
    get batches() {
      return batches;
    },
    get lastEventAt() {
      return lastEventAt;
    },
    count(outcome) {
      outcomes[outcome] += 1;
      if (outcome === 'applied') lastEventAt = new Date();
    },
    batchDone() {
      batches += 1;
    },
    snapshot: () => ({ outcomes: { ...outcomes }, batches, lastEventAt: lastEventAt?.toISOString() ?? null }),
  };
}
