import { ErrorCode } from '../../../src/errors';
import { createMetricsReader } from '../../../src/metrics/metric-reader';
import { createRollupStore } from '../../../src/metrics/rollup-store';
import { compiledMetric, entityChange } from '../../support/metrics-world';
import { HOURLY_AMOUNT } from '../../unit/metrics/metric-model';
import { databasePerTest } from '../../support/test-env';

/**
 * A metric query's range (real store): `from` is inclusive on the window start ("windows starting
 * at or after"), `to` exclusive, and a reversed or empty range is BAD_USER_INPUT. `from` used to
 * be rounded down to its window, so a window starting before it was returned, and a range
 * inside one window (or reversed within it) was accepted.
 */
describe('metric query range (real store)', () => {
  const db = databasePerTest('metric_query_range');
  const H = 3_600_000;
  const T = Date.UTC(2024, 4, 1, 10);
  const metric = compiledMetric(HOURLY_AMOUNT);

  async function reader() {
    const store = createRollupStore(db());
    await store.ensureIndexes();
    await store.apply(metric, [
      entityChange('a', 1, { ts: new Date(T + 5 * 60_000).toISOString(), region: 'eu', amt: '1' }),
      entityChange('b', 1, { ts: new Date(T + H).toISOString(), region: 'eu', amt: '2' }),
      entityChange('c', 1, { ts: new Date(T + 2 * H).toISOString(), region: 'eu', amt: '4' }),
    ]);
    await store.intentsClosed();
    return createMetricsReader({ db: db(), definitions: [metric.definition], limits: { maxScan: 1000, maxGroups: 1000 } });
  }

  it('returns the windows whose start is in [from, to): from is not rounded down', async () => {
    const metrics = await reader();
    const starts = async (from: number | null, to: number | null) =>
      (await metrics.query({ name: 'm', window: 'hour', from: from === null ? null : new Date(from), to: to === null ? null : new Date(to) })).map(
        (r) => (r.start.getTime() - T) / H,
      );
    expect(await starts(null, null)).toEqual([0, 1, 2]);
    expect(await starts(T + H / 2, T + H + H / 2)).toEqual([1]);
    expect(await starts(T + H / 2, null)).toEqual([1, 2]);
    expect(await starts(T, T + H)).toEqual([0]);
    expect(await starts(T + 1, T + 2 * H)).toEqual([1]);
    expect(await starts(T + 1, T + H)).toEqual([]);
  });

  it('refuses a reversed or empty range with BAD_USER_INPUT', async () => {
    const metrics = await reader();
    for (const [from, to] of [
      [T + 45 * 60_000, T + 15 * 60_000],
      [T + H / 2, T + H / 2],
      [T, T],
      [T + 2 * H, T],
    ] as const) {
      await expect(metrics.query({ name: 'm', window: 'hour', from: new Date(from), to: new Date(to) })).rejects.toMatchObject({
        code: ErrorCode.BAD_USER_INPUT,
        message: expect.stringContaining('`to` must be after `from`'),
      });
    }
  });
});
