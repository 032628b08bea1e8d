import { AppError, ErrorCode } from '../../../src/errors';
import { createMetricsReader } from '../../../src/metrics/metric-reader';
import { bucketStoreOf, hourlyCountMetric } from './metric-model';

/**
 * A metric query's groupBy names each dimension at most once: a name repeated 100,000 times was
 * kept 100,000 times per bucket (the event loop held for 1.5 s on a day of buckets).
 */
describe('metric groupBy names', () => {
  const definition = hourlyCountMetric({ region: 'region', kind: 'kind' });
  const docs = [
    { startMs: 0, dims: { region: 'eu', kind: 'a' }, count: 1, sum: null, min: null, max: null },
    { startMs: 0, dims: { region: 'us', kind: 'a' }, count: 2, sum: null, min: null, max: null },
  ];
  const reader = createMetricsReader({ db: bucketStoreOf(docs), definitions: [definition], limits: { maxScan: 100, maxGroups: 100 } });

  it('refuses a dimension named twice, naming it', async () => {
    for (const groupBy of [['region', 'region'], ['kind', 'region', 'kind'], Array.from({ length: 100_000 }, () => 'region')]) {
      const refused = await reader.query({ name: 'm', window: 'hour', groupBy }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(AppError);
      expect(refused).toMatchObject({
        code: ErrorCode.BAD_USER_INPUT,
        message: expect.stringMatching(/groupBy names the dimension "(region|kind)" more than once/),
      });
    }
  });

  it('answers each dimension named once, in any order', async () => {
    const rows = await reader.query({ name: 'm', window: 'hour', groupBy: ['kind', 'region'] });
    expect(rows.map((r) => [r.dimensions, r.count])).toEqual([
      [{ kind: 'a', region: 'eu' }, 1],
      [{ kind: 'a', region: 'us' }, 2],
    ]);
  });
});
