import { compileMetric, parseBucketId, putMember, summarize, type Member, type MemberAgg } from '../../../src/metrics/aggregation';
import { validateMetricDefinition, type MetricDefinition } from '../../../src/metrics/metric-definition';
import { bruteForce, bruteKeyOf, int, pick, PROPERTY_DEFINITION, randomOrder, seeded } from './metric-model';

function definition(input: unknown): MetricDefinition {
  const result = validateMetricDefinition(input);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.definition;
}

/**
 * The streaming protocol of the rollup store, in memory: a contribution document per entity
 * (guarded by version, remembering the buckets it may occupy) and bucket member maps written
 * with putMember. Same decisions as src/metrics/rollup-store.ts, minus the store.
 */
function streamingModel(metric = compileMetric(definition(PROPERTY_DEFINITION))) {
  const contributions = new Map<string, { v: number; rows: Map<string, MemberAgg>; touched: Set<string> }>();
  const buckets = new Map<string, Map<string, Member>>();
  return {
    apply(key: string, version: number, data: Record<string, unknown> | null) {
      const current = contributions.get(key);
      if (current && version <= current.v) return;
      const rows = new Map([...metric.contributionsOf(data, null)].map(([id, { agg }]) => [id, agg]));
      const touched = new Set([...(current?.touched ?? []), ...(current?.rows.keys() ?? []), ...rows.keys()]);
      contributions.set(key, { v: version, rows, touched });
      for (const id of touched) {
        const members = buckets.get(id) ?? new Map<string, Member>();
        putMember(members, key, version, rows.get(id) ?? null, 0);
        buckets.set(id, members);
      }
    },
    summaries() {
      return new Map(
        [...buckets].map(([id, members]) => [bruteKeyOf(id), summarize(members.values())]).filter(([, s]) => (s as { count: number }).count > 0) as [
          string,
          ReturnType<typeof summarize>,
        ][],
      );
    },
  };
}

/** The batch path: final states only, each folded once. */
function batch(states: Map<string, Record<string, unknown> | null>) {
  const metric = compileMetric(definition(PROPERTY_DEFINITION));
  const members = new Map<string, Member[]>();
  for (const [key, data] of states) {
    for (const [id, { agg }] of metric.contributionsOf(data, null)) members.set(id, [...(members.get(id) ?? []), { k: key, v: 1, a: agg, t: 0 }]);
  }
  return new Map([...members].map(([id, list]) => [bruteKeyOf(id), summarize(list)]));
}

describe('metric aggregation (pure)', () => {
  it('splits an order into one row per line: price × qty, by region and product, per window', () => {
    const metric = compileMetric(definition(PROPERTY_DEFINITION));
    const rows = metric.contributionsOf(
      {
        region: 'eu',
        created_at: '2024-03-01T10:15:00.000Z',
        status: 'paid',
        line_items: [
          { sku: 'mug', price: '12.50', qty: 2 },
          { sku: 'tee', price: '24', qty: 1 },
          { sku: 'mug', price: '0.10', qty: 3 },
        ],
      },
      null,
    );
    const byId = Object.fromEntries([...rows].map(([id, { agg }]) => [id, agg]));
    expect(byId).toEqual({
      'prop-amount@1/hour/1709287200000/["eu","mug"]': { n: 2, s: '25.30', lo: '0.30', hi: '25.00' },
      'prop-amount@1/hour/1709287200000/["eu","tee"]': { n: 1, s: '24', lo: '24', hi: '24' },
      'prop-amount@1/day/1709251200000/["eu","mug"]': { n: 2, s: '25.30', lo: '0.30', hi: '25.00' },
      'prop-amount@1/day/1709251200000/["eu","tee"]': { n: 1, s: '24', lo: '24', hi: '24' },
    });
    expect(parseBucketId('prop-amount@1/day/1709251200000/["eu","tee"]')).toEqual({
      key: 'prop-amount@1',
      ref: { window: 'day', startMs: 1709251200000, dims: ['eu', 'tee'] },
    });
  });

  it('contributes nothing for a deleted entity, a filtered one, one without time, or lines without a numeric measure', () => {
    const metric = compileMetric(definition(PROPERTY_DEFINITION));
    const base = { region: 'eu', created_at: '2024-03-01T10:00:00Z', status: 'paid', line_items: [{ sku: 'mug', price: '1', qty: 1 }] };
    expect(metric.contributionsOf(null, null).size).toBe(0);
    expect(metric.contributionsOf({ ...base, status: 'cancelled' }, null).size).toBe(0);
    expect(metric.contributionsOf({ ...base, created_at: undefined }, null).size).toBe(0);
    expect(metric.contributionsOf({ ...base, line_items: [{ sku: 'mug', price: 'n/a', qty: 1 }] }, null).size).toBe(0);
  });

  it('counts every entity for a count-only metric; a scalar measure repeats per element of an array dimension', () => {
    const count = compileMetric(definition({ name: 'n', subject: 'order', dimensions: ['region'], time: { changeTime: true }, windows: ['minute'] }));
    expect([...count.contributionsOf({ region: 'eu' }, Date.UTC(2024, 0, 1, 0, 0, 30)).values()]).toEqual([
      { ref: { window: 'minute', startMs: Date.UTC(2024, 0, 1), dims: ['eu'] }, agg: { n: 1, s: null, lo: null, hi: null } },
    ]);
    const tagged = compileMetric(
      definition({ name: 't', subject: 'order', measure: { field: 'total' }, dimensions: ['tags[*].name'], time: { field: 'at' }, windows: ['day'] }),
    );
    const rows = [...tagged.contributionsOf({ total: 10, at: 0, tags: [{ name: 'a' }, { name: 'b' }] }, null).values()];
    expect(rows.map((r) => [r.ref.dims, r.agg.s])).toEqual([
      [['a'], '10'],
      [['b'], '10'],
    ]);
  });

  it('keeps min and max exact when the extreme member is updated or removed', () => {
    const members = new Map<string, Member>();
    const agg = (x: string): MemberAgg => ({ n: 1, s: x, lo: x, hi: x });
    putMember(members, 'a', 1, agg('5'), 0);
    putMember(members, 'b', 1, agg('100'), 0);
    putMember(members, 'c', 1, agg('0.5'), 0);
    expect(summarize(members.values())).toEqual({ count: 3, sum: '105.5', min: '0.5', max: '100' });
    putMember(members, 'b', 2, agg('7'), 0); // the maximum shrinks
    expect(summarize(members.values())).toEqual({ count: 3, sum: '12.5', min: '0.5', max: '7' });
    putMember(members, 'c', 2, null, 0); // the minimum leaves
    expect(summarize(members.values())).toEqual({ count: 2, sum: '12', min: '5', max: '7' });
    putMember(members, 'c', 1, agg('-3'), 0); // a stale write of an older version changes nothing
    expect(summarize(members.values())).toEqual({ count: 2, sum: '12', min: '5', max: '7' });
  });

  it('property: random creates, updates, deletes, duplicates and stale redeliveries → streaming == batch == brute force', () => {
    for (let seed = 1; seed <= 300; seed += 1) {
      const rng = seeded(seed);
      const history = new Map<string, (Record<string, unknown> | null)[]>();
      const deliveries: [string, number][] = [];
      const keys = Array.from({ length: int(rng, 1, 12) }, (_, i) => `k${i}`);
      for (let step = int(rng, 5, 60); step > 0; step -= 1) {
        const key = pick(rng, keys);
        const versions = history.get(key) ?? [];
        const last = versions.at(-1);
        const roll = rng();
        let next: Record<string, unknown> | null;
        if (last === undefined || last === null) next = randomOrder(rng);
        else if (roll < 0.15) next = null;
        else if (roll < 0.4) next = { ...last, region: pick(rng, ['eu', 'us', 'ap']) };
        else if (roll < 0.6) next = { ...last, created_at: randomOrder(rng).created_at };
        else next = randomOrder(rng);
        versions.push(next);
        history.set(key, versions);
        deliveries.push([key, versions.length]);
        // Duplicates and stale redeliveries (a replay of an older event after a newer one).
        if (rng() < 0.2) deliveries.push([key, versions.length]);
        if (rng() < 0.2 && versions.length > 1) deliveries.push([key, int(rng, 1, versions.length - 1)]);
      }
      // Out of order across entities (per-entity order is Kafka's, but replays may interleave anywhere).
      for (let i = deliveries.length - 1; i > 0; i -= 1) {
        if (rng() < 0.3) {
          const j = int(rng, 0, i);
          if (deliveries[i]![0] !== deliveries[j]![0]) [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
        }
      }
      const stream = streamingModel();
      for (const [key, version] of deliveries) stream.apply(key, version, history.get(key)![version - 1]!);
      const finals = new Map([...history].map(([key, versions]) => [key, versions.at(-1)!]));
      const expected = bruteForce(finals.values());
      const streamed = stream.summaries();
      expect({ seed, buckets: Object.fromEntries(streamed) }).toEqual({ seed, buckets: Object.fromEntries(expected) });
      expect({ seed, buckets: Object.fromEntries(batch(finals)) }).toEqual({ seed, buckets: Object.fromEntries(expected) });
    }
  });
});
