import { isDeepStrictEqual } from 'node:util';
import type { CanonicalEvent } from '../../../src/events/canonical-event';
import { eventJson } from '../../../src/events/event-json';
import { createEventLog, EVENT_LOG_COLLECTION, type EventLog } from '../../../src/events/event-log';
import { databasePerTest } from '../../support/test-env';

/**
 * The event log against the real store: each event stored as the fields the log is queried by
 * plus the JSON the publisher sends, read back equal to the event in every value; documents of the
 * earlier form (the event's own fields) stay readable.
 */
describe('event log', () => {
  const db = databasePerTest('event_log');
  let log: EventLog;

  beforeEach(async () => {
    log = createEventLog(db());
    await log.ensureIndexes();
  });

  const event = (n: number, overrides: Partial<CanonicalEvent> = {}): CanonicalEvent => ({
    id: `e${String(n).padStart(4, '0')}`,
    subject: 'order',
    key: `k${n % 3}`,
    op: n === 0 ? 'CREATE' : 'UPDATE',
    version: n + 1,
    before: n === 0 ? null : { total: `${n - 1}.10`, items: [{ sku: 'a', qty: n - 1 }], note: null },
    after: {
      total: `${n}.10`,
      items: [
        { sku: 'a', qty: n },
        { sku: 'ünï €😀', qty: 0.1 + 0.2 },
      ],
      note: null,
      big: '9007199254740993',
      at: '2024-05-01T12:00:00.123456Z',
      nested: { deep: [[1, [2, { three: true }]]] },
    },
    changedFields: ['items', 'total'],
    spec: { id: 'orders', version: 2 },
    source: {
      topic: 'shop.orders',
      partition: 1,
      offset: String(100 + n),
      position: `{"lsn":${n}}`,
      connector: 'postgresql',
      op: 'u',
      table: 'orders',
      snapshot: false,
    },
    sourceTsMs: 1_700_000_000_000 + n,
    ingestedAt: '2026-12-04T20:00:00.000Z',
    ...overrides,
  });

  it('stores the queried fields beside the JSON the publisher sends, and reads every value back exactly', async () => {
    const events = Array.from({ length: 5 }, (_, n) => event(n));
    expect((await log.insertMany(events)).size).toBe(0);

    const stored = await db()
      .collection(EVENT_LOG_COLLECTION)
      .findOne({ _id: 'e0003' as never });
    expect(stored).toEqual({
      _id: 'e0003',
      subject: 'order',
      key: 'k0',
      op: 'UPDATE',
      version: 4,
      sourceTsMs: 1_700_000_000_003,
      ingestedAt: '2026-12-04T20:00:00.000Z',
      published: false,
      json: eventJson(events[3]!),
    });
    expect(JSON.parse(stored!.json as string)).toEqual(events[3]);

    const found = await log.findMany(events.map((e) => e.id));
    for (const e of events) expect(isDeepStrictEqual(found.get(e.id), { event: e, published: false })).toBe(true);
    expect(isDeepStrictEqual(await log.find('e0000'), { event: events[0], published: false })).toBe(true);
  });

  it('returns the stored copy of an event logged already, and inserts the rest', async () => {
    const first = event(10, { key: 'again' });
    await log.insertMany([first]);
    await log.markPublished([first.id]);
    const replayed = { ...first, ingestedAt: '2026-12-05T00:00:00.000Z' };
    const fresh = event(11, { key: 'again' });
    const existing = await log.insertMany([replayed, fresh]);
    expect([...existing.keys()]).toEqual([first.id]);
    expect(isDeepStrictEqual(existing.get(first.id), { event: first, published: true })).toBe(true);
    expect(isDeepStrictEqual(await log.find(fresh.id), { event: fresh, published: false })).toBe(true);

    const recorded = await log.record(replayed);
    expect(recorded.inserted).toBe(false);
    expect(isDeepStrictEqual(recorded.event, first)).toBe(true);
  });

  it('reads, marks and discards events logged in the earlier form, with their own fields', async () => {
    const { id, ...fields } = event(20, { key: 'earlier' });
    const { id: otherId, ...otherFields } = event(21, { key: 'earlier' });
    await db()
      .collection(EVENT_LOG_COLLECTION)
      .insertMany([
        { _id: id as never, ...fields, published: false },
        { _id: otherId as never, ...otherFields, published: false },
      ]);
    expect(isDeepStrictEqual(await log.find(id), { event: { id, ...fields }, published: false })).toBe(true);
    await log.markPublished([id]);
    expect((await log.findMany([id])).get(id)).toEqual({ event: { id, ...fields }, published: true });

    await log.discardUnpublished(otherId);
    expect(await log.find(otherId)).toBeNull();
    await log.discardUnpublished(id);
    expect(await log.find(id)).not.toBeNull();
  });
});
