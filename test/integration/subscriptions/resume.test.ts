import type { Admin, Producer } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { canonicalTopic, type CanonicalEvent } from '../../../src/events/canonical-event';
import { createChangeFeed, type ChangeFeed } from '../../../src/subscriptions/change-feed';
import { decodeCursor, encodeCursor } from '../../../src/subscriptions/feed-cursor';
import type { FeedItem } from '../../../src/subscriptions/feed-item';
import { connectedProducer, createTopic, eventsOf, FeedReader, interleavedEvents, publishEvents, quietLogger } from '../../support/change-feed-support';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';

const KEYS = Array.from({ length: 10 }, (_, i) => `r${i}`);
const partitionOf = (item: FeedItem, previous: Map<number, number>) => {
  // The partition an item came from is the one its cursor moved.
  const cursor = decodeCursor(item.cursor)!;
  const moved = [...cursor.positions].filter(([p, o]) => o !== previous.get(p)).map(([p]) => p);
  for (const [p, o] of cursor.positions) previous.set(p, o);
  return moved;
};

/** Resume with a cursor: every missed event once and in order, then live; or an explicit resync. */
describe('change feed: resume after a cursor', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  const prefix = `${uniqueName('canonical')}.`;
  let mongo: MongoClient;
  let producer: Producer;
  let admin: Admin;
  /** Reads every resume from Kafka (keeps no recent events in memory). */
  let feed: ChangeFeed;
  /** Keeps the last 1000 events per partition: recent cursors resume from memory. */
  let otherProcess: ChangeFeed;
  const groupIds = { kafka: uniqueName('canonql-api-kafka'), memory: uniqueName('canonql-api-memory') };
  const catchUpGroups = async (groupId: string) => (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith(`${groupId}-catchup-`)).length;

  beforeAll(async () => {
    mongo = await testMongo();
    leftovers.add(() => mongo.close());
    await createTopic(kafka, canonicalTopic('order', prefix), 3);
    await createTopic(kafka, canonicalTopic('invoice', prefix), 1);
    producer = await connectedProducer(kafka);
    leftovers.add(() => producer.disconnect());
    admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    const db = mongo.db(uniqueName('feed'));
    feed = createChangeFeed({ kafka, db, topicPrefix: prefix, logger: quietLogger(), recentEventsPerPartition: 0, groupId: groupIds.kafka });
    otherProcess = createChangeFeed({ kafka, db, topicPrefix: prefix, logger: quietLogger(), recentEventsPerPartition: 1000, groupId: groupIds.memory });
    for (const f of [feed, otherProcess]) {
      await f.addSubject('order');
      await f.addSubject('invoice');
      await f.start();
      leftovers.add(() => f.stop());
    }
  });
  afterAll(() => leftovers.dispose());

  it.each([
    ['read from Kafka', 'kafka'],
    ['kept in memory', 'memory'],
  ] as const)('after a disconnect, delivers exactly the missed events (%s) in order, then live ones, with no seam', async (_, path) => {
    const topic = canonicalTopic('order', prefix);
    const apiProcess = path === 'kafka' ? feed : otherProcess;
    const groupsBefore = await catchUpGroups(groupIds[path]);
    // A witness stays subscribed throughout: it sees the whole stream in delivery order, and once
    // it has the missed events the feed's live position is past them (so resuming must read Kafka).
    const witness = new FeedReader(apiProcess.subscribe('order'));
    const client = new FeedReader(apiProcess.subscribe('order'));
    // Keys of this case only: an entity's versions only grow on its topic, and a resumed
    // subscription drops an event at or below a version it was already sent.
    const keys = KEYS.map((key) => `${path}-${key}`);
    const first = interleavedEvents('order', keys, 1, 5);
    await publishEvents(producer, topic, first);
    const before = await client.take(first.length);
    await witness.take(first.length);
    await client.iterator.return!();

    const missed = interleavedEvents('order', keys, 6, 55); // 500 events
    await publishEvents(producer, topic, missed);
    await witness.take(missed.length);

    // Live events are published while the resumed subscription catches up.
    const live = interleavedEvents('order', keys, 56, 65);
    const publishing = publishEvents(producer, topic, live);
    const resumed = new FeedReader(apiProcess.subscribe('order', { after: before[before.length - 1]!.cursor }));
    await publishing;
    const items = await resumed.take(missed.length + live.length);
    await resumed.expectQuiet(500);
    const witnessed = await witness.take(live.length);

    const ids = (events: readonly CanonicalEvent[]) => events.map((e) => e.id);
    expect(items.every((item) => item.kind === 'event')).toBe(true);
    expect(ids(eventsOf(items)).sort()).toEqual(ids([...missed, ...live]).sort());
    // Same order per partition as the live stream the witness saw.
    const perPartition = (list: readonly FeedItem[], from: Map<number, number>) => {
      const byPartition = new Map<number, string[]>();
      for (const item of list) {
        const [partition] = partitionOf(item, from);
        byPartition.set(partition!, [...(byPartition.get(partition!) ?? []), (item as { event: CanonicalEvent }).event.id]);
      }
      return byPartition;
    };
    const start = new Map(decodeCursor(before[before.length - 1]!.cursor)!.positions);
    const witnessAfter = witness.received.slice(first.length);
    expect(perPartition(items, new Map(start))).toEqual(perPartition(witnessAfter, new Map(start)));
    expect(items[items.length - 1]!.cursor).toBe(witnessed[witnessed.length - 1]!.cursor);
    // Kafka was read with a short-lived consumer group only when the events were not in memory.
    expect((await catchUpGroups(groupIds[path])) - groupsBefore).toBe(path === 'kafka' ? 1 : 0);
    await resumed.iterator.return!();
    await witness.iterator.return!();
  });

  it('resumes on another API process with a cursor from the first one', async () => {
    const topic = canonicalTopic('order', prefix);
    const client = new FeedReader(feed.subscribe('order'));
    await publishEvents(producer, topic, interleavedEvents('order', ['x1', 'x2'], 1, 3));
    const seen = await client.take(6);
    await client.iterator.return!();
    await publishEvents(producer, topic, interleavedEvents('order', ['x1', 'x2'], 4, 6));
    const resumed = new FeedReader(otherProcess.subscribe('order', { after: seen[2]!.cursor }));
    const rest = eventsOf(await resumed.take(9));
    const delivered = new Set(eventsOf(seen.slice(0, 3)).map((e) => e.id));
    expect(rest.map((e) => e.id).sort()).toEqual(
      interleavedEvents('order', ['x1', 'x2'], 1, 6)
        .map((e) => e.id)
        .filter((id) => !delivered.has(id))
        .sort(),
    );
    await resumed.expectQuiet(300);
    await resumed.iterator.return!();
  });

  it('signals resync, then streams live, when retention deleted events after the cursor', async () => {
    const topic = canonicalTopic('invoice', prefix);
    const client = new FeedReader(feed.subscribe('invoice'));
    await publishEvents(producer, topic, interleavedEvents('invoice', ['i1'], 1, 10));
    const seen = await client.take(10);
    await client.iterator.return!();
    // What retention does: the low watermark moves past the cursor (offset 3).
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs needs the metadata loaded first
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '8' }] });

    const resumed = new FeedReader(feed.subscribe('invoice', { after: seen[2]!.cursor }));
    const [resync] = await resumed.take(1);
    expect(resync).toMatchObject({ kind: 'resync', reason: expect.stringMatching(/no longer retained.*cursor at 3, earliest retained 8/) });
    expect(decodeCursor(resync!.cursor)!.positions).toEqual(new Map([[0, 10]]));
    await publishEvents(producer, topic, interleavedEvents('invoice', ['i1'], 11, 13));
    const live = eventsOf(await resumed.take(3));
    expect(live.map((e) => e.version)).toEqual([11, 12, 13]);
    await resumed.iterator.return!();
  });

  it('signals resync for a malformed cursor or one of another subject', async () => {
    const topic = canonicalTopic('invoice', prefix);
    const cases: [string, RegExp][] = [
      ['not-a-cursor', /malformed/],
      [encodeCursor(canonicalTopic('order', prefix), new Map([[0, 0]])), /belongs to topic/],
      [encodeCursor(topic, new Map([[0, 10_000]])), /ahead of the topic/],
      [encodeCursor(topic, new Map([[5, 0]])), /does not have/],
    ];
    for (const [after, reason] of cases) {
      const reader = new FeedReader(feed.subscribe('invoice', { after }));
      const [item] = await reader.take(1);
      expect(item).toMatchObject({ kind: 'resync', reason: expect.stringMatching(reason) });
      await reader.iterator.return!();
    }
  });

  it('goes straight to live when the cursor is where the stream is', async () => {
    const topic = canonicalTopic('invoice', prefix);
    const client = new FeedReader(feed.subscribe('invoice'));
    await publishEvents(producer, topic, interleavedEvents('invoice', ['j1'], 1, 2));
    const seen = await client.take(2);
    const resumed = new FeedReader(feed.subscribe('invoice', { after: seen[1]!.cursor }));
    await resumed.expectQuiet(300);
    await publishEvents(producer, topic, interleavedEvents('invoice', ['j1'], 3, 3));
    expect(eventsOf(await resumed.take(1)).map((e) => e.version)).toEqual([3]);
    await resumed.iterator.return!();
    await client.iterator.return!();
  });
});
