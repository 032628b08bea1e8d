import type { Admin } from 'kafkajs';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { readRange } from '../../../src/infra/read-range';
import { testLogger } from '../../support/test-logger';

/**
 * readRange over records deleted before or while they are read (retention, an admin's
 * deleteRecords): the read finishes, reporting the deleted offsets as a gap, and never waits for
 * records that will not come. Values of the records are their offsets.
 */
jest.setTimeout(60_000);

describe('readRange over deleted records (real broker)', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  let admin: Admin;
  afterAll(() => leftovers.dispose());

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    leftovers.add(() => admin.disconnect());
  });

  /** A topic of one partition with `count` records of about `size` bytes (many fetches when large). */
  async function topicWith(count: number, size: number): Promise<string> {
    const topic = uniqueName('read_range_deleted');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    leftovers.add(() => admin.deleteTopics({ topics: [topic] }));
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (let offset = 0; offset < count; offset += 10) {
        const messages = Array.from({ length: Math.min(10, count - offset) }, (_, i) => ({ value: `${offset + i}:${'x'.repeat(size)}` }));
        await producer.send({ topic, messages });
      }
    } finally {
      await producer.disconnect();
    }
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs needs the metadata loaded first
    return topic;
  }

  const deleteBefore = (topic: string, offset: number) => admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(offset) }] });

  /** The offsets read from [from, to) and the gaps reported; fails when the read has not finished within 15 s. */
  async function read(topic: string, from: number, to: number, onFirst?: () => Promise<void>): Promise<{ read: number[]; gaps: string[] }> {
    const offsets: number[] = [];
    const gaps: string[] = [];
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 15_000);
    try {
      await readRange({
        kafka,
        topic,
        ranges: [{ partition: 0, from, to }],
        groupId: uniqueName('read_range_deleted_group'),
        logger: testLogger(),
        signal: abort.signal,
        onGap: (_partition, expected, found) => gaps.push(`${expected}-${found}`),
        onMessage: async (_partition, message) => {
          if (offsets.length === 0) await onFirst?.();
          offsets.push(Number(String(message.value).split(':')[0]));
        },
      });
    } finally {
      clearTimeout(timer);
    }
    if (abort.signal.aborted) throw new Error(`the read of [${from}, ${to}) did not finish (read ${offsets.length}, gaps ${gaps.join(',')})`);
    return { read: offsets, gaps };
  }

  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  it('deleted before the read: the start of the range, all of it up to the end of the topic, all of it before later records', async () => {
    const partly = await topicWith(20, 10);
    await deleteBefore(partly, 5);
    expect(await read(partly, 0, 20)).toEqual({ read: range(5, 20), gaps: ['0-5'] });

    const whole = await topicWith(20, 10);
    await deleteBefore(whole, 20);
    expect(await read(whole, 0, 20)).toEqual({ read: [], gaps: ['0-20'] });

    const before = await topicWith(20, 10);
    await deleteBefore(before, 10);
    expect(await read(before, 0, 10)).toEqual({ read: [], gaps: ['0-10'] });
  });

  // 40 kB records: a fetch (1 MB per partition) holds about 25, so the deletion reaches unread ones.
  it('deleted while read: a middle part of the range, the rest of it up to the end of the topic', async () => {
    const middle = await topicWith(60, 40_000);
    const partly = await read(middle, 0, 60, () => deleteBefore(middle, 50));
    expect(partly.gaps).toHaveLength(1);
    const [expected, found] = partly.gaps[0]!.split('-').map(Number);
    expect(found).toBe(50);
    expect(partly.read).toEqual([...range(0, expected!), ...range(50, 60)]);

    const rest = await topicWith(60, 40_000);
    const none = await read(rest, 0, 60, () => deleteBefore(rest, 60));
    expect(none.gaps).toEqual([`${none.read.length}-60`]);
    expect(none.read).toEqual(range(0, none.read.length));
  });
});
