import { createReliabilityWorld, expectReliable, oid, sleep, type ReliabilityWorld } from '../../support/reliability-harness';
import { freePort, ResumingSubscriber } from '../../support/resuming-subscriber';
import type { ServiceProcess } from '../../support/service-process';
import { waitFor } from '../../support/wait-for';

/**
 * The main job (ingest + api in one process, as `npm start` runs it) SIGKILLed under load while
 * subscribers are connected, and started again at once. Measured per crash, from the kill:
 * - `/readyz` of the new process answering 200 (serving does not wait for the ingestion consumer's
 *   group join, which waits out the dead member's session);
 * - every subscriber reconnected (resubscribing after its last cursor);
 * - ingestion resumed (the store moving again), bounded by the session timeout plus the join.
 * Then: every subscriber received every change made after it went live exactly once and in
 * per-key order, with no de-duplication on its side — although kills right after a publish put
 * some events on the topic twice (the replay re-publishes them) — and the shared checker passes.
 * Timing bounds are generous margins over the printed figures (a shared, loaded machine).
 */
const KEYS = 60;
const SUBSCRIBERS = 3;
const KILLS = 4;
const SESSION_TIMEOUT_MS = 10_000;

jest.setTimeout(300_000);

describe('reliability: crash recovery of the main job', () => {
  let world: ReliabilityWorld | null = null;
  const subscribers: ResumingSubscriber[] = [];
  afterAll(async () => {
    for (const s of subscribers) await s.stop();
    await world?.dispose();
  });

  it('SIGKILL under load: /readyz and subscribers back within seconds, ingestion within the session timeout, each change once per subscriber', async () => {
    world = await createReliabilityWorld('crash', { keys: KEYS, partitions: 2 });
    const w = world;
    const port = await freePort();
    const start = () =>
      w.startIngestion({ CANONQL_ROLES: 'ingest,api', CANONQL_HTTP_PORT: String(port), CANONQL_INGEST_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) });
    /** The ingestion check of the first 200 answer (`starting`: served before the consumer joined). */
    let ingestionAtReady: string | undefined;
    const ready = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
      if (response?.status !== 200) return false;
      ingestionAtReady = ((await response.json()) as { checks?: { ingestion?: string } }).checks?.ingestion;
      return true;
    };
    const appliedChanges = async () =>
      (
        await w.db
          .collection<{ _meta: { version: number } }>('state_order')
          .find({}, { projection: { _meta: 1 } })
          .toArray()
      ).reduce((n, d) => n + d._meta.version, 0);

    w.sampler.start(1000);
    let service: ServiceProcess = start();
    await waitFor('the first process to be ready', ready, { timeoutMs: 60_000, intervalMs: 100 });
    await w.produce(KEYS);
    await w.waitApplied();
    for (let i = 0; i < SUBSCRIBERS; i += 1) {
      const subscriber = new ResumingSubscriber(`ws://127.0.0.1:${port}/graphql`);
      subscribers.push(subscriber);
      subscriber.start();
    }
    await sleep(2000);
    const firstLive = w.produced();

    let loading = true;
    const load = (async () => {
      while (loading) {
        await w.produce(KEYS / 2);
        await sleep(150);
      }
    })();

    const figures: { readyMs: number; subscribersMs: number; ingestionMs: number; ingestionAtReady: string | undefined }[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      await sleep(2500 + kill * 400);
      const applied = await appliedChanges();
      const connections = subscribers.map((s) => s.connectedAt.length);
      const killedAt = Date.now();
      await service.kill('SIGKILL');
      service = start();
      await waitFor('the restarted process to be ready', ready, { timeoutMs: 60_000, intervalMs: 50 });
      const readyMs = Date.now() - killedAt;
      await waitFor('every subscriber to reconnect', () => subscribers.every((s, i) => s.connectedAt.length > connections[i]!), {
        timeoutMs: 60_000,
        intervalMs: 50,
      });
      const subscribersMs = Math.max(...subscribers.map((s, i) => s.connectedAt[connections[i]!]! - killedAt));
      await waitFor('ingestion to resume', async () => (await appliedChanges()) > applied, { timeoutMs: 90_000, intervalMs: 100 });
      const ingestionMs = Date.now() - killedAt;
      figures.push({ readyMs, subscribersMs, ingestionMs, ingestionAtReady });
    }
    loading = false;
    await load;
    await w.waitApplied(120_000);
    console.log(
      `crash recovery (session timeout ${SESSION_TIMEOUT_MS} ms), ms from SIGKILL:\n${figures.map((f, i) => `  kill ${i + 1}: /readyz 200 ${f.readyMs} (ingestion ${f.ingestionAtReady}), all ${SUBSCRIBERS} subscribers reconnected ${f.subscribersMs}, ingestion resumed ${f.ingestionMs}`).join('\n')}`,
    );

    // Each subscriber: every change after it went live, exactly once (no client-side de-duplication), in order.
    const want = new Set<string>();
    for (let n = firstLive; n < w.produced(); n += 1) want.add(`${oid(n % KEYS)}@${Math.floor(n / KEYS) + 1}`);
    for (const subscriber of subscribers) {
      await waitFor(
        'the subscriber to catch up',
        () => {
          const got = new Set(subscriber.received.map((r) => `${r.key}@${r.version}`));
          return [...want].every((x) => got.has(x));
        },
        { timeoutMs: 60_000 },
      ).catch(() => undefined);
      const counts = new Map<string, number>();
      const last = new Map<string, number>();
      const outOfOrder: string[] = [];
      for (const r of subscriber.received) {
        const kv = `${r.key}@${r.version}`;
        counts.set(kv, (counts.get(kv) ?? 0) + 1);
        if ((last.get(r.key) ?? 0) >= r.version) outOfOrder.push(kv);
        last.set(r.key, r.version);
      }
      expect([...want].filter((x) => !counts.has(x))).toEqual([]);
      expect([...counts].filter(([, c]) => c > 1).map(([kv, c]) => `${kv} ×${c}`)).toEqual([]);
      expect(outOfOrder).toEqual([]);
      expect(subscriber.reconnects).toBeGreaterThanOrEqual(KILLS);
    }

    const report = await w.check();
    console.log(`checker facts: ${JSON.stringify(report.facts)}`);
    expectReliable(report);
    // Serving did not wait for the ingestion consumer's group join: a restarted process answered
    // /readyz 200 while its consumer was still joining (the join waits out the dead member's
    // session). Not for every kill: on a loaded machine a start can outlast the session timeout.
    // Wall-clock figures are printed, not asserted (a shared machine); the waits above bound them.
    expect(figures.filter((f) => f.ingestionAtReady === 'starting').length).toBeGreaterThan(0);
    for (const f of figures) expect(f.subscribersMs).toBeLessThan(f.ingestionMs + 5000);
    await service.kill('SIGTERM');
  });
});
