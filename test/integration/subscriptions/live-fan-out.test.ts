import type { Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { canonicalTopic } from '../../../src/events/canonical-event';
import { createChangeFeed, type ChangeFeed } from '../../../src/subscriptions/change-feed';
import { decodeCursor } from '../../../src/subscriptions/feed-cursor';
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

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Live delivery: one consumer per process, fanned out in-process, every event once, per-key order. */
describe('change feed: live events', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  const prefix = `${uniqueName('canonical')}.`;
  const topic = canonicalTopic('order', prefix);
  let mongo: MongoClient;
  let producer: Producer;
  let feedA: ChangeFeed;
  let feedB: ChangeFeed;

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    await createTopic(kafka, topic, 3);
    producer = await connectedProducer(kafka);
    leftovers.add(() => producer.disconnect());
    const db = mongo.db(uniqueName('feed'));
    // Two feeds: two "API processes", each with its own consumer group.
    feedA = createChangeFeed({ kafka, db, topicPrefix: prefix, logger: quietLogger() });
    feedB = createChangeFeed({ kafka, db, topicPrefix: prefix, logger: quietLogger() });
    for (const feed of [feedA, feedB]) {
      await feed.addSubject('order');
      await feed.start();
      leftovers.add(() => feed.stop());
    }
  });
  afterAll(() => leftovers.dispose());

  it('delivers every event once, in order per entity, to two subscribers of one process and to a second process', async () => {
    const readers = [feedA.subscribe('order'), feedA.subscribe('order'), feedB.subscribe('order')].map((s) => new FeedReader(s));
    expect(feedA.stats()).toMatchObject({ subscribers: 2, followedTopics: [topic] });
    const events = interleavedEvents('order', KEYS, 1, 25);
    await publishEvents(producer, topic, events);
    for (const reader of readers) {
      const received = eventsOf(await reader.take(events.length));
      expect(received.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
      for (const key of KEYS) expect(versionsByKey(received).get(key)).toEqual(range(1, 25));
      await reader.expectQuiet(300);
    }
    for (const reader of readers) await reader.iterator.return!();
    expect(feedA.stats().subscribers).toBe(0);
  });

  it('gives every item the cursor after it: per partition, the next offset', async () => {
    const reader = new FeedReader(feedA.subscribe('order'));
    await publishEvents(producer, topic, interleavedEvents('order', ['c1', 'c2', 'c3'], 1, 4));
    const items = await reader.take(12);
    const seen = new Map<number, number>();
    for (const item of items) {
      const cursor = decodeCursor(item.cursor)!;
      expect(cursor.topic).toBe(topic);
      expect([...cursor.positions.keys()].sort()).toEqual([0, 1, 2]);
      // Exactly one partition moved, by one, from the previous item of this subscriber.
      const moved = [...cursor.positions].filter(([p, o]) => seen.has(p) && o !== seen.get(p));
      if (seen.size > 0) expect(moved.map(([p, o]) => o - seen.get(p)!)).toEqual([1]);
      for (const [p, o] of cursor.positions) seen.set(p, o);
    }
    await reader.iterator.return!();
  });

  it('applies a subscriber filter without holding back the cursor', async () => {
    const reader = new FeedReader(feedA.subscribe('order', { filter: (event) => event.key === 'f2' }));
    await publishEvents(producer, topic, interleavedEvents('order', ['f1', 'f2'], 1, 5));
    const received = eventsOf(await reader.take(5));
    expect(received.map((e) => `${e.key}@${e.version}`)).toEqual(range(1, 5).map((v) => `f2@${v}`));
    await reader.expectQuiet(300);
    await reader.iterator.return!();
  });

  it('refuses a subject it was never told about', () => {
    expect(() => feedA.subscribe('nope')).toThrow(/unknown subject "nope"/);
  });
});
