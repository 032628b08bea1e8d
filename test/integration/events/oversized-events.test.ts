import { isDeepStrictEqual } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EVENT_LOG_COLLECTION, eventOfLogged, type LoggedEvent } from '../../../src/events/event-log';
import { mongoChange } from '../../support/debezium-messages';
import { compiledMetric, recomputedCounts, startServingWithMetrics, storedCounts } from '../../support/metrics-world';
import { createReliabilityWorld, expectReliable, oid, type ReliabilityWorld, type WorldChange } from '../../support/reliability-harness';
import { waitFor } from '../../support/wait-for';

/**
 * Canonical events too large for Kafka. A batch whose events add up to more than the canonical
 * topic's `max.message.bytes` is published in several requests; an event over the limit on its own
 * (a 2 MB order) is dead-lettered with EVENT_TOO_LARGE while its state is applied, its reference
 * (no before/after) stands on the topic in its place, and the partition goes on: a subscriber
 * receives the whole change (read from the event log) and the metric rollups, fed from the topic,
 * equal a recomputation from state. With the topic's limit raised the same entity is published
 * like any other. Ingestion is a real child process; the shared checker gives the verdict.
 */
const MEDIUM = 30;
const BIG_KEY = MEDIUM;
const MEDIUM_BYTES = 40 * 1024;
const BIG_BYTES = 2 * 1024 * 1024;

jest.setTimeout(180_000);

/** Every byte of the sku is part of the canonical event (twice in an update: before and after). */
const order = (k: number, v: number, skuBytes: number) => {
  const sku = `${k}-${v}-`.padEnd(skuBytes, String.fromCharCode(97 + ((k + v) % 26)));
  return {
    raw: { orderId: `o-${k}`, customer: { email: `v${v}@x.io` }, items: [{ sku }] },
    canonical: { order_id: `o-${k}`, customer: { email: `v${v}@x.io` }, line_items: [{ sku }], currency: 'USD', created_by: 'system' },
  };
};

/**
 * 30 orders of 40 KB are created, then the 2 MB order, then the 30 are updated (each update's
 * event carries before and after: 80 KB, so one fetched batch of raw updates makes about 2 MB of
 * canonical events); one partition, so the updates queue behind the oversized one.
 */
function oversizedStream(bigPasses: boolean): (n: number) => WorldChange {
  return (n) => {
    const change = (k: number, v: number, bytes: number): WorldChange => {
      const { raw, canonical } = order(k, v, bytes);
      return {
        k,
        v,
        data: canonical,
        message: mongoChange({ op: v === 1 ? 'c' : 'u', id: { $oid: oid(k) }, tsMs: 1_700_000_000_000 + n * 1000, ord: 1, after: raw }),
        ...(bytes === BIG_BYTES && !bigPasses ? { deadLetterCode: 'EVENT_TOO_LARGE' } : {}),
      };
    };
    if (n < MEDIUM) return change(n, 1, MEDIUM_BYTES);
    if (n === MEDIUM) return change(BIG_KEY, 1, BIG_BYTES);
    return change(n - MEDIUM - 1, 2, MEDIUM_BYTES);
  };
}

describe('reliability: canonical events over the Kafka message size limit', () => {
  let world: ReliabilityWorld | null = null;
  afterEach(async () => {
    await world?.dispose();
    world = null;
  });

  it('splits a batch over the limit, dead-letters a 2 MB entity with EVENT_TOO_LARGE (state applied, reference on the topic), and subscribers and rollups still see it', async () => {
    world = await createReliabilityWorld('oversized', { keys: MEDIUM + 1, partitions: 1, stream: oversizedStream(false) });
    const w = world;
    const definition = {
      name: 'order-count',
      version: 1,
      subject: 'order',
      dimensions: [{ name: 'email', field: 'customer.email' }],
      time: { changeTime: true },
      windows: ['day'],
    };
    const { port, removeMetricsDir } = await startServingWithMetrics(w, definition);
    // A live subscriber of the big order, opened before anything is produced.
    const received: { op: string; version: number; skuBytes: number | undefined }[] = [];
    const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const subscribed = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    client.subscribe<{ orderChanged: { op: string; version: number; node: { line_items: { sku: string }[] } | null } }>(
      { query: `subscription { orderChanged(where: { order_id: { eq: "o-${BIG_KEY}" } }) { op version node { line_items { sku } } } }` },
      {
        next: (value) => {
          const change = value.data?.orderChanged;
          if (change) received.push({ op: change.op, version: change.version, skuBytes: change.node?.line_items[0]?.sku.length });
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await subscribed;
    await w.produce(2 * MEDIUM + 1);
    await w.waitApplied(120_000);
    await waitFor('the subscriber to receive the 2 MB order', () => received.length > 0, { timeoutMs: 60_000 });
    expect(received).toEqual([{ op: 'CREATE', version: 1, skuBytes: BIG_BYTES }]);
    await client.dispose();
    // The rollups, fed from the canonical topic, hold the big order like every other.
    const metric = compiledMetric(definition);
    const stored = () => storedCounts(w.db, metric);
    const recomputed = () => recomputedCounts(w.db, metric);
    let last: unknown = null;
    await waitFor(
      'the rollups to equal a recomputation from state',
      async () => {
        const [have, want] = [await stored(), await recomputed()];
        last = { have, want };
        return isDeepStrictEqual(have, want);
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nlast seen: ${JSON.stringify(last)}`);
    });
    expect((await stored())[`${metric.key}/day/${Math.floor((1_700_000_000_000 + MEDIUM * 1000) / 86_400_000) * 86_400_000}/["v1@x.io"]`]).toBe(1);
    removeMetricsDir();
    const report = await w.check();
    expectReliable(report);
    expect(report.facts.deadLettered).toBe(1);
    expect(report.facts.canonicalMessages).toBeGreaterThanOrEqual(2 * MEDIUM);
    // The updates alone add up to more than the broker's 1 MiB limit, yet all were published.
    const updates = (await world.db.collection<LoggedEvent>(EVENT_LOG_COLLECTION).find({ op: 'UPDATE' }).toArray()).map(eventOfLogged);
    expect(updates.reduce((n, e) => n + JSON.stringify(e).length, 0)).toBeGreaterThan(2 * 1024 * 1024);
    // The oversized entity's state is in the store, whole.
    const big = await world.db.collection<{ _id: string; data: { line_items: { sku: string }[] } }>('state_order').findOne({ _id: oid(BIG_KEY) });
    expect(big?.data.line_items[0]?.sku.length).toBe(BIG_BYTES);
  });

  it("publishes the same 2 MB entity once the canonical topic's max.message.bytes is raised", async () => {
    world = await createReliabilityWorld('oversized_raised', {
      keys: MEDIUM + 1,
      partitions: 1,
      stream: oversizedStream(true),
      canonicalTopicConfig: { 'max.message.bytes': String(4 * 1024 * 1024) },
    });
    world.sampler.start(1000);
    world.startIngestion();
    await world.produce(2 * MEDIUM + 1);
    await world.waitApplied(120_000);
    const report = await world.check();
    expectReliable(report);
    expect(report.facts.deadLettered).toBe(0);
    const letters = await world.db.collection('dead_letters').countDocuments();
    expect(letters).toBe(0);
  });
});
