import { canonicalTopic } from '../../../src/events/canonical-event';
import { EVENT_LOG_COLLECTION, eventOfLogged, type LoggedEvent } from '../../../src/events/event-log';
import { stateCollectionName } from '../../../src/state/entity-store';
import { mongoChange, produce, tombstone } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { collectMessages } from '../../support/kafka-messages';
import { testKafka, uniqueName } from '../../support/test-env';

const A = '65a1f0c2e4b0a1b2c3d4e5f6';
const B = '65a1f0c2e4b0a1b2c3d4e5f7';

/**
 * Golden test of the seed's own spec (specs/order.json, verbatim) on MongoDB-connector events:
 * snapshot read, create, full update, partial update (updateDescription only), delete, tombstone.
 */
describe('order ingestion from MongoDB-connector events (the seed spec)', () => {
  const topic = uniqueName('raw.mongo.orders');
  let harness: IngestionHarness;
  const kafka = testKafka();

  beforeAll(async () => {
    harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    await produce(kafka, topic, [
      mongoChange({
        op: 'r',
        id: { $oid: A },
        tsMs: 1_700_000_000_000,
        ord: 1,
        after: {
          orderId: 1001,
          customer: { email: 'Ada@Example.COM', name: 'Ada' },
          items: [
            { sku: 'SKU-1', qty: 2 },
            { sku: 'SKU-2', qty: 1 },
          ],
          total: { $numberDecimal: '30.50' },
        },
      }),
      mongoChange({
        op: 'c',
        id: { $oid: B },
        tsMs: 1_700_000_001_000,
        ord: 1,
        after: {
          orderId: 'B-2',
          customer: { email: 'BOB@EXAMPLE.COM' },
          items: [],
        },
      }),
      mongoChange({
        op: 'u',
        id: { $oid: A },
        tsMs: 1_700_000_002_000,
        ord: 1,
        after: {
          orderId: 1001,
          customer: { email: 'Ada@Example.COM' },
          items: [{ sku: 'SKU-3' }],
        },
      }),
      mongoChange({ op: 'u', id: { $oid: A }, tsMs: 1_700_000_002_000, ord: 2, updatedFields: { 'customer.email': 'ADA@NEW.COM' } }),
      mongoChange({ op: 'd', id: { $oid: B }, tsMs: 1_700_000_003_000, ord: 1 }),
      tombstone(JSON.stringify({ id: JSON.stringify({ $oid: B }) })),
    ]);
    await harness.waitForOutcomes(6);
  });
  afterAll(() => harness.stop());

  it('counts every message: five applied changes and one skipped tombstone', () => {
    expect(harness.ingestion.stats.outcomes).toEqual({ applied: 5, duplicate: 0, stale: 0, skipped: 1, 'dead-lettered': 0 });
  });

  it('stores the canonical order, merging the partial update into the full image', async () => {
    const a = await harness.db.collection(stateCollectionName('order')).findOne({ _id: A as never });
    expect(a!.data).toEqual({
      order_id: '1001',
      customer: { email: 'ada@new.com' },
      line_items: [{ sku: 'SKU-3' }],
      currency: 'USD',
      created_by: 'system',
    });
    expect(a!._meta).toMatchObject({ version: 3, deleted: false, specId: 'order-canonicalization-v1', specVersion: 1, sourceTsMs: 1_700_000_002_000 });
    expect(a!._meta.position).toBe('mongo:001700000002000:0000000002');
  });

  it('soft-deletes: the entity keeps its last state and its position, flagged deleted', async () => {
    const b = await harness.db.collection(stateCollectionName('order')).findOne({ _id: B as never });
    expect(b!._meta).toMatchObject({ version: 2, deleted: true });
    expect(b!.data).toMatchObject({ order_id: 'B-2', customer: { email: 'bob@example.com' }, line_items: [] });
  });

  it('logs one canonical event per applied change, with before, after and changed fields', async () => {
    const events = (await harness.db.collection<LoggedEvent>(EVENT_LOG_COLLECTION).find({ subject: 'order' }).sort({ key: 1, version: 1 }).toArray()).map(
      eventOfLogged,
    );
    expect(events.map((e) => [e.key, e.version, e.op, e.changedFields])).toEqual([
      [A, 1, 'CREATE', ['created_by', 'currency', 'customer', 'line_items', 'order_id']],
      [A, 2, 'UPDATE', ['line_items']],
      [A, 3, 'UPDATE', ['customer']],
      [B, 1, 'CREATE', ['created_by', 'currency', 'customer', 'line_items', 'order_id']],
      [B, 2, 'DELETE', ['created_by', 'currency', 'customer', 'line_items', 'order_id']],
    ]);
    const update = events[2]!;
    expect(update.before).toMatchObject({ customer: { email: 'ada@example.com' } });
    expect(update.after).toMatchObject({ customer: { email: 'ada@new.com' } });
    expect(update.source).toMatchObject({ topic, connector: 'mongodb', op: 'u', collection: 'orders', snapshot: false });
    expect(events[0]!.source).toMatchObject({ op: 'r', snapshot: true });
  });

  it('publishes the same events to canonical.<subject>, keyed by entity key, ids matching the log', async () => {
    const messages = await collectMessages(kafka, canonicalTopic('order', harness.topicPrefix), (m) => m.length >= 5);
    const published = messages.map((m) => ({ key: m.key, event: JSON.parse(m.value!) }));
    expect(published.map((p) => p.key)).toEqual(published.map((p) => p.event.key));
    const logged = await harness.db.collection(EVENT_LOG_COLLECTION).find({}).toArray();
    expect(published.map((p) => p.event.id).sort()).toEqual(logged.map((e) => e._id).sort());
    expect(messages[0]!.headers!['canonql-event-id']!.toString()).toBe(published[0]!.event.id);
  });
});
