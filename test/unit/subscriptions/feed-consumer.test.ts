import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { createLogger } from '../../../src/logger';
import { createFeedConsumer, restartOf } from '../../../src/subscriptions/feed-consumer';

/**
 * The change feed's start survives a topic without a partition leader yet: a canonical topic
 * created a moment before (another process's first event) answered ListOffsets with
 * NOT_LEADER_FOR_PARTITION, which kafkajs does not retry in `admin.fetchTopicOffsets`, and the API
 * process failed to start on it (a clean-clone test run, api-restart). Kafka here is a stand-in:
 * what is tested is the feed's own handling of the admin's answers.
 */
const notLeader = () =>
  Object.assign(new Error('This server is not the leader for that topic-partition'), { name: 'KafkaJSProtocolError', retriable: true, code: 6 });

/** A consumer that connects, subscribes and runs without a broker. */
const idleConsumer = () => ({
  on: () => undefined,
  events: { GROUP_JOIN: 'group_join', CRASH: 'crash' },
  connect: async () => undefined,
  subscribe: async () => undefined,
  run: async () => undefined,
  disconnect: async () => undefined,
  seek: () => undefined,
});

function feed(admin: Partial<Admin>) {
  const followed: [string, Map<number, number>][] = [];
  const consumer = createFeedConsumer({
    kafka: { consumer: idleConsumer } as unknown as Kafka,
    admin: admin as Admin,
    groupId: 'feed-test',
    logger: createLogger({ level: 'silent' }),
    topicPollIntervalMs: 60_000,
    yieldEvery: 100,
    onFollow: (topic, positions) => followed.push([topic, new Map(positions)]),
    onMessage: () => undefined,
    onRestart: () => undefined,
    resolveReference: async () => null,
  });
  return { consumer, followed };
}

describe('change feed consumer: a topic without a leader yet', () => {
  it('starts, retrying the offsets a transient NOT_LEADER_FOR_PARTITION refused, and follows the topic from its end', async () => {
    let refusals = 2;
    const { consumer, followed } = feed({
      listTopics: async () => ['canonical.customer'],
      fetchTopicOffsets: async () => {
        if (refusals > 0) {
          refusals -= 1;
          throw notLeader();
        }
        return [{ partition: 0, offset: '7', high: '7', low: '0' }];
      },
    });
    await consumer.follow('canonical.customer');
    await consumer.start();
    expect(refusals).toBe(0);
    expect(followed).toEqual([['canonical.customer', new Map([[0, 7]])]]);
    await consumer.stop();
  });

  it('still fails at once on an error that is not transient', async () => {
    const { consumer } = feed({
      listTopics: async () => {
        throw Object.assign(new Error('SASL authentication failed'), { name: 'KafkaJSSASLAuthenticationError', retriable: false });
      },
    });
    await consumer.follow('canonical.customer');
    await expect(consumer.start()).rejects.toThrow('SASL authentication failed');
    await consumer.stop();
  });
});

describe('change feed consumer: a topic deleted and made again under it', () => {
  const batch = (highWatermark: number, records: [number, string][]) => ({
    highWatermark: String(highWatermark),
    messages: records.map(([offset, timestamp]) => ({ offset: String(offset), timestamp })) as unknown as KafkaMessage[],
  });

  it('is seen in a fetch that started over below the position: the log now ends below it, or the record before it is another one', () => {
    // Position 5, the record at offset 4 passed with timestamp "t4".
    expect(
      restartOf(
        batch(3, [
          [0, 'n0'],
          [1, 'n1'],
          [2, 'n2'],
        ]),
        5,
        't4',
      ),
    ).toMatchObject({ from: 0, reason: expect.stringMatching(/ends at offset 3, below the 5 records/) });
    expect(
      restartOf(
        batch(8, [
          [0, 'n0'],
          [4, 'n4'],
          [5, 'n5'],
        ]),
        5,
        't4',
      ),
    ).toMatchObject({ from: 0, reason: expect.stringMatching(/offset 4 is another one .*n4, not t4/) });
    // The log ends below the position even where no mark is known.
    expect(restartOf(batch(3, [[0, 'n0']]), 5, undefined)).toMatchObject({ from: 0 });
  });

  it('is not seen in a fetch from the position, in the record before it fetched again with its own timestamp, or without a mark to compare', () => {
    expect(
      restartOf(
        batch(8, [
          [5, 'n5'],
          [6, 'n6'],
        ]),
        5,
        't4',
      ),
    ).toBeNull();
    expect(
      restartOf(
        batch(8, [
          [4, 't4'],
          [5, 'n5'],
        ]),
        5,
        't4',
      ),
    ).toBeNull();
    expect(
      restartOf(
        batch(8, [
          [4, 'n4'],
          [5, 'n5'],
        ]),
        5,
        undefined,
      ),
    ).toBeNull();
    expect(restartOf(batch(8, []), 5, 't4')).toBeNull();
    expect(restartOf(batch(8, [[0, 'n0']]), undefined, undefined)).toBeNull();
  });
});
