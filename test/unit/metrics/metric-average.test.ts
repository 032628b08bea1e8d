import { averageOf, summarize, type BucketSummary, type Member } from '../../../src/metrics/aggregation';
import { formatUnscaled, quotientToDouble } from '../../../src/values/decimal';
import { seededRandom } from '../../support/seeded-random';
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
    expect(averageOf(summary('0.3', 3))).toBe(0.1);
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

/**
 * avg is the exact quotient sum / count rounded once to the nearest double (ties to even), as
 * GraphQL's `avg` says: not the sum rounded to a double and then divided, which rounds twice and
 * can land on the neighbour (1.20 / 3 gave 0.39999999999999997, not 0.4).
 */
describe('avg is the exact average rounded once', () => {
  const avg = (sum: string, count: number) => averageOf({ count, sum });
  /** A random whole number of `digits` digits, either sign. */
  const signedUnits = (random: () => number, digits: number): bigint => {
    let units = 0n;
    for (let d = 0; d < digits; d += 1) units = units * 10n + BigInt(Math.floor(random() * 10));
    return random() < 0.5 ? -units : units;
  };

  it('is the nearest double where dividing the rounded sum is not', () => {
    expect(avg('1.20', 3)).toBe(0.4);
    expect(avg('0.3', 3)).toBe(0.1);
    expect(avg('75.310', 3)).toBe(25.10333333333333);
    expect(avg('-75.310', 3)).toBe(-25.10333333333333);
    // Beyond 2^53 the sum is no double; its average is one.
    expect(avg('18014398509481985', 3)).toBe(6004799503160662);
    expect(avg('-18014398509481985', 3)).toBe(-6004799503160662);
    expect(avg('0', 7)).toBe(0);
    expect(Object.is(avg('-0.00', 2), 0)).toBe(true);
  });

  it('ties go to the even neighbour, in the normal and the subnormal range', () => {
    // 2^53 + 1, and (2^53 + 3) / 2 = 2^52 + 1.5: each half-way between two doubles.
    expect(avg('9007199254740993', 1)).toBe(9007199254740992);
    expect(avg('9007199254740995', 2)).toBe(4503599627370498);
    // The smallest subnormal is 2^-1074: half of it rounds to 0 (even), 3/2 of it to 2^-1073.
    const halfOfSmallest = 5n ** 1075n; // 2^-1075 = 5^1075 / 10^1075
    expect(avg(formatUnscaled(halfOfSmallest, 1075), 1)).toBe(0);
    expect(avg(formatUnscaled(3n * halfOfSmallest, 1075), 1)).toBe(2 ** -1073);
    expect(avg(formatUnscaled(-3n * halfOfSmallest, 1075), 1)).toBe(-(2 ** -1073));
  });

  it('agrees with Number() of the exact decimal quotient, over random sums and counts', () => {
    const random = seededRandom(20240611);
    for (let i = 0; i < 2000; i += 1) {
      const digits = 1 + Math.floor(random() * 40);
      const scale = Math.floor(random() * 12);
      const units = signedUnits(random, digits);
      // A count of 2s and 5s: the quotient is a finite decimal, which Number() rounds once.
      const count = 2 ** Math.floor(random() * 8) * 5 ** Math.floor(random() * 6);
      const quotient = (units * 10n ** 30n) / BigInt(count);
      expect(quotient * BigInt(count)).toBe(units * 10n ** 30n);
      expect(avg(formatUnscaled(units, scale), count)).toBe(Number(formatUnscaled(quotient, scale + 30)));
    }
  });

  it('takes one division of doubles only where both terms are exact, and it equals the integer division', () => {
    const random = seededRandom(20261205);
    for (let i = 0; i < 2000; i += 1) {
      // Up to 17 digits: on both sides of 2^53, so both ways are taken.
      const digits = 1 + Math.floor(random() * 17);
      const scale = Math.floor(random() * 6);
      const units = signedUnits(random, digits);
      const count = 1 + Math.floor(random() * 1000);
      expect(avg(formatUnscaled(units, scale), count)).toBe(quotientToDouble(units, BigInt(count) * 10n ** BigInt(scale)));
    }
  });
});
