import { EVENT_LOG_COLLECTION } from '../../../src/events/event-log';
import { DEAD_LETTER_COLLECTION } from '../../../src/ingestion/dead-letter';
import { stateCollectionName } from '../../../src/state/entity-store';
import { mongoChange, oid, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile } from '../../support/ingestion-harness';
import { collectMessages } from '../../support/kafka-messages';
import { testKafka, uniqueName } from '../../support/test-env';

function orderStream(keys: number, changesPerKey: number) {
  const messages = [];
  for (let v = 1; v <= changesPerKey; v += 1) {
    for (let k = 0; k < keys; k += 1) {
      messages.push(
        mongoChange({
          op: v === 1 ? 'c' : 'u',
          id: { $oid: oid(k) },
          tsMs: 1_700_000_000_000 + v * 1000,
          ord: k,
          after: { orderId: `o-${k}`, customer: { email: `c${k}@x.io` }, items: [{ sku: `v${v}` }] },
        }),
      );
    }
  }
  return messages;
}

describe('exactly-once effect under at-least-once delivery', () => {
  const kafka = testKafka();

  it('a replay of the whole topic by a new consumer group leaves state identical and adds no event', async () => {
    const topic = uniqueName('raw.orders.replay');
    const harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    try {
      const messages = orderStream(40, 3);
      await produce(kafka, topic, messages);
      await harness.waitForOutcomes(messages.length);
      const state = () => harness.db.collection(stateCollectionName('order')).find({}).sort({ _id: 1 }).toArray();
      const eventIds = async () => (await harness.db.collection(EVENT_LOG_COLLECTION).find({}).toArray()).map((e) => e._id).sort();
      const stateBefore = await state();
      const eventsBefore = await eventIds();
      expect(stateBefore).toHaveLength(40);
      expect(eventsBefore).toHaveLength(120);

      const replay = await harness.restart({ groupId: uniqueName('replay-group') });
      await harness.waitForOutcomes(messages.length);
      // The last change of each key is a duplicate of what is stored; the earlier ones are stale.
      expect(replay.stats.outcomes).toMatchObject({ applied: 0, duplicate: 40, stale: 80, 'dead-lettered': 0 });
      expect(await state()).toEqual(stateBefore);
      expect(await eventIds()).toEqual(eventsBefore);
    } finally {
      await harness.stop();
    }
  });

  it('older changes of a key delivered after newer ones change nothing', async () => {
    const topic = uniqueName('raw.orders.reorder');
    const harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    try {
      const change = (v: number, ord = 1) =>
        mongoChange({
          op: v === 1 ? 'c' : 'u',
          id: { $oid: oid(7) },
          tsMs: 1_700_000_000_000 + v * 1000,
          ord,
          after: { orderId: 'o-7', customer: { email: `v${v}@x.io` }, items: [] },
        });
      // Newest first, then the older ones, then an exact duplicate of the newest.
      await produce(kafka, topic, [change(3), change(1), change(2), change(3)]);
      await harness.waitForOutcomes(4);
      expect(harness.ingestion.stats.outcomes).toMatchObject({ applied: 1, stale: 2, duplicate: 1 });
      const doc = await harness.db.collection(stateCollectionName('order')).findOne({ _id: oid(7) as never });
      expect(doc!.data.customer).toEqual({ email: 'v3@x.io' });
      expect(doc!._meta.version).toBe(1);
      expect(await harness.db.collection(EVENT_LOG_COLLECTION).countDocuments()).toBe(1);
    } finally {
      await harness.stop();
    }
  });

  it('a delete is not undone by a late older change (soft delete keeps the position)', async () => {
    const topic = uniqueName('raw.orders.resurrect');
    const harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    try {
      const upsert = (v: number) =>
        mongoChange({
          op: v === 1 ? 'c' : 'u',
          id: { $oid: oid(9) },
          tsMs: 1_700_000_000_000 + v * 1000,
          ord: 1,
          after: { orderId: 'o-9', customer: { email: 'x@x.io' }, items: [] },
        });
      await produce(kafka, topic, [upsert(1), mongoChange({ op: 'd', id: { $oid: oid(9) }, tsMs: 1_700_000_005_000, ord: 1 }), upsert(2)]);
      await harness.waitForOutcomes(3);
      const doc = await harness.db.collection(stateCollectionName('order')).findOne({ _id: oid(9) as never });
      expect(doc!._meta.deleted).toBe(true);
      expect(harness.ingestion.stats.outcomes).toMatchObject({ applied: 2, stale: 1 });
    } finally {
      await harness.stop();
    }
  });

  it('poison: 1% bad events go to the dead-letter topic and collection with reasons; all good ones apply', async () => {
    const topic = uniqueName('raw.orders.poison');
    const harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    try {
      const good = orderStream(99, 4); // 396 good events
      const messages = [...good];
      const bad = [
        { key: JSON.stringify({ id: JSON.stringify({ $oid: oid(500) }) }), value: '{"op":"c","after": not json' },
        { key: JSON.stringify({ id: JSON.stringify({ $oid: oid(501) }) }), value: JSON.stringify({ hello: 'world' }) },
        // Valid envelope, but no orderId: the canonical order schema requires order_id.
        mongoChange({ op: 'c', id: { $oid: oid(502) }, tsMs: 1_700_000_000_000, ord: 1, after: { customer: { email: 'x@y.z' } } }),
        // A MongoDB envelope whose `after` is not valid Extended JSON.
        {
          key: JSON.stringify({ id: JSON.stringify({ $oid: oid(503) }) }),
          value: JSON.stringify({ op: 'c', after: '{"_id": {"$oid": ', source: { connector: 'mongodb', ts_ms: 1, ord: 1 } }),
        },
      ];
      bad.forEach((message, i) => messages.splice(50 + i * 90, 0, message));
      await produce(kafka, topic, messages);
      await harness.waitForOutcomes(messages.length);

      expect(harness.ingestion.stats.outcomes).toMatchObject({ applied: good.length, 'dead-lettered': bad.length });
      expect(await harness.db.collection(stateCollectionName('order')).countDocuments()).toBe(99);

      const letters = await harness.db.collection(DEAD_LETTER_COLLECTION).find({}).sort({ offset: 1 }).toArray();
      expect(letters).toHaveLength(bad.length);
      expect(letters.map((l) => l.code)).toEqual(expect.arrayContaining(['DECODE_FAILED', 'VALIDATION_FAILED']));
      for (const letter of letters) {
        expect(letter.message.length).toBeGreaterThan(5);
        expect(letter.topic).toBe(topic);
      }
      const dlq = await collectMessages(kafka, harness.deadLetterTopic, (m) => m.length >= bad.length);
      expect(dlq.map((m) => m.value)).toEqual(expect.arrayContaining(bad.map((b) => b.value as string)));
      for (const message of dlq) {
        expect(message.headers!['canonql-error-code']!.toString()).toMatch(/^[A-Z_]+$/);
        expect(message.headers!['canonql-original-topic']!.toString()).toBe(topic);
        expect(Number(message.headers!['canonql-original-offset']!.toString())).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await harness.stop();
    }
  });
});
