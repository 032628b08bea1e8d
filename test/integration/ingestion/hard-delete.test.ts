import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileMetric } from '../../../src/metrics/aggregation';
import { computeFromState } from '../../../src/metrics/backfill';
import { validateMetricDefinition } from '../../../src/metrics/metric-definition';
import { mongoChange } from '../../support/debezium-messages';
import { createReliabilityWorld, expectReliable, oid, orderData, sleep, type ReliabilityWorld, type WorldChange } from '../../support/reliability-harness';
import { freePort, ResumingSubscriber } from '../../support/resuming-subscriber';
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
    const metricsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-metrics-'));
    fs.writeFileSync(path.join(metricsDir, 'order-count.json'), JSON.stringify(METRIC));
    const port = await freePort();
    world.sampler.start(1000);
    const service = world.startIngestion({
      CANONQL_ROLES: 'ingest,api',
      CANONQL_HTTP_PORT: String(port),
      CANONQL_METRICS: 'true',
      CANONQL_METRICS_DIR: metricsDir,
    });
    await waitFor('the process to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok ?? false, {
      timeoutMs: 60_000,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${service.output.join('')}`);
    });

    await world.produce(KEYS);
    await world.waitApplied();
    subscriber = new ResumingSubscriber(`ws://127.0.0.1:${port}/graphql`);
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
    const validated = validateMetricDefinition(METRIC);
    if (!validated.ok) throw new Error(validated.problems.join('\n'));
    const metric = compileMetric(validated.definition);
    const stored = async () =>
      Object.fromEntries(
        (
          await world!.db
            .collection<{ _id: string; count: number }>('metric_buckets')
            .find({ metric: metric.key, count: { $gt: 0 } })
            .toArray()
        ).map((d) => [d._id, d.count]),
      );
    const recomputed = async () => Object.fromEntries([...(await computeFromState(world!.db, metric))].map(([id, s]) => [id, s.count]));
    await waitFor('rollups equal to a recomputation from state', async () => JSON.stringify(await stored()) === JSON.stringify(await recomputed()), {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    expect(await stored()).toEqual(await recomputed());
    expect(Object.values(await stored()).reduce((n, c) => n + c, 0)).toBe(KEYS);

    const report = await world.check();
    expectReliable(report);
    expect(report.facts.changes).toBe(KEYS * STAGES.length);
    fs.rmSync(metricsDir, { recursive: true, force: true });
  });
});
