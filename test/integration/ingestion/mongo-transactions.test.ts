import { createReliabilityWorld, expectReliable, sleep, type ReliabilityWorld } from '../../support/reliability-harness';

/**
 * MongoDB multi-document transactions: every change of one transaction carries the same cluster
 * time (`ts_ms` + `ord`), several of them for the same document. Each must be applied once, in
 * order — not taken for a duplicate of the first. Ingestion is a real child process, SIGKILLed
 * once mid-stream so part of a transaction is replayed; the shared checker gives the verdict.
 */
const KEYS = 40;
const CHANGES_PER_DOCUMENT = 3;
const PER_TRANSACTION = KEYS * CHANGES_PER_DOCUMENT;

jest.setTimeout(180_000);

describe('reliability: MongoDB multi-document transactions', () => {
  let world: ReliabilityWorld | null = null;
  afterEach(async () => {
    await world?.dispose();
    world = null;
  });

  for (const metadata of [true, false]) {
    const how = metadata ? 'ordered by the transaction block (provide.transaction.metadata)' : 'ordered by Kafka offset (no transaction block)';
    it(`applies every change of a transaction once and in order, ${how}`, async () => {
      world = await createReliabilityWorld(metadata ? 'txn_meta' : 'txn_offset', {
        keys: KEYS,
        partitions: 2,
        transactions: { changesPerDocument: CHANGES_PER_DOCUMENT, metadata },
      });
      world.sampler.start(1000);
      let service = world.startIngestion();
      await world.produce(PER_TRANSACTION);
      // Half a transaction, a crash, then the rest: the replayed part must not apply twice.
      await world.produce(PER_TRANSACTION / 2);
      await sleep(1500);
      await service.kill('SIGKILL');
      service = world.startIngestion();
      await world.produce(PER_TRANSACTION / 2);
      await world.produce(PER_TRANSACTION);
      await world.waitApplied(120_000);
      const report = await world.check();
      expectReliable(report);
      // 3 transactions × 3 changes of each document: every document at version 9.
      expect(report.facts.changes).toBe(3 * PER_TRANSACTION);
      expect(report.facts.keys).toBe(KEYS);
    });
  }
});
