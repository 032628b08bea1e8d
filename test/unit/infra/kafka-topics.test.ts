import type { Admin } from 'kafkajs';
import { isAppError } from '../../../src/errors';
import { waitForLeaders } from '../../../src/infra/kafka-topics';

type Metadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>;

/** Topic metadata as kafkajs gives it: each partition's leader, -1 for none yet. */
function metadata(leaders: Record<string, number[]>): Metadata {
  return {
    topics: Object.entries(leaders).map(([name, partitions]) => ({
      name,
      partitions: partitions.map((leader, partitionId) => ({ partitionId, leader, partitionErrorCode: 0, replicas: [0], isr: [0], offlineReplicas: [] })),
    })),
  };
}

/** An admin answering each lookup with the next of `answers` (an Error is thrown), the last one from then on. */
function adminAnswering(answers: (Metadata | Error)[]) {
  let calls = 0;
  return {
    calls: () => calls,
    admin: {
      fetchTopicMetadata: async () => {
        const answer = answers[Math.min(calls, answers.length - 1)]!;
        calls += 1;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
  };
}

const quick = { timeoutMs: 200, pollMs: 1 };

describe('waitForLeaders (after creating topics)', () => {
  it('returns at the first lookup that finds a leader for every partition of every topic', async () => {
    const lookups = adminAnswering([metadata({ a: [0, 0, 0, 0], b: [0] })]);
    await waitForLeaders(lookups.admin, ['a', 'b'], quick);
    expect(lookups.calls()).toBe(1);
  });

  it('looks again while a partition has no leader, a topic is missing, or a lookup fails', async () => {
    const leaderNotAvailable = Object.assign(new Error('There is no leader for this topic-partition'), { type: 'LEADER_NOT_AVAILABLE' });
    const lookups = adminAnswering([
      metadata({ a: [0, -1, 0, 0], b: [0] }),
      metadata({ a: [0, 0, 0, 0] }),
      leaderNotAvailable,
      new TypeError("Cannot read properties of null (reading 'topicMetadata')"),
      metadata({ a: [], b: [0] }),
      metadata({ a: [0, 0, 0, 0], b: [0] }),
    ]);
    await waitForLeaders(lookups.admin, ['a', 'b'], quick);
    expect(lookups.calls()).toBe(6);
  });

  it('gives up after its timeout with KAFKA_UNAVAILABLE, naming the topics, the last failure as its cause', async () => {
    const lost = new Error('Connection lost');
    const lookups = adminAnswering([metadata({ a: [-1] }), lost]);
    const error = await waitForLeaders(lookups.admin, ['a'], quick).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(error) && error.code).toBe('KAFKA_UNAVAILABLE');
    expect((error as Error).message).toBe('topics a: created, but a partition still had no leader after 200 ms');
    expect((error as Error).cause).toBe(lost);
    expect(lookups.calls()).toBeGreaterThan(2);
  });
});
