import type { Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { canonicalTopic } from '../../../src/events/canonical-event';
import { createChangeFeed, type ChangeFeed } from '../../../src/subscriptions/change-feed';
import {
  connectedProducer,
  createTopic,
  eventsOf,
  FeedReader,
  interleavedEvents,
  publishEvents,
  quietLogger,
  versionsByKey,
} from '../../support/change-feed-support';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Subjects registered at run time: the shared consumer restarts with the new topic, and the
 * subscribers of the topics it already followed lose and repeat nothing across the restart.
 */
describe('change feed: subjects added at run time', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  const prefix = `${uniqueName('canonical')}.`;
  let mongo: MongoClient;
  let producer: Producer;
  let feed: ChangeFeed;

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    await createTopic(kafka, canonicalTopic('order', prefix), 3);
    producer = await connectedProducer(kafka);
    leftovers.add(() => producer.disconnect());
    feed = createChangeFeed({ kafka, db: mongo.db(uniqueName('feed')), topicPrefix: prefix, logger: quietLogger(), topicPollIntervalMs: 300 });
    await feed.addSubject('order');
    await feed.start();
    leftovers.add(() => feed.stop());
  });
  afterAll(() => leftovers.dispose());

  it('follows a new subject without a restart of the feed, while the old subject streams on exactly', async () => {
    const orders = new FeedReader(feed.subscribe('order'));
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    // Orders keep coming while the consumer restarts for the new topic.
    const publishing = (async () => {
      for (let v = 1; v <= 40; v += 5) {
        await publishEvents(producer, canonicalTopic('order', prefix), interleavedEvents('order', keys, v, v + 4));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    await createTopic(kafka, canonicalTopic('shipment', prefix), 2);
    await feed.addSubject('shipment');
    expect(feed.stats().followedTopics.sort()).toEqual([canonicalTopic('order', prefix), canonicalTopic('shipment', prefix)].sort());
    const shipments = new FeedReader(feed.subscribe('shipment'));
    await publishEvents(producer, canonicalTopic('shipment', prefix), interleavedEvents('shipment', ['s1', 's2'], 1, 5));
    await publishing;

    const shipped = eventsOf(await shipments.take(10));
    expect(versionsByKey(shipped)).toEqual(
      new Map([
        ['s1', range(1, 5)],
        ['s2', range(1, 5)],
      ]),
    );
    const ordered = eventsOf(await orders.take(keys.length * 40));
    for (const key of keys) expect(versionsByKey(ordered).get(key)).toEqual(range(1, 40));
    await orders.expectQuiet(300);
    await shipments.expectQuiet(0);
    await orders.iterator.return!();
    await shipments.iterator.return!();
  });

  it('follows several subjects added in a row (one consumer restart for all of them)', async () => {
    const subjects = ['s_a', 's_b', 's_c'];
    for (const subject of subjects) await createTopic(kafka, canonicalTopic(subject, prefix), 1);
    for (const subject of subjects) await feed.addSubject(subject);
    const readers = subjects.map((subject) => new FeedReader(feed.subscribe(subject)));
    for (const subject of subjects) await publishEvents(producer, canonicalTopic(subject, prefix), interleavedEvents(subject, ['k'], 1, 2));
    for (const [i, reader] of readers.entries()) {
      expect(eventsOf(await reader.take(2)).map((e) => `${e.subject}@${e.version}`)).toEqual([`${subjects[i]}@1`, `${subjects[i]}@2`]);
      await reader.iterator.return!();
    }
  });

  it("follows a subject whose topic is created later, from the topic's first event", async () => {
    const topic = canonicalTopic('refund', prefix);
    await feed.addSubject('refund');
    // The subscriber waits for the topic; everything published to it is newer than the subscription.
    const refunds = new FeedReader(feed.subscribe('refund'));
    await createTopic(kafka, topic, 1);
    await publishEvents(producer, topic, interleavedEvents('refund', ['r1'], 1, 3));
    await waitFor('refund topic followed', () => feed.stats().followedTopics.includes(topic), { timeoutMs: 10000 });
    expect(eventsOf(await refunds.take(3)).map((e) => e.version)).toEqual([1, 2, 3]);
    await refunds.iterator.return!();
  });
});
