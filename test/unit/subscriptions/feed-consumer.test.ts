import type { Admin, Kafka } from 'kafkajs';
import { createLogger } from '../../../src/logger';
import { createFeedConsumer } from '../../../src/subscriptions/feed-consumer';

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
