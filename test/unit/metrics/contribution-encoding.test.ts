import { decodeContribution, encodeContribution, type ContributionDoc } from '../../../src/metrics/rollup-store';

/**
 * The stored form of a contribution document (`r` and `x`, one string each, the bucket ids
 * without the metric's prefix): what is decoded is what was encoded, so settling from a stored
 * document puts exactly the rows and tombstones that were written; and a document stored before
 * that form (`k`, `rows`, `touched` as fields) is read as it was.
 */
describe('contribution documents: stored encoding', () => {
  const metric = 'order-amount@2';
  const bucket = (window: string, start: number, ...dims: unknown[]) => `${metric}/${window}/${start}/${JSON.stringify(dims)}`;
  const doc = (over: Partial<ContributionDoc>): ContributionDoc => ({
    _id: `${metric}|ord|1`,
    metric,
    k: 'ord|1',
    v: 7,
    rows: [],
    touched: [],
    dirty: true,
    rev: 3,
    ...over,
  });

  it('round-trips single-valued, spread and count-only rows, awkward dimension values, and the buckets it may not have left', () => {
    const rows = [
      { b: bucket('hour', 1_714_521_600_000, 'eu-west', 'MUG-1'), a: { n: 1, s: '12.50', lo: '12.50', hi: '12.50' } },
      { b: bucket('day', 1_714_521_600_000, 'eu-west', 'MUG-1'), a: { n: 3, s: '-0.000000000000000000001', lo: '-5', hi: '4.999999999999999999999' } },
      { b: bucket('day', 1_714_521_600_000, null, 'tab\t"quoted"/ünïcödé 😀'), a: { n: 2, s: null, lo: null, hi: null } },
    ];
    const left = [bucket('hour', 1_714_518_000_000, 'us-east', 'MUG-1'), bucket('day', 1_714_435_200_000, true, 4.5)];
    const written = doc({ rows, touched: [...rows.map((r) => r.b), ...left] });
    const stored = encodeContribution(written);
    expect(stored).toEqual({ _id: written._id, metric, v: 7, r: expect.any(String), x: expect.any(String), dirty: true, rev: 3 });
    expect(stored.r).not.toContain(metric);
    expect(decodeContribution(stored)).toEqual(written);
  });

  it('leaves `x` out when the entity occupies only its rows’ buckets, and reads a contribution of no rows', () => {
    const rows = [{ b: bucket('minute', 60_000), a: { n: 1, s: '1', lo: '1', hi: '1' } }];
    const settled = doc({ rows, touched: rows.map((r) => r.b), dirty: false });
    expect(encodeContribution(settled)).not.toHaveProperty('x');
    expect(decodeContribution(encodeContribution(settled))).toEqual(settled);
    const deleted = doc({ rows: [], touched: [bucket('hour', 0, 'eu')] });
    expect(decodeContribution(encodeContribution(deleted))).toEqual(deleted);
  });

  it('reads a document stored before `r` (rows and touched as fields) as such, marked for the clear that rewrites `touched`', () => {
    const rows = [{ b: bucket('hour', 3_600_000, 'eu'), a: { n: 1, s: '2', lo: '2', hi: '2' } }];
    const touched = [...rows.map((r) => r.b), bucket('hour', 0, 'eu')];
    const legacy = { _id: `${metric}|ord|1`, metric, k: 'ord|1', v: 4, rows, touched, dirty: true, rev: 9 };
    expect(decodeContribution(legacy)).toEqual({ ...legacy, legacy: true });
  });
});
