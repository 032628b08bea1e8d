import type { Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { canonicalTopic } from '../../../src/events/canonical-event';
import { createChangeFeed, type ChangeFeed } from '../../../src/subscriptions/change-feed';
import { SubscriberTooSlowError } from '../../../src/subscriptions/subscriber-too-slow-error';
import { connectedProducer, createTopic, eventsOf, FeedReader, interleavedEvents, publishEvents, quietLogger } from '../../support/change-feed-support';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/** Bounded memory per subscriber, and unsubscribing at once. */
describe('change feed: slow subscribers and unsubscribing', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  const prefix = `${uniqueName('canonical')}.`;
  const topic = canonicalTopic('order', prefix);
  let mongo: MongoClient;
  let producer: Producer;
  let feed: ChangeFeed;
  const groupId = uniqueName('canonql-api-test');

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    await createTopic(kafka, topic, 2);
    producer = await connectedProducer(kafka);
    leftovers.add(() => producer.disconnect());
    feed = createChangeFeed({
      kafka,
      db: mongo.db(uniqueName('feed')),
      topicPrefix: prefix,
      logger: quietLogger(),
      maxBufferedPerSubscriber: 20,
      groupId,
      // Catch-ups read Kafka here (none kept in memory), so their pacing and stopping are tested there.
      recentEventsPerPartition: 0,
    });
    await feed.addSubject('order');
    await feed.start();
    leftovers.add(() => feed.stop());
  });
  afterAll(() => leftovers.dispose());

  it('ends a subscriber whose buffer exceeds the limit with SUBSCRIBER_TOO_SLOW; the others go on', async () => {
    const slow = feed.subscribe('order');
    const fast = new FeedReader(feed.subscribe('order'));
    const events = interleavedEvents('order', ['a', 'b', 'c', 'd', 'e'], 1, 10);
    await publishEvents(producer, topic, events);
    expect(eventsOf(await fast.take(events.length))).toHaveLength(events.length);
    const failure = await slow.next().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SubscriberTooSlowError);
    expect(failure).toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW', subject: 'order', limit: 20 });
    await expect(slow.next()).resolves.toEqual({ value: undefined, done: true });
    expect(feed.stats().subscribers).toBe(1);
    await fast.iterator.return!();
  });

  it('paces a catch-up by the client instead of failing it, however far behind the cursor is', async () => {
    const client = new FeedReader(feed.subscribe('order'));
    await publishEvents(producer, topic, interleavedEvents('order', ['p'], 1, 1));
    const [first] = await client.take(1);
    await client.iterator.return!();
    const witness = new FeedReader(feed.subscribe('order'));
    const missed = interleavedEvents('order', ['p', 'q'], 2, 31); // 60 events: three times the limit
    for (let i = 0; i < missed.length; i += 10) {
      await publishEvents(producer, topic, missed.slice(i, i + 10));
      await witness.take(10); // keeps the witness under its limit
    }
    const resumed = new FeedReader(feed.subscribe('order', { after: first!.cursor }));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the reader fills the buffer and waits
    expect(
      eventsOf(await resumed.take(missed.length))
        .map((e) => e.id)
        .sort(),
    ).toEqual(missed.map((e) => e.id).sort());
    await resumed.iterator.return!();
    await witness.iterator.return!();
  });

  it('return() ends a pending next() at once and detaches the subscriber', async () => {
    const subscription = feed.subscribe('order');
    expect(feed.stats().subscribers).toBe(1);
    const pending = subscription.next();
    await expect(subscription.return!()).resolves.toEqual({ value: undefined, done: true });
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(feed.stats().subscribers).toBe(0);
    await publishEvents(producer, topic, interleavedEvents('order', ['z'], 1, 3));
    await expect(subscription.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('return() during a catch-up stops its reader', async () => {
    const client = new FeedReader(feed.subscribe('order'));
    await publishEvents(producer, topic, interleavedEvents('order', ['y'], 1, 1));
    const [first] = await client.take(1);
    // 39 more events, taken as they come: the client is live, so publishing them all before
    // reading would leave up to 39 in its buffer, past the limit of 20 (SUBSCRIBER_TOO_SLOW).
    const later = interleavedEvents('order', ['y'], 2, 40);
    for (let i = 0; i < later.length; i += 10) {
      const chunk = later.slice(i, i + 10);
      await publishEvents(producer, topic, chunk);
      await client.take(chunk.length);
    }
    await client.iterator.return!();
    const resumed = feed.subscribe('order', { after: first!.cursor });
    await expect(resumed.next()).resolves.toMatchObject({ done: false, value: { kind: 'event' } });
    await resumed.return!();
    expect(feed.stats().subscribers).toBe(0);
    // The catch-up reader's consumer left its group.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        'catch-up consumers gone',
        async () => {
          const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${groupId}-catchup-`));
          const described = await admin.describeGroups(groups);
          return groups.length > 0 && described.groups.every((g) => g.members.length === 0);
        },
        { timeoutMs: 10000 },
      );
    } finally {
      await admin.disconnect();
    }
  });
});
