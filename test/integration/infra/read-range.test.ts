import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { readRange } from '../../../src/infra/read-range';
import { testLogger } from '../../support/test-logger';

/**
 * readRange on a topic written by a transactional producer (a Kafka Connect source with
 * exactly-once support, or any producer with a transactional id): each committed or aborted
 * transaction ends with a control record, a marker offset no consumer receives. A range ending
 * just after a marker must still finish, and aborted records must not be delivered.
 */
jest.setTimeout(60_000);

describe('readRange over transaction markers (real broker)', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  const topic = uniqueName('read_range_tx');
  const admin = kafka.admin();
  afterAll(() => leftovers.dispose());

  beforeAll(async () => {
    await admin.connect();
    leftovers.add(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    leftovers.add(() => admin.deleteTopics({ topics: [topic] }));
    const producer = kafka.producer({ transactionalId: uniqueName('read_range_tx_producer'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    leftovers.add(() => producer.disconnect());
    // Offsets: 0, 1 committed, 2 marker; 3, 4 committed, 5 marker; 6, 7 aborted, 8 marker.
    for (const [values, commit] of [
      [['a', 'b'], true],
      [['c', 'd'], true],
      [['x', 'y'], false],
    ] as const) {
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: values.map((value) => ({ value })) });
      await (commit ? transaction.commit() : transaction.abort());
    }
  });

  /** The values read from [from, to), or a failure when the read has not finished within 15 s. */
  async function read(from: number, to: number): Promise<string[]> {
    const values: string[] = [];
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 15_000);
    try {
      await readRange({
        kafka,
        topic,
        ranges: [{ partition: 0, from, to }],
        groupId: uniqueName('read_range_tx_group'),
        logger: testLogger(),
        signal: abort.signal,
        onMessage: async (_partition, message) => {
          values.push(String(message.value));
        },
      });
    } finally {
      clearTimeout(timer);
    }
    if (abort.signal.aborted) throw new Error(`the read of [${from}, ${to}) did not finish (values so far: ${values.join(',')})`);
    return values;
  }

  it('finishes a range ending right after a commit marker, and one ending after an aborted transaction, without its records', async () => {
    const [{ high }] = await admin.fetchTopicOffsets(topic);
    expect(Number(high)).toBe(9);
    expect(await read(0, 3)).toEqual(['a', 'b']);
    expect(await read(0, 9)).toEqual(['a', 'b', 'c', 'd']);
    expect(await read(3, 9)).toEqual(['c', 'd']);
    // Nothing but a marker, aborted records and a marker: a fetch with no message at all.
    expect(await read(5, 9)).toEqual([]);
  });
});
