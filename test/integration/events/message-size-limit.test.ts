import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { createMessageSizeLimit } from '../../../src/events/message-size-limit';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';

/**
 * The publish size limit read from the real broker: a topic's own `max.message.bytes`, the
 * broker's `message.max.bytes` for a topic not created yet, the cap, a raised limit picked up once
 * the cache expires, and every lookup on one admin client until `close`.
 */
jest.setTimeout(60_000);

/** The broker's client, with each admin client it makes counted and its disconnects too. */
function countingKafka(kafka: Kafka) {
  const counts = { admins: 0, disconnects: 0 };
  const counting = {
    admin: () => {
      counts.admins += 1;
      const admin = kafka.admin();
      const disconnect = admin.disconnect.bind(admin);
      admin.disconnect = async () => {
        counts.disconnects += 1;
        await disconnect();
      };
      return admin;
    },
  } as unknown as Kafka;
  return { kafka: counting, counts };
}

describe('message size limit (real broker)', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const admin = kafka.admin();
  const topic = uniqueName('msl');
  let brokerLimit = 0;

  beforeAll(async () => {
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2000000' }] }], waitForLeaders: true });
    leftovers.add(() => admin.deleteTopics({ topics: [topic] }));
    const cluster = await admin.describeCluster();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(cluster.controller ?? cluster.brokers[0]!.nodeId), configNames: ['message.max.bytes'] }],
    });
    brokerLimit = Number(described.resources[0]!.configEntries[0]!.configValue);
  });
  afterAll(() => leftovers.dispose());

  it("reads a topic's own limit and the broker's for a missing topic, on one admin client until close", async () => {
    const { kafka: counted, counts } = countingKafka(kafka);
    const limits = createMessageSizeLimit({ kafka: counted, cacheMs: 0 });
    expect(await limits.limitFor(topic)).toBe(2_000_000);
    expect(brokerLimit).toBeGreaterThan(0);
    expect(await limits.limitFor(uniqueName('msl_missing'))).toBe(brokerLimit);
    await Promise.all([limits.limitFor(topic), limits.limitFor(topic)]);
    expect(counts).toEqual({ admins: 1, disconnects: 0 });
    await limits.close();
    expect(counts).toEqual({ admins: 1, disconnects: 1 });
    // A lookup after close connects another client.
    expect(await limits.limitFor(topic)).toBe(2_000_000);
    await limits.close();
    expect(counts).toEqual({ admins: 2, disconnects: 2 });
  });

  it('caps the limit, caches it, and reads a raised limit once the cache expires', async () => {
    const limits = createMessageSizeLimit({ kafka, cap: 1_500_000, cacheMs: 1000 });
    const uncapped = createMessageSizeLimit({ kafka, cacheMs: 1000 });
    try {
      expect(await limits.limitFor(topic)).toBe(1_500_000);
      expect(await uncapped.limitFor(topic)).toBe(2_000_000);
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'max.message.bytes', value: '3000000' }] }],
      });
      expect(await uncapped.limitFor(topic)).toBe(2_000_000);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await uncapped.limitFor(topic)).toBe(3_000_000);
      uncapped.forget(topic);
      expect(await uncapped.limitFor(topic)).toBe(3_000_000);
    } finally {
      await limits.close();
      await uncapped.close();
    }
  });
});
