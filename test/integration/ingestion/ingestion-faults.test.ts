import { seededRandom } from '../../support/seeded-random';
import { createReliabilityWorld, expectReliable, sleep, stack, type ReliabilityWorld } from '../../support/reliability-harness';
import type { ServiceProcess } from '../../support/service-process';
import { testConfig } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

const consuming = (service: ServiceProcess) =>
  waitFor('the ingestion process to consume', () => service.output.join('').includes('ingestion consuming'), { timeoutMs: 60_000 });

/**
 * Ingestion under faults, each case ending with the shared reliability checker
 * (test/support/reliability-checker.ts): the broker and the store stopped and restarted
 * mid-stream, ingestion SIGKILLed ten times under load, and a consumer-group rebalance (a third
 * process joins, one leaves) under load. Ingestion runs as real child processes (src/main.ts).
 */
const KEYS = 120;
const PARTITIONS = 4;
const SLICE = 240;

jest.setTimeout(240_000);

describe('reliability: ingestion under faults', () => {
  let world: ReliabilityWorld | null = null;
  afterEach(async () => {
    await world?.dispose();
    world = null;
  });

  it('ingestion SIGKILLed 10 times at random moments under load', async () => {
    world = await createReliabilityWorld('sigkill', { keys: KEYS, partitions: PARTITIONS });
    const random = seededRandom(7);
    world.sampler.start(1000);
    let service: ServiceProcess = world.startIngestion();
    for (let kill = 0; kill < 10; kill += 1) {
      await world.produce(SLICE);
      await sleep(300 + Math.floor(random() * 1500));
      const code = await service.kill('SIGKILL');
      expect(code).toBeNull();
      // Right after a crash is when a commit ahead of the store would show.
      await world.sampler.sample();
      service = world.startIngestion();
    }
    await world.produce(SLICE);
    await world.waitApplied(120_000);
    const report = await world.check();
    expectReliable(report);
    expect(report.facts.changes).toBe(11 * SLICE);
  });

  it('a third ingestion process joins and one leaves during load (rebalance)', async () => {
    world = await createReliabilityWorld('rebalance', { keys: KEYS, partitions: PARTITIONS });
    world.sampler.start(1000);
    const first = world.startIngestion();
    const second = world.startIngestion();
    await Promise.all([consuming(first), consuming(second)]);
    for (let i = 0; i < 3; i += 1) {
      await world.produce(SLICE);
      await sleep(400);
    }
    const third = world.startIngestion();
    await consuming(third);
    for (let i = 0; i < 3; i += 1) {
      await world.produce(SLICE);
      await sleep(600);
    }
    // The first leaves gracefully (SIGTERM: finish the batch, commit, leave the group).
    expect(await first.kill('SIGTERM')).toBe(0);
    for (let i = 0; i < 3; i += 1) {
      await world.produce(SLICE);
      await sleep(400);
    }
    await world.waitApplied(120_000);
    const report = await world.check();
    expectReliable(report);
    expect(report.facts.changes).toBe(9 * SLICE);
  });

  // Stopping the shared broker or store is only ours to do on the embedded local stack.
  const itLocal = testConfig.usesLocalStack ? it : it.skip;

  itLocal('the Kafka broker stopped and restarted mid-stream', async () => {
    world = await createReliabilityWorld('broker', { keys: KEYS, partitions: PARTITIONS });
    world.sampler.start(1000);
    const service = world.startIngestion();
    // Mid-stream, not mid-start: a process that cannot reach a server while starting exits.
    await consuming(service);
    try {
      for (let i = 0; i < 4; i += 1) await world.produce(SLICE);
      await sleep(1500);
      stack('down', 'kafka');
      await sleep(4000);
    } finally {
      stack('up');
    }
    for (let i = 0; i < 3; i += 1) {
      await world.produce(SLICE);
      await sleep(300);
    }
    await world.waitApplied(150_000);
    const report = await world.check();
    expectReliable(report);
    expect(service.child.exitCode).toBeNull();
    expect(service.output.join('')).not.toContain('ingestion stopped: a non-retriable error');
  });

  itLocal('the store stopped and restarted mid-stream', async () => {
    world = await createReliabilityWorld('store', { keys: KEYS, partitions: PARTITIONS });
    world.sampler.start(1000);
    const service = world.startIngestion();
    // Mid-stream, not mid-start: a process that cannot reach the store while starting exits.
    await consuming(service);
    try {
      for (let i = 0; i < 3; i += 1) await world.produce(SLICE);
      await sleep(1500);
      stack('down', 'mongo');
      // Kafka stays up: more of the stream arrives while the store is away.
      for (let i = 0; i < 2; i += 1) await world.produce(SLICE);
      await sleep(3000);
    } finally {
      stack('up');
    }
    for (let i = 0; i < 2; i += 1) {
      await world.produce(SLICE);
      await sleep(300);
    }
    await world.waitApplied(150_000);
    const report = await world.check();
    expectReliable(report);
    expect(service.child.exitCode).toBeNull();
    expect(service.output.join('')).not.toContain('ingestion stopped: a non-retriable error');
  });

  afterAll(() => {
    // Whatever happened above, leave the shared stack running.
    if (testConfig.usesLocalStack) stack('up');
  });
});
