import { isDeepStrictEqual } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { changeOfState, statePages } from '../../../src/metrics/backfill';
import {
  BUCKETS_COLLECTION,
  CONTRIBUTIONS_COLLECTION,
  decodeContribution,
  membersOf,
  type BucketDoc,
  type StoredContribution,
} from '../../../src/metrics/rollup-store';
import { createReliabilityWorld, expectReliable, sleep, type ReliabilityWorld } from '../../support/reliability-harness';
import { compiledMetric, recomputedCounts, startServingWithMetrics, storedCounts } from '../../support/metrics-world';
import { createLeftovers } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';

/**
 * A metric's versions managed as an admin would, under a live stream of changes: v1 active,
 * v2 activated, rolled back to v1, v1 deactivated (changes keep coming) and activated again. At
 * every step, once the stream pauses, the active version's stored buckets equal a recomputation
 * from current state (a reactivated version is brought current, not served as it was left), and
 * a `metricUpdated` subscription opened at that step receives updates, then ends with
 * METRIC_VERSION_CHANGED at the next switch. The shared checker ends the case.
 */
const KEYS = 30;
const V1 = {
  name: 'order-count',
  version: 1,
  subject: 'order',
  dimensions: [{ name: 'email', field: 'customer.email' }],
  time: { changeTime: true },
  windows: ['day'],
};
const V2 = { ...V1, version: 2, windows: ['day', 'hour'] };

/** One `metricUpdated` subscription: what it received and how it ended. */
class MetricSubscriber {
  readonly updates: { metric: string; count: number }[] = [];
  ended: { code?: string; message: string } | 'complete' | null = null;
  private readonly client: Client;
  constructor(url: string) {
    this.client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 });
    this.client.subscribe<{ metricUpdated: { metric: string; count: number } }>(
      { query: 'subscription { metricUpdated(name: "order-count", window: day) { metric count } }' },
      {
        next: (value) => {
          if (value.data) this.updates.push(value.data.metricUpdated);
          if (value.errors) this.ended = { code: (value.errors[0]?.extensions as { code?: string } | undefined)?.code, message: value.errors[0]!.message };
        },
        error: (error) => {
          this.ended = {
            message: String((error as Error)?.message ?? JSON.stringify(error)),
            code: (error as { extensions?: { code?: string } }[])[0]?.extensions?.code,
          };
        },
        complete: () => {
          this.ended ??= 'complete';
        },
      },
    );
  }
  dispose() {
    return this.client.dispose();
  }
}

jest.setTimeout(900_000);

describe('reliability: metric version lifecycle under a live stream', () => {
  let world: ReliabilityWorld | null = null;
  const subscribers: MetricSubscriber[] = [];
  const leftovers = createLeftovers();
  afterAll(async () => {
    await leftovers.dispose();
    for (const s of subscribers) await s.dispose();
    await world?.dispose();
  });

  it('v1 → v2 → rollback → deactivate/activate: buckets equal a recomputation at each step; subscriptions get updates, then a coded end', async () => {
    world = await createReliabilityWorld('metric_lifecycle', { keys: KEYS, partitions: 2 });
    const w = world;
    const { port, removeMetricsDir } = await startServingWithMetrics(w, V1, {
      CANONQL_ADMIN_KEYS: TEST_ADMIN_KEY,
      CANONQL_CATALOG_POLL_MS: '200',
    });
    const admin = async (query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const subscribe = () => {
      const s = new MetricSubscriber(`ws://127.0.0.1:${port}/graphql`);
      subscribers.push(s);
      return s;
    };

    let loading = true;
    let paused = false;
    /** The produce in flight, if any: a pause waits for it instead of guessing how long it takes. */
    let producing: Promise<void> = Promise.resolve();
    const load = (async () => {
      while (loading) {
        if (!paused) {
          producing = w.produce(KEYS / 2);
          await producing;
        }
        await sleep(200);
      }
    })();

    /** Pauses the stream: no produce in flight, and every change produced is applied to state. */
    const pause = async () => {
      paused = true;
      await producing;
      await w.waitApplied(240_000);
    };
    const kafkaAdmin = w.kafka.admin();
    await kafkaAdmin.connect();
    leftovers.add(() => kafkaAdmin.disconnect());
    /** Canonical events not yet consumed by the metrics group (its commits follow the rollup writes). */
    const metricsLag = async () => {
      const [ends, [committed]] = await Promise.all([
        kafkaAdmin.fetchTopicOffsets(w.canonicalTopic),
        kafkaAdmin.fetchOffsets({ groupId: `${w.groupId}-metrics`, topics: [w.canonicalTopic] }),
      ]);
      const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
      return ends.reduce((lag, p) => lag + Number(p.high) - (at.get(p.partition) ?? 0), 0);
    };
    /**
     * With the stream paused, once the metrics group has consumed every canonical event and the
     * version's backfill has finished since `since` (the switch that (re)activated it): its stored
     * buckets equal a recomputation from state. Each of these is waited on as a condition (under
     * load the pipeline may take long to drain), and a timeout says which one did not hold.
     */
    const bucketsCurrent = async (step: string, definition: unknown, since: Date) => {
      await pause();
      const started = Date.now();
      const metric = compiledMetric(definition);
      const stored = () => storedCounts(w.db, metric);
      const recomputed = () => recomputedCounts(w.db, metric);
      const backfill = () => w.db.collection<{ _id: string; state: string; finishedAt: Date | null }>('metric_backfills').findOne({ _id: metric.key });
      /**
       * What a wrong bucket is made of, for the failure message: its stored members (key@version,
       * `x` for a tombstone), the entities a recomputation puts in it, and the contribution
       * documents of every entity involved (version, rev, dirty, rows and touched buckets).
       */
      const explain = async (ids: string[]) => {
        const wanted = new Map<string, string[]>();
        for await (const page of statePages(w.db, metric.definition.subject, null)) {
          for (const entity of page) {
            const change = changeOfState(entity);
            for (const [id] of metric.contributionsOf(change.data, change.changeTsMs))
              wanted.set(id, [...(wanted.get(id) ?? []), `${change.key}@${change.version}`]);
          }
        }
        const buckets = await w.db
          .collection<BucketDoc>(BUCKETS_COLLECTION)
          .find({ _id: { $in: ids } })
          .toArray();
        const keys = new Set<string>();
        const out = ids.map((id) => {
          const bucket = buckets.find((b) => b._id === id);
          const members = bucket ? membersOf(bucket) : [];
          for (const m of members) keys.add(m.k);
          for (const entry of wanted.get(id) ?? []) keys.add(entry.split('@')[0]!);
          return { id, rev: bucket?.rev, stored: bucket && members.map((m) => `${m.k}@${m.v}${m.g ? 'x' : ''}`), recomputed: wanted.get(id) ?? [] };
        });
        const contributions = (
          await w.db
            .collection<StoredContribution>(CONTRIBUTIONS_COLLECTION)
            .find({ _id: { $in: [...keys].map((k) => `${metric.key}|${k}`) } })
            .toArray()
        ).map(decodeContribution);
        return {
          buckets: out,
          contributions: contributions.map((c) => ({ k: c.k, v: c.v, rev: c.rev, dirty: c.dirty, rows: c.rows.map((r) => r.b), touched: c.touched })),
        };
      };
      let last: Record<string, unknown> & { mismatched?: string[] } = {};
      await waitFor(
        `${step}: metrics drained, backfill done since the switch, buckets equal to a recomputation`,
        async () => {
          const [lag, progress, have, want] = [await metricsLag(), await backfill(), await stored(), await recomputed()];
          last = {
            lag,
            since,
            backfill: progress && { state: progress.state, finishedAt: progress.finishedAt },
            mismatched: Object.keys({ ...have, ...want }).filter((id) => have[id] !== want[id]),
          };
          // By value, in any key order (the store and the recomputation list buckets in orders of their own).
          return lag === 0 && progress?.state === 'done' && progress.finishedAt !== null && progress.finishedAt >= since && isDeepStrictEqual(have, want);
        },
        { timeoutMs: 240_000, intervalMs: 300 },
      ).catch(async (error: unknown) => {
        const mismatched = last.mismatched ?? [];
        const detail = mismatched.length > 0 ? `\nwhat they are made of: ${JSON.stringify(await explain(mismatched.slice(0, 5)))}` : '';
        throw new Error(`${String(error)}\nlast seen: ${JSON.stringify(last)}${detail}`);
      });
      process.stdout.write(`${step}: buckets current ${Date.now() - started} ms after the stream paused\n`);
      expect([step, await stored()]).toEqual([step, await recomputed()]);
      const definitions = (await admin('{ metricDefinitions { name version backfill { state scanned total } } }')) as {
        metricDefinitions: { version: number; backfill: { state: string } | null }[];
      };
      expect(definitions.metricDefinitions[0]?.backfill?.state).toBe('done');
      paused = false;
    };
    const receives = (s: MetricSubscriber, step: string) =>
      waitFor(`${step}: the subscription to receive updates`, () => s.updates.length > 0, { timeoutMs: 30_000 });
    const endsWithVersionChanged = (s: MetricSubscriber, step: string) =>
      waitFor(`${step}: the subscription to end`, () => s.ended !== null, { timeoutMs: 30_000 }).then(() =>
        expect([step, s.ended]).toEqual([step, expect.objectContaining({ code: 'METRIC_VERSION_CHANGED' })]),
      );

    // v1, as seeded from its file.
    const s1 = subscribe();
    await receives(s1, 'v1');
    await bucketsCurrent('v1', V1, new Date(0));

    // v2 activated: v1's subscription ends with the code; a new one follows v2.
    const v2At = new Date();
    await admin('mutation($d: JSON!) { registerMetricDefinition(definition: $d, activate: true) { version } }', { d: V2 });
    await endsWithVersionChanged(s1, 'v2 activated');
    const s2 = subscribe();
    await receives(s2, 'v2');
    await bucketsCurrent('v2', V2, v2At);

    // Rolled back to v1, which missed every change consumed while v2 was active. The switch is
    // made with the stream paused, so no later change of an entity can repair v1's rollups: only
    // bringing the reactivated version current from state can.
    await sleep(2000);
    await pause();
    const rollbackAt = new Date();
    await admin('mutation { rollbackMetricDefinition(name: "order-count") { version } }');
    await endsWithVersionChanged(s2, 'rolled back');
    const s3 = subscribe();
    await bucketsCurrent('rollback to v1', V1, rollbackAt);
    await receives(s3, 'rollback to v1');

    // Deactivated while changes keep coming, then activated again.
    await admin('mutation { deactivateMetricDefinition(name: "order-count") }');
    await endsWithVersionChanged(s3, 'deactivated');
    await sleep(3000);
    await pause();
    const activatedAt = new Date();
    await admin('mutation { activateMetricDefinition(name: "order-count", version: 1) { version } }');
    const s4 = subscribe();
    await bucketsCurrent('v1 activated again', V1, activatedAt);
    await receives(s4, 'v1 activated again');

    loading = false;
    await load;
    await w.waitApplied(120_000);
    const report = await w.check();
    expectReliable(report);
    removeMetricsDir();
  });
});
