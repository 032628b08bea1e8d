import type { MongoClient } from 'mongodb';

/**
 * Databases that earlier test or benchmark runs created and did not get to drop (a run killed or
 * timed out, a crashed worker). Each of them is named by `uniqueName` (test/support/test-env.ts,
 * bench/support/bench-common.ts): `<prefix>_<ms, base 36>_<6 hex>`.
 * The local store opens every database it holds at start, within a fixed heap, so left alone they
 * pile up until it cannot start.
 */
const UNIQUE_NAME = /^[a-z][a-z0-9_]*_([0-9a-z]{8,9})_[0-9a-f]{6}$/;

/** Long enough that no run still going uses the database. */
export const STALE_AFTER_MS = 6 * 3_600_000;

/** Whether `name` is a test database created more than STALE_AFTER_MS before `nowMs`. */
export function isStaleTestDatabase(name: string, nowMs: number): boolean {
  const match = UNIQUE_NAME.exec(name);
  return match !== null && isStaleCreation(match[1]!, nowMs);
}

/** Whether a unique name's time (`<ms, base 36>`) is more than STALE_AFTER_MS before `nowMs`. */
export function isStaleCreation(base36Ms: string, nowMs: number): boolean {
  const createdMs = parseInt(base36Ms, 36);
  // A base-36 time outside [2020, now] is some other name that happens to look like one.
  return createdMs >= Date.UTC(2020, 0, 1) && createdMs <= nowMs - STALE_AFTER_MS;
}

/** Drops the stale test databases of the store `client` is connected to; returns their names. */
export async function dropStaleTestDatabases(client: MongoClient, nowMs = Date.now()): Promise<string[]> {
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  const stale = databases.map((d) => d.name).filter((name) => isStaleTestDatabase(name, nowMs));
  for (const name of stale) await client.db(name).dropDatabase();
  return stale;
}
