import { createReliabilityWorld, expectReliable, sleep, type ReliabilityWorld } from '../../support/reliability-harness';
import { freePort, ResumingSubscriber } from '../../support/resuming-subscriber';
import type { ServiceProcess } from '../../support/service-process';
import { startService } from '../../support/service-process';
import { waitFor } from '../../support/wait-for';

const KEYS = 40;
const SUBSCRIBERS = 4;

jest.setTimeout(180_000);

/**
 * An API process restarted (SIGKILL, then started again on the same port) while subscribers are
 * connected under load: each reconnects with its last cursor and, deduplicated by event id,
 * receives every change exactly in per-key order; then the shared checker over the whole run.
 */
describe('reliability: API process restarted under connected subscribers', () => {
  let world: ReliabilityWorld;
  const subscribers: ResumingSubscriber[] = [];
  let api: ServiceProcess | null = null;

  beforeAll(async () => {
    world = await createReliabilityWorld('api', { keys: KEYS, partitions: 2 });
  });
  afterAll(async () => {
    for (const s of subscribers) await s.stop();
    await api?.kill('SIGKILL');
    await world.dispose();
  });

  it('subscribers reconnect with their cursor and miss nothing', async () => {
    world.sampler.start(1500);
    world.startIngestion();
    const port = await freePort();
    const startApi = async () => {
      const service = startService(world.env({ CANONQL_ROLES: 'api', CANONQL_HTTP_PORT: String(port) }));
      await waitFor('the API to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok ?? false, {
        timeoutMs: 60_000,
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${service.output.join('')}`);
      });
      return service;
    };
    api = await startApi();
    // The first change creates the canonical topic; subscribers then follow it from its start.
    await world.produce(KEYS);
    await world.waitApplied();
    for (let i = 0; i < SUBSCRIBERS; i += 1) {
      const subscriber = new ResumingSubscriber(`ws://127.0.0.1:${port}/graphql`);
      subscribers.push(subscriber);
      subscriber.start();
    }
    await sleep(2000);
    const firstLive = world.produced();
    for (let i = 0; i < 3; i += 1) {
      await world.produce(KEYS * 2);
      await sleep(300);
    }
    await waitFor('every subscriber to receive something', () => subscribers.every((s) => s.received.length > 0), { timeoutMs: 30_000 });
    await api.kill('SIGKILL');
    // Changes keep coming while the API is down.
    await world.produce(KEYS * 2);
    api = await startApi();
    for (let i = 0; i < 3; i += 1) {
      await world.produce(KEYS * 2);
      await sleep(300);
    }
    await world.waitApplied();

    // Every change made after the subscribers were live, per subscriber, deduplicated by id.
    const want = new Set<string>();
    for (let n = firstLive; n < world.produced(); n += 1) want.add(`${(n % KEYS).toString(16).padStart(24, '0')}@${Math.floor(n / KEYS) + 1}`);
    for (const subscriber of subscribers) {
      await waitFor(
        'the subscriber to catch up',
        () => {
          const got = new Set(subscriber.received.map((r) => `${r.key}@${r.version}`));
          return [...want].every((w) => got.has(w));
        },
        { timeoutMs: 60_000 },
      ).catch(() => undefined);
      const seen = new Set<string>();
      const last = new Map<string, number>();
      const outOfOrder: string[] = [];
      for (const r of subscriber.received) {
        if (seen.has(r.eventId)) continue;
        seen.add(r.eventId);
        if ((last.get(r.key) ?? 0) >= r.version) outOfOrder.push(`${r.key}@${r.version}`);
        last.set(r.key, r.version);
      }
      const got = new Set(subscriber.received.map((r) => `${r.key}@${r.version}`));
      expect([...want].filter((w) => !got.has(w))).toEqual([]);
      expect(outOfOrder).toEqual([]);
      expect(subscriber.reconnects).toBeGreaterThanOrEqual(1);
    }
    expectReliable(await world.check());
  });
});
