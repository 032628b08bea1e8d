import type { IngestionConsumer } from '../../../src/ingestion/ingestion-consumer';
import { createIngestionStats, type IngestionStats } from '../../../src/ingestion/ingestion-stats';
import type { Pipeline } from '../../../src/ingestion/pipeline';
import { consumerOverPipeline } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every record a member of the ingestion group commits is counted by that member, also when
 * another member joins while its batches are in flight. The group then rebalances: a heartbeat
 * sent after a batch's commit is refused ("the group is rebalancing"), and a consumer that sent
 * one itself failed the batch already committed, so no member counted its records (a second
 * canonql process joining under load left 5,485 of 20,004 records uncounted). Real broker; the
 * pipeline is a stand-in that holds each batch begun after the second member started long
 * enough for the rebalance to be under way when the batch commits.
 */
describe('ingestion counters across a rebalance', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());
  jest.setTimeout(120_000);

  it('count every committed record once a second member joins mid-stream', async () => {
    const topic = uniqueName('raw.rebalance.counts');
    const partitions = 4;
    const records = 2_000;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: records }, (_, i) => ({ partition: i % partitions, key: `{"id":${i}}`, value: `{"id":${i}}` })),
    });
    await producer.disconnect();

    const groupId = uniqueName('rebalance-counts-group');
    let entered = 0;
    let joined: () => void = () => undefined;
    const secondJoining = new Promise<void>((resolve) => {
      joined = resolve;
    });
    const member = (): { consumer: IngestionConsumer; stats: IngestionStats } => {
      const pipeline: Pipeline = {
        async processBatch(batch) {
          // The first member's batches (it holds every partition) wait for the second member to
          // start joining, then long enough for the group to be rebalancing when they commit.
          entered += 1;
          await secondJoining;
          // Past kafkajs' heartbeat interval (3 s here): the heartbeat after the commit is sent, not skipped.
          await sleep(4_000);
          return batch.map(() => ({ outcome: 'skipped' as const }));
        },
      };
      const stats = createIngestionStats();
      const consumer = consumerOverPipeline({ kafka, groupId, topic, pipeline, stats, sessionTimeoutMs: 10_000 });
      leftovers.add(() => consumer.stop());
      return { consumer, stats };
    };
    const counted = (...members: { stats: IngestionStats }[]) => members.reduce((n, m) => n + m.stats.outcomes.skipped, 0);

    const first = member();
    await first.consumer.start();
    await waitFor('the first member to take a batch', () => entered > 0, { timeoutMs: 60_000 });
    expect(counted(first)).toBe(0);
    const second = member();
    await second.consumer.start();
    const admin2 = kafka.admin();
    await admin2.connect();
    leftovers.add(() => admin2.disconnect());
    await waitFor('the second member to start a rebalance', async () => (await admin2.describeGroups([groupId])).groups[0]?.state === 'PreparingRebalance', {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    joined();
    const committedAll = async () => {
      const [offsets] = await admin2.fetchOffsets({ groupId, topics: [topic] });
      return offsets!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) === records;
    };
    await waitFor('the group to commit every record', committedAll, { timeoutMs: 90_000, intervalMs: 250 });
    // A member counts a batch right after its commit; give the last one a moment.
    await waitFor('every committed record counted', () => counted(first, second) >= records, { timeoutMs: 10_000 });
    expect(counted(first, second)).toBeGreaterThanOrEqual(records);
  });
});
