import type { CanonicalEvent } from '../../../src/events/canonical-event';
import type { FeedItem } from '../../../src/subscriptions/feed-item';
import { Subscription, type FeedMessage } from '../../../src/subscriptions/subscription';

const event = (key: string, version: number): CanonicalEvent => ({
  id: `${key}@${version}`,
  subject: 'order',
  key,
  op: version === 1 ? 'CREATE' : 'UPDATE',
  version,
  before: null,
  after: { v: version },
  changedFields: [],
  spec: { id: 's', version: 1 },
  source: { topic: 'raw', partition: 0, offset: '0', position: String(version), connector: 'test', op: 'u', snapshot: false },
  sourceTsMs: null,
  ingestedAt: '2026-12-02T00:00:00.000Z',
});
const at = (offset: number, key: string, version: number): FeedMessage => ({
  partition: 0,
  offset,
  timestamp: String(1_700_000_000_000 + offset),
  event: event(key, version),
});

function subscription(): Subscription {
  const s = new Subscription({ subject: 'order', topic: 't', maxBuffered: 100, livePositions: () => new Map([[0, 0]]), onEnd: () => undefined });
  s.streamFrom(new Map([[0, 0]]), new Map());
  return s;
}

async function drain(s: Subscription, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const item = (await s.next()).value as FeedItem;
    if (item.kind === 'event') out.push(`${item.event.key}@${item.event.version}`);
  }
  return out;
}

describe('a subscription delivers each change once', () => {
  it('drops a change published twice (same key and version at a later offset)', async () => {
    const s = subscription();
    for (const m of [at(0, 'a', 1), at(1, 'b', 1), at(2, 'a', 2), at(3, 'a', 2), at(4, 'b', 1), at(5, 'a', 3)]) s.offerLive(m);
    expect(await drain(s, 4)).toEqual(['a@1', 'b@1', 'a@2', 'a@3']);
  });

  it('drops a re-send of a change seen just before its resume cursor', async () => {
    const s = new Subscription({ subject: 'order', topic: 't', maxBuffered: 100, livePositions: () => new Map([[0, 10]]), onEnd: () => undefined });
    s.holdLiveFrom(new Map([[0, 10]]), new Map());
    s.moveTo(new Map([[0, 8]]), new Map());
    s.seen(at(7, 'k1853', 5));
    await s.offerCaughtUp(at(8, 'k1853', 5));
    await s.offerCaughtUp(at(9, 'k1853', 6));
    await s.release();
    expect(await drain(s, 1)).toEqual(['k1853@6']);
  });

  it('drops a change already in the snapshot: it landed after the live start, before the snapshot read its entity', async () => {
    const s = new Subscription({ subject: 'order', topic: 't', maxBuffered: 100, livePositions: () => new Map([[0, 12]]), onEnd: () => undefined });
    s.holdLiveFrom(new Map([[0, 10]]), new Map());
    s.offerLive(at(10, 'a', 4)); // before the snapshot read of a (it reads a at version 4)
    await s.offerSnapshot('a', { v: 4 }, 4);
    await s.offerSnapshot('b', { v: 7 }, 7);
    s.offerLive(at(11, 'b', 7)); // written before the snapshot read b, published after
    s.offerLive(at(12, 'a', 5));
    await s.release();
    const items: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const item = (await s.next()).value as FeedItem;
      items.push(item.kind === 'event' ? `${item.event.key}@${item.event.version}` : `${item.kind} ${(item as { key: string }).key}`);
    }
    expect(items).toEqual(['snapshot a', 'snapshot b', 'a@5']);
  });

  it('after the topic was made again: a resync, then the new records from the new start, their versions new again', async () => {
    const s = subscription();
    for (const m of [at(0, 'a', 1), at(1, 'a', 2), at(2, 'a', 3)]) s.offerLive(m);
    s.restart(new Map([[0, 0]]), 'the topic was deleted and made again');
    for (const m of [at(0, 'a', 1), at(1, 'a', 2)]) s.offerLive(m);
    const items: FeedItem[] = [];
    for (let i = 0; i < 6; i += 1) items.push((await s.next()).value as FeedItem);
    expect(items.map((item) => (item.kind === 'event' ? `${item.event.key}@${item.event.version}` : item.kind))).toEqual([
      'a@1',
      'a@2',
      'a@3',
      'resync',
      'a@1',
      'a@2',
    ]);
    expect(items[3]).toMatchObject({ code: 'TOPIC_RECREATED' });
  });

  it('ends a subscription still catching up when the topic is made again (CONFLICT): resuming from its cursor is the resync', async () => {
    const s = new Subscription({ subject: 'order', topic: 't', maxBuffered: 100, livePositions: () => new Map([[0, 10]]), onEnd: () => undefined });
    s.holdLiveFrom(new Map([[0, 10]]), new Map());
    s.restart(new Map([[0, 0]]), 'the topic was deleted and made again');
    await expect(s.next()).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
