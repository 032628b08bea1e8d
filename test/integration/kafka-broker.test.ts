import { describeBrokerVersion } from '../../infra/stack/kafka-tools';
import { VERSIONS } from '../../infra/stack/stack-config';
import { collectMessages } from '../support/kafka-messages';
import { createLeftovers, testConfig, testKafka, uniqueName } from '../support/test-env';

describe('the Kafka broker of the stack', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  it('answers admin calls: cluster description and the broker release', async () => {
    const admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.clusterId).toMatch(/\S+/);

    const version = describeBrokerVersion(testConfig.kafka.brokers[0]!);
    if (testConfig.usesLocalStack) {
      expect(VERSIONS.kafka.startsWith(`${version.release}.`)).toBe(true);
    } else {
      expect(version.release).toMatch(/^\d+\.\d+$/);
    }
  });

  it('round-trips messages: create topic, idempotent produce, consume in a group, commit', async () => {
    const topic = uniqueName('roundtrip');
    const groupId = uniqueName('group');
    const admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    leftovers.add(() => admin.deleteTopics({ topics: [topic] }));

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: JSON.stringify({ n: i }) }));
    await producer.send({ topic, messages: sent });

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    leftovers.add(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; n: number; partition: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            received.push({ key: message.key!.toString(), n: JSON.parse(message.value!.toString()).n, partition });
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            if (received.length === sent.length) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(received.map((r) => r.n).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    // Per key, order is preserved (one key always lands in one partition).
    for (const key of new Set(received.map((r) => r.key))) {
      const ns = received.filter((r) => r.key === key).map((r) => r.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
      expect(new Set(received.filter((r) => r.key === key).map((r) => r.partition)).size).toBe(1);
    }
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(committed).toBe(sent.length);
  });

  it('lets a second group read the same topic independently', async () => {
    const topic = uniqueName('fanout');
    const producer = kafka.producer();
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    await producer.send({
      topic,
      messages: [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ],
    });
    const first = await collectMessages(kafka, topic, (m) => m.length >= 2);
    const second = await collectMessages(kafka, topic, (m) => m.length >= 2);
    expect(second.map((m) => m.value)).toEqual(first.map((m) => m.value));
  });
});
