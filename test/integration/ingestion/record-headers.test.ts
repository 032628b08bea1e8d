import type { RawRecord } from '../../../src/ingestion/debezium/decode-record';
import type { Pipeline } from '../../../src/ingestion/pipeline';
import { consumerOverPipeline } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * Kafka record headers reach the decoder (issue 14 item 7): Debezium's ExtractNewRecordState
 * `add.headers=op,lsn,…` puts the change's metadata in headers, which the decoder reads when the
 * value does not carry it.
 */
describe('record headers', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  it('are handed to the pipeline with each record', async () => {
    const topic = uniqueName('raw.pg.headers');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: '{"id":1}', value: '{"id":1,"name":"a"}', headers: { __op: 'u', __lsn: '4711' } }] });
    await producer.disconnect();
    const seen: RawRecord[] = [];
    const pipeline: Pipeline = {
      async processBatch(records) {
        seen.push(...records);
        return records.map(() => ({ outcome: 'skipped' as const }));
      },
    };
    const consumer = consumerOverPipeline({ kafka, groupId: uniqueName('headers-group'), topic, pipeline });
    leftovers.add(() => consumer.stop());
    await consumer.start();
    await waitFor('the record consumed', () => seen.length > 0, { timeoutMs: 60_000 });
    expect(String(seen[0]!.headers?.__op)).toBe('u');
    expect(String(seen[0]!.headers?.__lsn)).toBe('4711');
  });
});
