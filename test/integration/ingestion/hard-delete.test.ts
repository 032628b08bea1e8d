import { isDeepStrictEqual } from 'node:util';
import { mongoChange } from '../../support/debezium-messages';
import { createReliabilityWorld, expectReliable, oid, orderData, sleep, type ReliabilityWorld, type WorldChange } from '../../support/reliability-harness';
import { compiledMetric, recomputedCounts, startServingWithMetrics, storedCounts } from '../../support/metrics-world';
import { ResumingSubscriber } from '../../support/resuming-subscriber';
import { waitFor } from '../../support/wait-for';

/**
 * Hard delete, then re-creation of the same key, then an update, under a spec with
 * `deleteMode: "hard"`. Versions must keep growing across the delete (1 create, 2 update,
 * 3 delete, 4 re-create, 5 update) for every consumer of them: state, the event log and canonical
 * topic (shared checker), a live subscription (each change once, in order), and the metric rollups
 * (equal to a recomputation from state: the re-created orders count again).
 */
const KEYS = 20;
const STAGES = ['c', 'u', 'd', 'c', 'u'] as const;

const METRIC = {
  name: 'order-count',
  version: 1,
  subject: 'order',
  dimensions: [{ name: 'email', field: 'customer.email' }],
  time: { changeTime: true },
  windows: ['day'],
};

function deleteRecreateStream(n: number): WorldChange {
  const stage = Math.floor(n / KEYS);
  const k = n % KEYS;
  const v = stage + 1;
  const op = STAGES[stage]!;
  const doc = (version: number) => ({ orderId: `o-${k}`, customer: { email: `v${version}@x.io` }, items: [{ sku: `sku-${k}-${version}` }] });
  return {
    k,
    v,
    data: op === 'd' ? null : orderData(k, v),
    message: mongoChange({
      op,
      id: { $oid: oid(k) },
      tsMs: 1_700_000_000_000 + v * 1000,
      ord: k + 1,
      ...(op === 'd' ? { before: doc(v - 1) } : { after: doc(v) }),
    }),
  };
}

jest.setTimeout(180_000);

describe('reliability: hard delete and re-creation', () => {
  let world: ReliabilityWorld | null = null;
  let subscriber: ResumingSubscriber | null = null;
  afterEach(async () => {
    await subscriber?.stop();
    await world?.dispose();
  });

  it('keeps versions growing across delete and re-create: state, events, a live subscription and metric rollups', async () => {
    world = await createReliabilityWorld('hard_delete', { keys: KEYS, partitions: 2, stream: deleteRecreateStream, deleteMode: 'hard' });
    const serving = await startServingWithMetrics(world, METRIC);
    await world.produce(KEYS);
    await world.waitApplied();
    subscriber = new ResumingSubscriber(`ws://127.0.0.1:${serving.port}/graphql`);
    subscriber.start();
    await sleep(2000);
    for (let stage = 1; stage < STAGES.length; stage += 1) await world.produce(KEYS);
    await world.waitApplied();

    // The subscription: versions 2..5 of every key, once each, in order, with their ops.
    await waitFor('the subscriber to receive every change', () => subscriber!.received.length >= KEYS * 4, { timeoutMs: 60_000 }).catch(() => undefined);
    const byKey = new Map<string, string[]>();
    for (const r of subscriber.received) byKey.set(r.key, [...(byKey.get(r.key) ?? []), `${r.op}@${r.version}`]);
    for (let k = 0; k < KEYS; k += 1) expect([oid(k), byKey.get(oid(k))]).toEqual([oid(k), ['UPDATE@2', 'DELETE@3', 'CREATE@4', 'UPDATE@5']]);

    // The rollups: equal to a recomputation from the current state, which has every order again.
    const metric = compiledMetric(METRIC);
    const stored = () => storedCounts(world!.db, metric);
    const recomputed = () => recomputedCounts(world!.db, metric);
    await waitFor('rollups equal to a recomputation from state', async () => isDeepStrictEqual(await stored(), await recomputed()), {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    expect(await stored()).toEqual(await recomputed());
    expect(Object.values(await stored()).reduce((n, c) => n + c, 0)).toBe(KEYS);

    const report = await world.check();
    expectReliable(report);
    expect(report.facts.changes).toBe(KEYS * STAGES.length);
    serving.removeMetricsDir();
  });
});
