import { averageOf, summarize, type BucketSummary, type Member } from '../../../src/metrics/aggregation';
import { compiledMetric, HOURLY_AMOUNT } from './metric-model';

/**
 * avg = sum / count as a double: finite whenever the average is, null when it cannot be one
 * (never Infinity, which GraphQL cannot serialize).
 */
const compiled = (extra: Record<string, unknown> = {}) => compiledMetric({ ...HOURLY_AMOUNT, ...extra });

describe('avg of sums beyond a double', () => {
  const summary = (sum: string, count: number): BucketSummary => ({ count, sum, min: null, max: null });

  it('is the finite average when there is one, null when it cannot be a double', () => {
    expect(averageOf(summary(`3${'0'.repeat(308)}`, 2))).toBe(1.5e308);
    expect(averageOf(summary(`-3${'0'.repeat(308)}.50`, 3))).toBe(-1e308);
    expect(averageOf(summary(`1${'0'.repeat(400)}`, 1))).toBeNull();
    expect(averageOf(summary(`-1${'0'.repeat(400)}`, 7))).toBeNull();
    expect(averageOf(summary('37.50', 3))).toBe(12.5);
    expect(averageOf(summary('0.3', 3))).toBe(Number('0.3') / 3);
    expect(averageOf(summary('10', 0))).toBeNull();
  });

  it('a metric whose sum is "1e400" has a null avg, not Infinity', () => {
    const metric = compiled({ dimensions: [] });
    const members: Member[] = [];
    for (const [k, amt] of [
      ['a', '1e400'],
      ['b', '2'],
    ] as const)
      for (const { agg } of metric.contributionsOf({ ts: 0, amt }, null).values()) members.push({ k, v: 1, a: agg, t: 0 });
    expect(averageOf(summarize(members))).toBeNull();
  });
});
