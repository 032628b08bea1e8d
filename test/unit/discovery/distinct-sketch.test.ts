import { DistinctSketch, EXACT_LIMIT, hashString } from '../../../src/discovery/distinct-sketch';

const sketchOf = (values: Iterable<string>) => {
  const sketch = new DistinctSketch();
  for (const value of values) sketch.addHash(hashString(value));
  return sketch;
};
const range = (from: number, to: number, prefix = 'v') => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('distinct sketch', () => {
  it('counts exactly up to the exact limit, repeats included', () => {
    const sketch = sketchOf([...range(0, EXACT_LIMIT), ...range(0, EXACT_LIMIT)]);
    expect(sketch.isExact).toBe(true);
    expect(sketch.estimate()).toBe(EXACT_LIMIT);
    expect(sketchOf([]).estimate()).toBe(0);
  });

  it('switches to HyperLogLog beyond it and stays within three standard errors (3 x 3.25%)', () => {
    for (const n of [65, 1_000, 20_000, 200_000]) {
      const sketch = sketchOf(range(0, n));
      expect(sketch.isExact).toBe(false);
      expect(Math.abs(sketch.estimate() - n) / n).toBeLessThan(0.0975);
    }
  });

  it('merges without loss: two halves with an overlap estimate like the union', () => {
    const a = sketchOf(range(0, 30_000));
    const b = sketchOf(range(20_000, 50_000));
    const union = sketchOf(range(0, 50_000));
    a.merge(b);
    expect(a.estimate()).toBe(union.estimate());
    const small = sketchOf(range(0, 40));
    small.merge(sketchOf(range(30, 60)));
    expect(small.isExact).toBe(true);
    expect(small.estimate()).toBe(60);
    const promoted = sketchOf(range(0, 40));
    promoted.merge(sketchOf(range(40, 80)));
    expect(promoted.isExact).toBe(false);
    expect(promoted.estimate()).toBe(sketchOf(range(0, 80)).estimate());
  });

  it('survives serialization in both forms', () => {
    for (const n of [10, 5_000]) {
      const sketch = sketchOf(range(0, n));
      const copy = DistinctSketch.from(JSON.parse(JSON.stringify(sketch.serialize())));
      expect(copy.estimate()).toBe(sketch.estimate());
      expect(copy.isExact).toBe(sketch.isExact);
    }
  });

  it('hashes spread over the register index bits', () => {
    const buckets = new Array<number>(16).fill(0);
    for (const value of range(0, 16_000)) buckets[hashString(value) >>> 28]! += 1;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
