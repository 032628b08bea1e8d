import { validateMetricDefinition } from '../../../src/metrics/metric-definition';
import { createMetricsReader } from '../../../src/metrics/metric-reader';
import { bucketStoreOf, hourlyCountMetric } from './metric-model';

/**
 * Dimension names of Object.prototype (__proto__, constructor, prototype): refused at
 * definition time, and a query's result objects hold them as own properties all the same.
 */

describe('dimension names of Object.prototype', () => {
  it('are refused at definition time, naming the dimension', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      const result = validateMetricDefinition({
        name: 'm',
        subject: 'order',
        dimensions: [{ name, field: 'region' }],
        time: { field: 'ts' },
        windows: ['hour'],
      });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.problems).toEqual([expect.stringMatching(new RegExp(`^dimensions\\[0\\]\\.name: "${name}" is reserved`))]);
    }
    const byPath = validateMetricDefinition({ name: 'm', subject: 'order', dimensions: ['meta.constructor'], time: { field: 'ts' }, windows: ['hour'] });
    expect(!byPath.ok && byPath.problems).toEqual([expect.stringMatching(/^dimensions\[0\]\.name: "constructor" is reserved/)]);
  });

  it('a query still returns such a dimension as its own property (a definition from before the refusal)', async () => {
    const definition = hourlyCountMetric(JSON.parse('{"__proto__": "region", "constructor": "kind"}'));
    const docs = [
      { startMs: 0, dims: JSON.parse('{"__proto__": "eu", "constructor": "a"}'), count: 1, sum: null, min: null, max: null },
      { startMs: 0, dims: JSON.parse('{"__proto__": "us", "constructor": "a"}'), count: 2, sum: null, min: null, max: null },
    ];
    const reader = createMetricsReader({ db: bucketStoreOf(docs), definitions: [definition], limits: { maxScan: 100, maxGroups: 100 } });
    const rows = await reader.query({ name: 'm', window: 'hour' });
    expect(rows.map((r) => [Object.getPrototypeOf(r.dimensions) === Object.prototype, Object.entries(r.dimensions), r.count])).toEqual([
      [
        true,
        [
          ['__proto__', 'eu'],
          ['constructor', 'a'],
        ],
        1,
      ],
      [
        true,
        [
          ['__proto__', 'us'],
          ['constructor', 'a'],
        ],
        2,
      ],
    ]);
    const merged = await reader.query({ name: 'm', window: 'hour', groupBy: ['constructor'] });
    expect(merged.map((r) => [Object.entries(r.dimensions), r.count])).toEqual([[[['constructor', 'a']], 3]]);
  });
});
