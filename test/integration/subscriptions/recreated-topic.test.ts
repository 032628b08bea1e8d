import type { Admin, Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { canonicalTopic, type CanonicalEvent } from '../../../src/events/canonical-event';
import { createChangeFeed, type ChangeFeed } from '../../../src/subscriptions/change-feed';
import { decodeCursor } from '../../../src/subscriptions/feed-cursor';
import { connectedProducer, createTopic, eventsOf, FeedReader, interleavedEvents, publishEvents, quietLogger } from '../../support/change-feed-support';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * A cursor of a topic that was deleted and made again: the new topic's offsets start at 0 again,
 * so an old cursor's offsets can exist in it, naming other records. Resuming from one must be an
 * explicit resync, not a silent skip of the new topic's first records.
 */
describe('change feed: a cursor of a topic since deleted and made again', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  const prefix = `${uniqueName('canonical')}.`;
  const topic = canonicalTopic('order', prefix);
  let mongo: MongoClient;
  let producer: Producer;
  let admin: Admin;
  const db = () => mongo.db(uniqueName('feed'));
  const startFeed = async (recentEventsPerPartition: number, subject = 'order'): Promise<ChangeFeed> => {
    const feed = createChangeFeed({
      kafka,
      db: db(),
      topicPrefix: prefix,
      logger: quietLogger(),
      recentEventsPerPartition,
      groupId: uniqueName('canonql-api'),
    });
    await feed.addSubject(subject);
    await feed.start();
    leftovers.add(() => feed.stop());
    return feed;
  };

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    producer = await connectedProducer(kafka);
    leftovers.add(() => producer.disconnect());
    admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
  });
  afterAll(() => leftovers.dispose());

  it('resyncs with TOPIC_RECREATED, from Kafka and from memory alike, and a cursor of the new topic resumes', async () => {
    await createTopic(kafka, topic, 1);
    const before = await startFeed(0);
    const first = new FeedReader(before.subscribe('order'));
    await publishEvents(producer, topic, interleavedEvents('order', ['old'], 1, 5));
    const oldItems = await first.take(5);
    await first.iterator.return!();
    await before.stop();
    const oldCursor = oldItems[2]!.cursor;
    expect(decodeCursor(oldCursor)).toMatchObject({ positions: new Map([[0, 3]]), marks: new Map([[0, expect.stringMatching(/^\d+$/)]]) });

    // The topic deleted and made again (a reset), then more records than the cursor's offset.
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    await recreate(topic);
    const fromKafka = await startFeed(0);
    const fromMemory = await startFeed(1000);
    const watchers = [new FeedReader(fromKafka.subscribe('order')), new FeedReader(fromMemory.subscribe('order'))];
    await publishEvents(producer, topic, interleavedEvents('order', ['new'], 1, 8));
    const newItems: string[] = [];
    for (const watcher of watchers) {
      const items = await watcher.take(8);
      newItems.push(items[2]!.cursor);
      await watcher.iterator.return!();
    }

    const resumedReaders: FeedReader[] = [];
    for (const feed of [fromKafka, fromMemory]) {
      const resumed = new FeedReader(feed.subscribe('order', { after: oldCursor }));
      const [resync] = await resumed.take(1);
      expect(resync).toMatchObject({
        kind: 'resync',
        code: 'TOPIC_RECREATED',
        reason: expect.stringMatching(/partition 0, offset 2: .*was the topic recreated/),
      });
      // Then the live stream, from where it was when the subscriber attached.
      expect(decodeCursor(resync!.cursor)!.positions).toEqual(new Map([[0, 8]]));
      resumedReaders.push(resumed);
    }
    await publishEvents(producer, topic, interleavedEvents('order', ['new'], 9, 9));
    for (const resumed of resumedReaders) {
      expect(eventsOf(await resumed.take(1)).map((e) => `${e.key}@${e.version}`)).toEqual(['new@9']);
      await resumed.iterator.return!();
    }

    // A cursor of the new topic is not taken for an old one: it resumes after offset 3.
    for (const [index, feed] of [fromKafka, fromMemory].entries()) {
      const resumed = new FeedReader(feed.subscribe('order', { after: newItems[index]! }));
      const items = await resumed.take(6);
      expect(items.map((item) => item.kind)).toEqual(['event', 'event', 'event', 'event', 'event', 'event']);
      expect(eventsOf(items).map((e) => e.version)).toEqual([4, 5, 6, 7, 8, 9]);
      await resumed.iterator.return!();
    }
  });

  it('marks the cursors of a partition no record has passed since the feed started, from the record before its end', async () => {
    const idle = canonicalTopic('customer', prefix);
    await createTopic(kafka, idle, 1);
    await publishEvents(producer, idle, interleavedEvents('customer', ['old'], 1, 10));
    const before = await startFeed(0, 'customer');
    // A RESYNC's cursor is where the live stream starts: the topic's end, 10, before any record passed.
    const cursor = await waitFor(
      'a cursor marked from the record before the end',
      async () => {
        const reader = new FeedReader(before.subscribe('customer', { after: 'not-a-cursor' }));
        const [resync] = await reader.take(1);
        await reader.iterator.return!();
        return decodeCursor(resync!.cursor)!.marks.has(0) && resync!.cursor;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(decodeCursor(cursor)).toMatchObject({ positions: new Map([[0, 10]]), marks: new Map([[0, expect.stringMatching(/^\d+$/)]]) });
    await before.stop();

    await admin.deleteTopics({ topics: [idle], timeout: 30_000 });
    await recreate(idle);
    await publishEvents(producer, idle, interleavedEvents('customer', ['new'], 1, 15));
    const after = await startFeed(0, 'customer');
    const resumed = new FeedReader(after.subscribe('customer', { after: cursor }));
    const [first] = await resumed.take(1);
    expect(first).toMatchObject({ kind: 'resync', code: 'TOPIC_RECREATED' });
    await resumed.iterator.return!();
  });

  it('sends a live subscriber a resync where the topic it streams is made again (with fewer partitions), then every record of the new topic', async () => {
    const live = canonicalTopic('invoice', prefix);
    await createTopic(kafka, live, 2);
    const feed = await startFeed(100, 'invoice');
    const streaming = new FeedReader(feed.subscribe('invoice'));
    const send = (partition: number, events: CanonicalEvent[]) =>
      producer.send({ topic: live, acks: -1, messages: events.map((event) => ({ partition, key: event.key, value: JSON.stringify(event) })) });
    await send(0, interleavedEvents('invoice', ['a'], 1, 5));
    await send(1, interleavedEvents('invoice', ['b'], 1, 2));
    expect(eventsOf(await streaming.take(7))).toHaveLength(7);

    await admin.deleteTopics({ topics: [live], timeout: 30_000 });
    await recreate(live);
    // The state was reset with the topic: versions start again, and after the resync they are new.
    // As many records as were handed on from partition 0: whenever the feed fetches at its old
    // position (5), it finds the end or starts over at the earliest record, never a record of the
    // new topic to take for the old topic's next.
    await send(0, interleavedEvents('invoice', ['a'], 1, 5));
    // kafkajs gives no topic ids: the feed sees the new topic where it reads the record before its
    // position again, as at every group join. A subject added makes one (kafkajs starting over at
    // the earliest record after a fetch past the end may show it first).
    await createTopic(kafka, canonicalTopic('payment', prefix), 1);
    await feed.addSubject('payment');
    const [resync, ...first] = await streaming.take(6);
    expect(resync).toMatchObject({ kind: 'resync', code: 'TOPIC_RECREATED', reason: expect.stringMatching(/deleted and made again/) });
    // The partition the new topic lacks is gone from the cursors.
    expect(decodeCursor(resync!.cursor)!.positions).toEqual(new Map([[0, 0]]));
    await send(0, interleavedEvents('invoice', ['a'], 6, 8));
    const events = [...first, ...(await streaming.take(3))];
    expect(eventsOf(events).map((e) => `${e.key}@${e.version}`)).toEqual(['a@1', 'a@2', 'a@3', 'a@4', 'a@5', 'a@6', 'a@7', 'a@8']);
    // The feed's memory holds the new topic's records: a cursor of it resumes from there.
    const resumed = new FeedReader(feed.subscribe('invoice', { after: events[2]!.cursor }));
    expect(eventsOf(await resumed.take(5)).map((e) => e.version)).toEqual([4, 5, 6, 7, 8]);
    await resumed.iterator.return!();
    await streaming.iterator.return!();
  });

  /** Makes the topic again once Kafka has finished deleting it (creating it sooner is refused). */
  async function recreate(name: string): Promise<void> {
    await waitFor(`topic ${name} made again`, () => admin.createTopics({ topics: [{ topic: name, numPartitions: 1 }], waitForLeaders: true }), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  }
});
