import { stateCollectionName } from '../../../src/state/entity-store';
import { mongoChange, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { testKafka, uniqueName } from '../../support/test-env';

const A = '65a1f0c2e4b0a1b2c3d4e6a1';

/**
 * MongoDB updates that push an array element (updateDescription `items.N`), through ingestion to
 * the stored state (real Kafka and store, the seed spec: `$.items[*].sku` → `$.line_items[*].sku`):
 * the canonical array gets the element as the full mapping has it, `{}` when it holds no sku.
 */
describe('order ingestion: a MongoDB update pushing array elements (the seed spec)', () => {
  const topic = uniqueName('raw.mongo.orders_push');
  let harness: IngestionHarness;
  const kafka = testKafka();

  beforeAll(async () => {
    harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    await produce(kafka, topic, [
      mongoChange({
        op: 'c',
        id: { $oid: A },
        tsMs: 1_700_000_000_000,
        ord: 1,
        after: { orderId: 7, customer: { email: 'ada@example.com' }, items: [{ sku: 'SKU-1', qty: 1 }] },
      }),
      // $push of an element without a sku, then of one with it.
      mongoChange({ op: 'u', id: { $oid: A }, tsMs: 1_700_000_001_000, ord: 1, updatedFields: { 'items.1': { qty: 2 } } }),
      mongoChange({ op: 'u', id: { $oid: A }, tsMs: 1_700_000_002_000, ord: 1, updatedFields: { 'items.2': { sku: 'SKU-3', qty: 1 } } }),
    ]);
    await harness.waitForOutcomes(3);
  });
  afterAll(() => harness.stop());

  it('stores every pushed element, {} where it holds none of the mapped fields', async () => {
    expect(harness.ingestion.stats.outcomes).toMatchObject({ applied: 3, 'dead-lettered': 0 });
    const a = await harness.db.collection(stateCollectionName('order')).findOne({ _id: A as never });
    expect(a!.data.line_items).toEqual([{ sku: 'SKU-1' }, {}, { sku: 'SKU-3' }]);
    expect(a!._meta).toMatchObject({ version: 3 });
  });
});
