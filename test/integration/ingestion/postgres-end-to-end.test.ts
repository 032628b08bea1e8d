import crypto from 'node:crypto';
import { canonicalTopic } from '../../../src/events/canonical-event';
import { EVENT_LOG_COLLECTION } from '../../../src/events/event-log';
import { stateCollectionName } from '../../../src/state/entity-store';
import { startPostgresCapture } from '../../support/debezium-connector';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { collectMessages, waitForTopic } from '../../support/kafka-messages';
import { createLeftovers, testKafka, testPostgres, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * Real Debezium end to end: rows changed in PostgreSQL travel through the Debezium connector and
 * Kafka into canonical `customer` state and the canonical topic.
 */
describe('PostgreSQL → Debezium → canonical customer', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const table = uniqueName('customers');
  let harness: IngestionHarness;
  let pg: Awaited<ReturnType<typeof testPostgres>>;
  const customer = async (id: number) => harness.db.collection(stateCollectionName('customer')).findOne({ _id: String(id) as never });

  beforeAll(async () => {
    pg = await testPostgres();
    leftovers.add(() => pg.end());
    await pg.query(`CREATE TABLE public.${table} (
      id serial PRIMARY KEY, email text, name text, balance numeric(12,2), tier text,
      created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now())`);
    leftovers.add(() => pg.query(`DROP TABLE IF EXISTS public.${table}`));
    const capture = await startPostgresCapture([`public.${table}`]);
    leftovers.add(() => capture.stop());
    const topic = capture.topicFor(`public.${table}`);
    // Debezium creates the topic with the first change; a warm-up row makes it exist.
    await pg.query(`INSERT INTO public.${table} (id, email, tier, balance) VALUES (1000, 'warm@up.io', 'gold', 0)`);
    await waitForTopic(kafka, topic);
    harness = await startIngestionHarness([specFromFile('customer.json', topic)]);
    leftovers.add(() => harness.stop());
    await waitFor('warm-up customer', () => customer(1000));
  });
  afterAll(() => leftovers.dispose());

  it('INSERT, UPDATE and DELETE reach canonical state and the canonical topic', async () => {
    await pg.query(`INSERT INTO public.${table} (id, email, name, balance, tier) VALUES (1, '  Ada@Example.COM ', 'Ada', 1234567890.05, 'gold')`);
    const created = await waitFor('created customer', async () => (await customer(1)) ?? undefined);
    expect(created.data).toMatchObject({ email: 'ada@example.com', name: 'Ada', balance: '1234567890.05', tier: 'GOLD' });
    expect(created._meta.position).toMatch(/^pg:\d{20}$/);

    await pg.query(`UPDATE public.${table} SET tier = 'platinum', balance = balance + 0.10 WHERE id = 1`);
    const updated = await waitFor('updated customer', async () => {
      const doc = await customer(1);
      return doc && doc._meta.version === 2 ? doc : undefined;
    });
    expect(updated.data).toMatchObject({ balance: '1234567890.15', tier: 'STANDARD' });

    await pg.query(`DELETE FROM public.${table} WHERE id = 1`);
    const deleted = await waitFor('deleted customer', async () => {
      const doc = await customer(1);
      return doc?._meta.deleted ? doc : undefined;
    });
    expect(deleted._meta.version).toBe(3);

    const messages = await collectMessages(kafka, canonicalTopic('customer', harness.topicPrefix), (m) => m.filter((x) => x.key === '1').length >= 3);
    expect(messages.filter((m) => m.key === '1').map((m) => JSON.parse(m.value!).op)).toEqual(['CREATE', 'UPDATE', 'DELETE']);
  });

  it('a primary-key change (delete + tombstone + create) leaves exactly one live entity', async () => {
    await pg.query(`INSERT INTO public.${table} (id, email, tier, balance) VALUES (10, 'pk@x.io', 'gold', 1)`);
    await waitFor('customer 10', async () => (await customer(10)) ?? undefined);
    await pg.query(`UPDATE public.${table} SET id = 11 WHERE id = 10`);
    const moved = await waitFor('customer 11', async () => (await customer(11)) ?? undefined);
    const old = await waitFor('customer 10 deleted', async () => {
      const doc = await customer(10);
      return doc?._meta.deleted ? doc : undefined;
    });
    expect(moved.data).toMatchObject({ customerId: '11', email: 'pk@x.io' });
    expect(moved._meta.deleted).toBe(false);
    expect(old.data).toMatchObject({ customerId: '10' });
    const live = await harness.db.collection(stateCollectionName('customer')).countDocuments({ 'data.email': 'pk@x.io', '_meta.deleted': false });
    expect(live).toBe(1);
  });

  it('an unchanged TOASTed column (Debezium placeholder) never overwrites the stored value', async () => {
    const big = crypto.randomBytes(12000).toString('hex'); // incompressible: stored out of line (TOAST)
    // Default replica identity: PostgreSQL does not log unchanged TOASTed values on UPDATE, and
    // Debezium sends "__debezium_unavailable_value" in their place.
    await pg.query(`ALTER TABLE public.${table} REPLICA IDENTITY DEFAULT`);
    try {
      await pg.query(`INSERT INTO public.${table} (id, email, name, tier, balance) VALUES (2, 'toast@x.io', $1, 'silver', 5)`, [big]);
      await waitFor('toasted customer', () => customer(2));
      await pg.query(`UPDATE public.${table} SET balance = 6 WHERE id = 2`);
      const doc = await waitFor('toasted customer updated', async () => {
        const d = await customer(2);
        return d && d._meta.version === 2 ? d : undefined;
      });
      expect(doc.data.balance).toBe('6.00');
      expect(doc.data.name).toBe(big);
    } finally {
      await pg.query(`ALTER TABLE public.${table} REPLICA IDENTITY FULL`);
    }
  });

  it('measures source-commit-to-canonical-state latency', async () => {
    await pg.query(`INSERT INTO public.${table} (id, email, tier, balance) VALUES (3, 'lat@x.io', 'bronze', 0)`);
    await waitFor('latency customer', () => customer(3));
    const commits: number[] = [];
    const rounds = 40;
    for (let i = 1; i <= rounds; i += 1) {
      await pg.query(`UPDATE public.${table} SET balance = $1 WHERE id = 3`, [i]);
      commits.push(Date.now());
      await waitFor(`version ${i + 1}`, async () => ((await customer(3))?._meta.version ?? 0) >= i + 1, { intervalMs: 2 });
    }
    const events = await harness.db
      .collection(EVENT_LOG_COLLECTION)
      .find({ subject: 'customer', key: '3', version: { $gte: 2 } })
      .sort({ version: 1 })
      .toArray();
    expect(events).toHaveLength(rounds);
    const latencies = events.map((e, i) => Date.parse(e.ingestedAt) - commits[i]!).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`[measure] PostgreSQL commit -> canonical state (${rounds} updates): p50 ${p50} ms, p99 ${p99} ms, max ${latencies[latencies.length - 1]} ms`);
    // Causality check on the measurement itself: nothing can be applied before its commit.
    expect(latencies[0]).toBeGreaterThanOrEqual(0);
  });
});
