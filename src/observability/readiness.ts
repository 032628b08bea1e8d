import crypto from 'node:crypto';
import os from 'node:os';
import type { Db } from 'mongodb';
import type { ConsumerHealth } from './consumer-health';

/**
 * Readiness per component: can this process do its job right now? Each check answers one of
 *
 * - `ok`;
 * - `starting`: coming up (a consumer joining its group): reported, but the process is ready —
 *   a consumer that waits out a crashed member's session must not keep the API out of rotation;
 * - `failing`: it cannot do its job (the store fails a write/read round trip, a consumer crashed
 *   for good, a check that does not answer in time): `/readyz` answers 503.
 */
export type ComponentState = 'ok' | 'starting' | 'failing';

export interface ComponentReport {
  readonly state: ComponentState;
  readonly reason?: string;
}

export type ReadinessCheck = () => Promise<ComponentReport | boolean>;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly components: Readonly<Record<string, ComponentReport>>;
}

/** Runs every check at once, each bounded by `timeoutMs`; a check that throws or times out is `failing`. */
export async function readinessReport(checks: Readonly<Record<string, ReadinessCheck>>, timeoutMs = 3000): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, ComponentReport]> => {
      try {
        const result = await withTimeout(check(), timeoutMs);
        return [name, typeof result === 'boolean' ? { state: result ? 'ok' : 'failing' } : result];
      } catch (error) {
        return [name, { state: 'failing', reason: error instanceof Error ? error.message : String(error) }];
      }
    }),
  );
  return { ready: entries.every(([, report]) => report.state !== 'failing'), components: Object.fromEntries(entries) };
}

/**
 * The store as the process uses it: a write (upsert of this process's row in `readiness_probes`)
 * then a read of what was written. A ping is not enough: a store can answer pings while every
 * operation fails.
 */
export function storeRoundTrip(db: Db): ReadinessCheck {
  const probes = db.collection<{ _id: string; token: string; at: Date }>('readiness_probes');
  const id = `${os.hostname()}:${process.pid}:${crypto.randomUUID()}`;
  return async () => {
    const token = crypto.randomUUID();
    await probes.updateOne({ _id: id }, { $set: { token, at: new Date() } }, { upsert: true });
    const read = await probes.findOne({ _id: id });
    return read?.token === token ? { state: 'ok' } : { state: 'failing', reason: 'the store did not return what was just written' };
  };
}

/** A consumer's state as readiness: `failed` and `stopped` are failing, `starting` is reported as such. */
export function consumerReadiness(health: () => ConsumerHealth): ReadinessCheck {
  return async () => {
    const { state, reason } = health();
    const withReason = reason !== undefined ? { reason } : {};
    switch (state) {
      case 'consuming':
      case 'idle':
        return { state: 'ok' };
      case 'starting':
        return { state: 'starting', ...withReason };
      case 'failed':
        return { state: 'failing', reason: `crashed for good${reason ? `: ${reason}` : ''}` };
      case 'stopped':
        return { state: 'failing', reason: 'stopped' };
    }
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
