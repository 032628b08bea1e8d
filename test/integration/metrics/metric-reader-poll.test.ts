import type { BucketDoc } from '../../../src/metrics/rollup-store';
import { BUCKETS_COLLECTION } from '../../../src/metrics/rollup-store';
import { createMetricsReader } from '../../../src/metrics/metric-reader';
import { databasePerTest } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * The live-update poll of the metrics reader (real store): a burst of more bucket rewrites than
 * one page is read through, and the writes after it (also one that committed late, inside the
 * overlap) are still delivered. Before the (updatedAtMs, _id) cursor, each poll read the same
 * first 5,000 rewrites again and the poll stalled for good.
 */
describe('metrics reader: live-update poll (real store)', () => {
  const db = databasePerTest('metric_reader_poll');

  const doc = (id: string, at: number, rev = 1): BucketDoc =>
    ({
      _id: id,
      metric: 'x@1',
      window: 'hour',
      startMs: 0,
      dims: {},
      dimsKey: '[]',
      count: 1,
      sum: '1',
      min: '1',
      max: '1',
      rev,
      w: 'w',
      updatedAtMs: at,
    }) as unknown as BucketDoc;

  it('delivers a burst of more rewrites than a page (many in the same millisecond), then the writes after it', async () => {
    const buckets = db().collection<BucketDoc>(BUCKETS_COLLECTION);
    await buckets.createIndex({ updatedAtMs: 1 });
    const reader = createMetricsReader({ db: db(), definitions: [], limits: { maxScan: 1000, maxGroups: 1000 }, pollIntervalMs: 100, pollOverlapMs: 30_000 });
    const got = new Map<string, number>();
    const watchedAt = Date.now();
    const stop = reader.watch((views) => {
      for (const view of views) got.set(view._id, view.rev);
    });
    try {
      const at = Date.now() + 200;
      // 5,600 rewrites in one millisecond (one bucket write round stamps them all alike), 600 more after.
      const burst = [
        ...Array.from({ length: 5600 }, (_, i) => doc(`same-${String(i).padStart(5, '0')}`, at)),
        ...Array.from({ length: 600 }, (_, i) => doc(`later-${String(i).padStart(4, '0')}`, at + 1 + (i % 300))),
      ];
      await buckets.insertMany(burst);
      await waitFor('the whole burst', () => got.size === burst.length, { timeoutMs: 20_000, intervalMs: 100 });

      // A rewrite after the burst, and one that committed late: stamped before the burst's newest
      // rewrite (which the poll has read past), within the overlap (30 s here) and after the watch began.
      const now = Date.now();
      expect(now - watchedAt).toBeLessThan(25_000);
      await buckets.insertOne(doc('after', now));
      await buckets.insertOne(doc('late', watchedAt + 1));
      await buckets.updateOne({ _id: 'same-00000' }, { $set: { rev: 2, updatedAtMs: now } });
      await waitFor('the writes after the burst', () => got.has('after') && got.has('late') && got.get('same-00000') === 2, {
        timeoutMs: 10_000,
        intervalMs: 100,
      });
    } finally {
      stop();
      reader.stop();
    }
  });
});
