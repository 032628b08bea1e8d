import { stateCollectionName } from '../../../src/state/entity-store';
import { mongoChange, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { testKafka, uniqueName } from '../../support/test-env';

const PUSHED = '65a1f0c2e4b0a1b2c3d4e6a1';
const WITHOUT_CUSTOMER = '65a1f0c2e4b0a1b2c3d4e7a1';
const EMAIL_REMOVED = '65a1f0c2e4b0a1b2c3d4e7a2';

/**
 * MongoDB changes that the seed spec (`$.items[*].sku` → `$.line_items[*].sku`, and
 * `customer.email` the only field of `customer`) maps in part, through ingestion to the stored
 * state (real Kafka and store): the state is what the full mapping of the changed document gives.
 */
describe('order ingestion: MongoDB changes mapped in part (the seed spec)', () => {
  const topic = uniqueName('raw.mongo.orders_partial');
  let harness: IngestionHarness;
  const kafka = testKafka();

  beforeAll(async () => {
    harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    const created = (id: string, after: Record<string, unknown>) => mongoChange({ op: 'c', id: { $oid: id }, tsMs: 1_700_000_000_000, ord: 1, after });
    const withCustomer = { orderId: 8, customer: { email: 'ada@example.com' }, items: [] };
    await produce(kafka, topic, [
      created(PUSHED, { orderId: 7, customer: { email: 'ada@example.com' }, items: [{ sku: 'SKU-1', qty: 1 }] }),
      // $push of an element without a sku, then of one with it.
      mongoChange({ op: 'u', id: { $oid: PUSHED }, tsMs: 1_700_000_001_000, ord: 1, updatedFields: { 'items.1': { qty: 2 } } }),
      mongoChange({ op: 'u', id: { $oid: PUSHED }, tsMs: 1_700_000_002_000, ord: 1, updatedFields: { 'items.2': { sku: 'SKU-3', qty: 1 } } }),
      // A full image without the customer; a partial update removing its e-mail, its last field.
      created(WITHOUT_CUSTOMER, withCustomer),
      created(EMAIL_REMOVED, withCustomer),
      mongoChange({ op: 'u', id: { $oid: WITHOUT_CUSTOMER }, tsMs: 1_700_000_001_000, ord: 1, after: { orderId: 8, items: [] } }),
      mongoChange({ op: 'u', id: { $oid: EMAIL_REMOVED }, tsMs: 1_700_000_001_000, ord: 1, removedFields: ['customer.email'] }),
    ]);
    await harness.waitForOutcomes(7);
  });
  afterAll(() => harness.stop());

  it('applies every change, none dead-lettered', () => {
    expect(harness.ingestion.stats.outcomes).toMatchObject({ applied: 7, 'dead-lettered': 0 });
  });

  it('stores every pushed element, {} where it holds none of the mapped fields', async () => {
    const state = await harness.db.collection(stateCollectionName('order')).findOne({ _id: PUSHED as never });
    expect(state!.data.line_items).toEqual([{ sku: 'SKU-1' }, {}, { sku: 'SKU-3' }]);
    expect(state!._meta).toMatchObject({ version: 3 });
  });

  it('stores no empty customer after a full image or a partial update without its last field', async () => {
    const states = harness.db.collection(stateCollectionName('order'));
    for (const id of [WITHOUT_CUSTOMER, EMAIL_REMOVED]) {
      const state = await states.findOne({ _id: id as never });
      expect(state!.data).not.toHaveProperty('customer');
      expect(state!.data).toMatchObject({ order_id: '8', line_items: [] });
    }
  });
});
