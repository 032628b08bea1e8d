import { AppError, ErrorCode } from '../../../src/errors';
import type { IngestionConsumer } from '../../../src/ingestion/ingestion-consumer';
import type { Pipeline, RecordResult } from '../../../src/ingestion/pipeline';
import { consumerReadiness, readinessReport } from '../../../src/observability/readiness';
import { produce } from '../../support/debezium-messages';
import { consumerOverPipeline } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * The ingestion consumer on the real broker, with a pipeline whose store writes fail (issue 14
 * item 2, issue 13 item 4): no offset is ever committed past a record whose write failed, a
 * consumer restarting after transient failures is `starting` (ready), and one that crashed for
 * good is `failing` (503).
 */
describe('ingestion consumer health and commits', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  async function committed(groupId: string, topic: string): Promise<string> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets!.partitions.find((p) => p.partition === 0)?.offset ?? '-1';
    } finally {
      await admin.disconnect();
    }
  }

  function start(pipeline: Pipeline, groupId: string, topic: string): IngestionConsumer {
    const consumer = consumerOverPipeline({
      kafka,
      groupId,
      topic,
      pipeline,
      retryPolicy: { attempts: 2, initialDelayMs: 50, maxDelayMs: 100, factor: 2 },
    });
    leftovers.add(() => consumer.stop());
    return consumer;
  }
  const applied = (n: number): RecordResult[] => Array.from({ length: n }, () => ({ outcome: 'applied' }));
  const readiness = (consumer: IngestionConsumer) => readinessReport({ ingestion: consumerReadiness(() => consumer.health()) });

  it('commits nothing while the store fails writes, reports starting (ready), then applies and commits once it is back', async () => {
    const topic = uniqueName('raw.pg.readiness');
    const groupId = uniqueName('readiness-group');
    await produce(
      kafka,
      topic,
      [1, 2, 3].map((id) => ({ key: String(id), value: JSON.stringify({ id }) })),
    );
    let storeUp = false;
    let attempts = 0;
    const pipeline: Pipeline = {
      async processBatch(records) {
        attempts += 1;
        if (!storeUp) throw new AppError(ErrorCode.STORE_UNAVAILABLE, 'the store refuses writes', { retriable: true });
        return applied(records.length);
      },
    };
    const consumer = start(pipeline, groupId, topic);
    await consumer.start();
    await waitFor('several failed attempts', () => attempts >= 3, { timeoutMs: 60_000 });
    expect(await committed(groupId, topic)).toBe('-1');
    const during = await readiness(consumer);
    expect(during.ready).toBe(true);
    expect(['starting', 'ok']).toContain(during.components.ingestion!.state);

    storeUp = true;
    await waitFor('the three records committed', async () => (await committed(groupId, topic)) === '3', { timeoutMs: 60_000 });
    expect(await readiness(consumer)).toEqual({ ready: true, components: { ingestion: { state: 'ok' } } });
  });

  it('a consumer that crashed for good is failing (not ready), and committed nothing', async () => {
    const topic = uniqueName('raw.pg.readiness');
    const groupId = uniqueName('readiness-group');
    await produce(kafka, topic, [{ key: '1', value: '{"id":1}' }]);
    const pipeline: Pipeline = {
      async processBatch() {
        throw new TypeError('a bug in the pipeline');
      },
    };
    const consumer = start(pipeline, groupId, topic);
    await consumer.start();
    const report = await waitFor(
      'the consumer failed for good',
      async () => {
        const current = await readiness(consumer);
        return current.ready ? undefined : current;
      },
      { timeoutMs: 60_000 },
    );
    expect(report.components.ingestion).toEqual({ state: 'failing', reason: 'crashed for good: a bug in the pipeline' });
    expect(consumer.failure()?.message).toBe('a bug in the pipeline');
    expect(await committed(groupId, topic)).toBe('-1');
  });
});
