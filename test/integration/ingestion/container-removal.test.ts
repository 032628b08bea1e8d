import { stateCollectionName } from '../../../src/state/entity-store';
import { mongoChange, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { testKafka, uniqueName } from '../../support/test-env';

const A = '65a1f0c2e4b0a1b2c3d4e7a1';
const B = '65a1f0c2e4b0a1b2c3d4e7a2';

/**
 * A change that removes the last field of an object the mapping makes to hold it (the seed spec's
 * `customer`, which holds `customer.email` alone), through ingestion to the stored state (real
 * Kafka and store): the object goes with it, as the full mapping of such a source has none.
 */
describe('order ingestion: a change removing a container’s last field (the seed spec)', () => {
  const topic = uniqueName('raw.mongo.orders_container');
  let harness: IngestionHarness;
  const kafka = testKafka();

  beforeAll(async () => {
    harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    const created = (id: string) =>
      mongoChange({ op: 'c', id: { $oid: id }, tsMs: 1_700_000_000_000, ord: 1, after: { orderId: 8, customer: { email: 'ada@example.com' }, items: [] } });
    await produce(kafka, topic, [
      created(A),
      created(B),
      // A: a full image without the customer; B: a partial update removing its e-mail.
      mongoChange({ op: 'u', id: { $oid: A }, tsMs: 1_700_000_001_000, ord: 1, after: { orderId: 8, items: [] } }),
      mongoChange({ op: 'u', id: { $oid: B }, tsMs: 1_700_000_001_000, ord: 1, removedFields: ['customer.email'] }),
    ]);
    await harness.waitForOutcomes(4);
  });
  afterAll(() => harness.stop());

  it('stores no empty customer after a full image or a partial update without its last field', async () => {
    expect(harness.ingestion.stats.outcomes).toMatchObject({ applied: 4, 'dead-lettered': 0 });
    const states = harness.db.collection(stateCollectionName('order'));
    for (const id of [A, B]) {
      const state = await states.findOne({ _id: id as never });
      expect(state!.data).not.toHaveProperty('customer');
      expect(state!.data).toMatchObject({ order_id: '8', line_items: [] });
    }
  });
});
