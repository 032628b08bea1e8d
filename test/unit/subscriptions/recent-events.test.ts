import { RecentEvents } from '../../../src/subscriptions/recent-events';
import type { FeedMessage } from '../../../src/subscriptions/subscription';
import { canonicalEvent } from '../../support/change-feed-support';

const message = (offset: number): FeedMessage => ({
  partition: 0,
  offset,
  timestamp: String(1_700_000_000_000 + offset),
  event: canonicalEvent('order', 'k', offset + 1),
});

/** The feed's memory of the last records it handed on, which resumes read instead of Kafka. */
describe('RecentEvents', () => {
  it('answers a range it holds whole, and null for one reaching before what it kept or past what it was handed', () => {
    const recent = new RecentEvents(5);
    recent.begin('t', new Map([[0, 10]]));
    for (let offset = 10; offset < 18; offset += 1) recent.record('t', message(offset));
    expect(recent.range('t', 0, 14, 18)!.map((m) => m.offset)).toEqual([14, 15, 16, 17]);
    expect(recent.range('t', 0, 18, 18)).toEqual([]);
    // Evicted: offsets 10 to 12 are no longer kept.
    expect(recent.range('t', 0, 12, 18)).toBeNull();
    // Not handed on yet (a feed reading a topic made again from its start, behind an old cursor).
    expect(recent.range('t', 0, 14, 30)).toBeNull();
  });

  it('after the topic was made again, holds the new records only, from the new start', () => {
    const recent = new RecentEvents(100);
    recent.begin('t', new Map([[0, 0]]));
    for (let offset = 0; offset < 60; offset += 1) recent.record('t', message(offset));
    recent.restart('t', new Map([[0, 0]]));
    for (let offset = 0; offset < 20; offset += 1) recent.record('t', message(offset));
    expect(recent.range('t', 0, 0, 20)).toHaveLength(20);
    // An old cursor at 60, its look-back from 52: not in memory, to be read from Kafka and checked there.
    expect(recent.range('t', 0, 52, 60)).toBeNull();
  });
});
