import { mergeSummaries, summarize, type BucketSummary, type Member } from '../../../src/metrics/aggregation';
import { compiledMetric, HOURLY_AMOUNT } from './metric-model';

/**
 * min and max of equal values written with different scales ("5.0", "5.00"): the larger
 * scale wins, whatever the order the values arrive or are merged in.
 */
const compiled = (extra: Record<string, unknown> = {}) => compiledMetric({ ...HOURLY_AMOUNT, ...extra });

describe('min and max of equal values written with different scales', () => {
  const member = (k: string, s: string): Member => ({ k, v: 1, a: { n: 1, s, lo: s, hi: s }, t: 0 });
  const part = (text: string): BucketSummary => ({ count: 1, sum: text, min: text, max: text });

  it('the larger scale wins, whatever the order: members, parts, and the rows of one entity', () => {
    for (const [a, b] of [
      ['5.0', '5.00'],
      ['5.00', '5.0'],
      ['5', '5.000'],
      ['-0.50', '-0.5'],
    ] as const) {
      const wide = a.length > b.length ? a : b;
      expect(summarize([member('a', a), member('b', b)])).toMatchObject({ min: wide, max: wide });
      expect(summarize([member('b', b), member('a', a)])).toMatchObject({ min: wide, max: wide });
      expect(mergeSummaries([part(a), part(b)])).toMatchObject({ min: wide, max: wide });
      expect(mergeSummaries([part(b), part(a)])).toMatchObject({ min: wide, max: wide });
    }
    const lines = compiled({ measure: { field: 'items[*].price' }, dimensions: [] });
    const aggs = (prices: string[]) =>
      [...lines.contributionsOf({ ts: '2024-05-01T10:00:00Z', items: prices.map((price) => ({ price })) }, null).values()].map(({ agg }) => agg);
    expect(aggs(['5.0', '5.00', '7'])).toEqual([{ n: 3, s: '17.00', lo: '5.00', hi: '7' }]);
    expect(aggs(['7', '5.00', '5.0'])).toEqual([{ n: 3, s: '17.00', lo: '5.00', hi: '7' }]);
    expect(aggs(['7.0', '5', '7'])).toEqual([{ n: 3, s: '19.0', lo: '5', hi: '7.0' }]);
  });
});
