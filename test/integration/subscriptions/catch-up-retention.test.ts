import type { Admin, Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { canonicalTopic, type CanonicalEvent } from '../../../src/events/canonical-event';
import { createChangeFeed, type ChangeFeed } from '../../../src/subscriptions/change-feed';
import { decodeCursor, encodeCursor } from '../../../src/subscriptions/feed-cursor';
import type { FeedItem } from '../../../src/subscriptions/feed-item';
import { canonicalEvent, connectedProducer, createTopic, FeedReader, interleavedEvents, publishEvents, quietLogger } from '../../support/change-feed-support';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';

/** Events of about 40 kB: a catch-up of 100 of them takes several fetches (1 MB per partition each). */
const bigEvents = (key: string, from: number, to: number): CanonicalEvent[] =>
  Array.from({ length: to - from + 1 }, (_, i) =>
    canonicalEvent('invoice', key, from + i, { after: { name: `${key}-v${from + i}`, pad: 'x'.repeat(40_000) } }),
  );

/**
 * Retention (or an admin's deleteRecords) deleting the events a resumed subscriber is being caught
 * up with, while the catch-up reads them from Kafka: the subscriber gets the events read until then,
 * then a RESYNC (RETENTION) whose cursor is where the live stream starts, then live events; never
 * a silent gap, never a stalled subscription.
 */
describe('change feed: retention deletes the catch-up range while it is read', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  let mongo: MongoClient;
  let producer: Producer;
  let admin: Admin;
  afterAll(() => leftovers.dispose());

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    producer = await connectedProducer(kafka);
    leftovers.add(() => producer.disconnect());
    admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
  });

  /** A topic of its own holding v1..v103 of `key` (v1..v3 small), then a feed following it from its end (103). */
  async function setUp(key: string): Promise<{ feed: ChangeFeed; topic: string }> {
    const prefix = `${uniqueName('canonical')}.`;
    const topic = canonicalTopic('invoice', prefix);
    await createTopic(kafka, topic, 1);
    await publishEvents(producer, topic, interleavedEvents('invoice', [key], 1, 3));
    for (let version = 4; version <= 103; version += 10) await publishEvents(producer, topic, bigEvents(key, version, version + 9));
    // A small buffer keeps the catch-up reader waiting for the client between fetches; nothing is kept in memory.
    const feed = createChangeFeed({
      kafka,
      db: mongo.db(uniqueName('feed')),
      topicPrefix: prefix,
      logger: quietLogger(),
      recentEventsPerPartition: 0,
      maxBufferedPerSubscriber: 4,
    });
    await feed.addSubject('invoice');
    await feed.start();
    leftovers.add(() => feed.stop());
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs needs the metadata loaded first
    return { feed, topic };
  }

  /** Items until the first RESYNC (included); fails when none comes within 20 s. */
  async function untilResync(reader: FeedReader): Promise<FeedItem[]> {
    const items: FeedItem[] = [];
    for (;;) {
      const [item] = await reader.take(1).catch((error: Error) => {
        throw new Error(
          `${error.message}: no RESYNC after ${items.length} items (versions ${items.map((i) => (i.kind === 'event' ? i.event.version : i.kind)).join(',')})`,
        );
      });
      items.push(item!);
      if (item!.kind === 'resync') return items;
    }
  }

  it.each([
    ['every event after the cursor', 103],
    ['events in the middle of the range', 60],
  ])('deleted: %s; the subscriber gets the events read before, then RESYNC, then live', async (_, deleteBefore) => {
    const key = `k${deleteBefore}`;
    const { feed, topic } = await setUp(key);
    // The cursor after v1 (offset 0): the catch-up reads offsets 1 to 102 from Kafka.
    const resumed = new FeedReader(feed.subscribe('invoice', { after: encodeCursor(topic, new Map([[0, 1]])) }));
    const [firstCaughtUp] = await resumed.take(1);
    expect(firstCaughtUp).toMatchObject({ kind: 'event', event: { version: 2 } });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(deleteBefore) }] });

    const items = await untilResync(resumed);
    const resync = items.pop()!;
    expect(resync).toMatchObject({ kind: 'resync', code: 'RETENTION', reason: expect.stringMatching(/deleted.*while/) });
    expect(decodeCursor(resync.cursor)!.positions).toEqual(new Map([[0, 103]]));
    // What came before the RESYNC has no gap: versions 3, 4, … in order.
    const versions = items.map((item) => (item.kind === 'event' ? item.event.version : -1));
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => 3 + i));
    expect(versions.length).toBeLessThan(deleteBefore - 2);

    await publishEvents(producer, topic, bigEvents(key, 104, 105));
    const live = await resumed.take(2);
    expect(live.map((item) => (item.kind === 'event' ? item.event.version : item.kind))).toEqual([104, 105]);
    await resumed.expectQuiet(300);
    await resumed.iterator.return!();
  });
});
