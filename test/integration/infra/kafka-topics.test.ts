import type { AppError } from '../../../src/errors';
import { ensureTopics } from '../../../src/infra/kafka-topics';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * ensureTopics against the real broker: missing topics are created with their partitions, each
 * partition has a leader when it returns (a producer can write to every one at once), an
 * existing topic is left as it is, and a refusal names each topic and the broker's reason.
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

  it("answers the broker's refusal with a coded error naming each refused topic and why, the topics it could create created", async () => {
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    const fine = uniqueName('ensure_topics_fine');
    leftovers.add(() => admin.deleteTopics({ topics: [fine] }));

    const refused = await ensureTopics(kafka, [
      { topic: fine, numPartitions: 1 },
      // A name Kafka refuses, and a partition count it refuses.
      { topic: 'dead letters!', numPartitions: 1 },
      { topic: uniqueName('ensure_topics_none'), numPartitions: 0 },
    ]).catch((error: unknown) => error as AppError);
    expect(refused).toMatchObject({
      code: 'CONFIG_INVALID',
      details: [{ topic: 'dead letters!', type: 'INVALID_TOPIC_EXCEPTION' }, { type: 'INVALID_PARTITIONS' }],
    });
    expect((refused as AppError).message).toMatch(
      /^Kafka refused to create topics "dead letters!": INVALID_TOPIC_EXCEPTION \(.+\); "ensure_topics_none[^"]*": INVALID_PARTITIONS \(.+\); a topic may also be created beforehand$/,
    );
    // Created beside the refusals; the broker that answers the metadata request may learn of it a moment later.
    await waitFor('the topic Kafka accepted', async () => (await admin.listTopics()).includes(fine), { timeoutMs: 10_000, intervalMs: 50 });
  });
});
