import { ensureTopics } from '../../../src/infra/kafka-topics';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';

/**
 * ensureTopics against the real broker: missing topics are created with their partitions, each
 * partition has a leader when it returns (a producer can write to every one at once), and an
 * existing topic is left as it is.
 */
describe('ensureTopics', () => {
  const leftovers = createLeftovers();
  afterEach(() => leftovers.dispose());

  it('creates the missing topics, every partition led when it returns, and leaves existing ones as they are', async () => {
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    const four = uniqueName('ensure_topics_four');
    const one = uniqueName('ensure_topics_one');
    leftovers.add(() => admin.deleteTopics({ topics: [four, one] }));

    await ensureTopics(kafka, [
      { topic: four, numPartitions: 4 },
      { topic: one, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
    ]);
    const metadata = await admin.fetchTopicMetadata({ topics: [four, one] });
    const partitions = Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.map((p) => p.leader >= 0)]));
    expect(partitions).toEqual({ [four]: [true, true, true, true], [one]: [true] });
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: one, configNames: ['retention.ms'] }], includeSynonyms: false });
    expect(configs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue])).toEqual([['retention.ms', '3600000']]);

    // Written to every partition right away, without waiting for anything else.
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    const sent = await producer.send({ topic: four, acks: -1, messages: [0, 1, 2, 3].map((partition) => ({ partition, value: `p${partition}` })) });
    expect(sent.map((r) => r.partition).sort()).toEqual([0, 1, 2, 3]);

    // Asked again with another partition count: the existing topic keeps its own.
    await ensureTopics(kafka, [{ topic: four, numPartitions: 8 }]);
    const again = await admin.fetchTopicMetadata({ topics: [four] });
    expect(again.topics[0]!.partitions).toHaveLength(4);
  });
});
