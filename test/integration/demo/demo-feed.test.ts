import type { Client as PgClient } from 'pg';
import { AppError } from '../../../src/errors';
import { startDemoFeed, type DemoFeed } from '../../../src/demo/demo-feed';
import { stateCollectionName } from '../../../src/state/entity-store';
import { startPostgresCapture } from '../../support/debezium-connector';
import { specFromFile, startIngestionHarness } from '../../support/ingestion-harness';
import { collectMessages, type CollectedMessage } from '../../support/kafka-messages';
import { createLeftovers, testConfig, testKafka, testPostgres, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { captureLogger, replay, seededRandom, specFromRepo } from './demo-support';

/**
 * The demo feed against the real stack, with its own topic and table: the order events it
 * produces decode, map (specs/order.json) and validate (schema/canonical/order.schema.json) with
 * no failure; it really changes the PostgreSQL table, Debezium turns those changes into events
 * that the customer spec maps into valid customers; stop() halts both.
 */
describe('demo feed (development mode)', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  let pg: PgClient;

  beforeAll(async () => {
    pg = await testPostgres();
    leftovers.add(() => pg.end());
  });
  afterAll(() => leftovers.dispose());

  async function endOffset(topic: string): Promise<string> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).map((p) => `${p.partition}:${p.high}`).join(',');
    } finally {
      await admin.disconnect();
    }
  }

  /** Every message of a topic whose producer has stopped, up to its end offsets. */
  async function collectAll(topic: string): Promise<CollectedMessage[]> {
    const admin = kafka.admin();
    await admin.connect();
    const total = await admin
      .fetchTopicOffsets(topic)
      .then((offsets) => offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0))
      .finally(() => admin.disconnect());
    return collectMessages(kafka, topic, (m) => m.length >= total);
  }

  async function tableSnapshot(table: string): Promise<string> {
    const rows = await pg.query(`SELECT id, email, name, balance::text, tier, updated_at FROM ${table} ORDER BY id`);
    return JSON.stringify(rows.rows);
  }

  describe('feeding a fresh topic and a missing table', () => {
    const topic = uniqueName('raw.mongo.orders');
    const table = `public.${uniqueName('demo_customers')}`;
    const { logger, lines } = captureLogger();
    let feed: DemoFeed;
    let messages: CollectedMessage[];
    let handRow: Record<string, unknown>;

    beforeAll(async () => {
      leftovers.add(() => pg.query(`DROP TABLE IF EXISTS ${table}`));
      leftovers.add(async () => {
        const admin = kafka.admin();
        await admin.connect();
        await admin.deleteTopics({ topics: [topic] }).finally(() => admin.disconnect());
      });
      feed = await startDemoFeed({
        kafka,
        sourcePostgresUrl: testConfig.sourcePostgresUrl,
        ordersTopic: topic,
        intervalMs: 100,
        logger,
        random: seededRandom(11),
        customersTable: table,
      });
      leftovers.add(() => feed.stop());
      // A row somebody typed in with psql: the feed must leave it alone.
      await waitFor('the feed to create its table', async () => (await pg.query('SELECT to_regclass($1) AS t', [table])).rows[0].t !== null);
      handRow = (await pg.query(`INSERT INTO ${table} (email, name, balance, tier) VALUES ('ada@example.com', 'Ada', 10.50, 'gold') RETURNING *`)).rows[0];
      await waitFor(
        'a few seconds of events',
        () => {
          const s = feed.stats();
          return s.orderEvents >= 40 && s.customerChanges >= 20;
        },
        { timeoutMs: 30000 },
      );
      await feed.stop();
      messages = await collectAll(topic);
    });

    it('produces order events that decode, map with specs/order.json and validate as canonical orders', () => {
      const spec = specFromRepo('order.json', topic);
      const result = replay(topic, spec, messages);
      expect(result.failures).toEqual([]);
      expect(result.positions.length).toBe(feed.stats().orderEvents);
      expect(result.kinds.c).toBeGreaterThan(0);
      expect((result.kinds.u ?? 0) + (result.kinds['u-patch'] ?? 0)).toBeGreaterThan(0);
      expect(result.kinds.tombstone ?? 0).toBe(result.kinds.d ?? 0);
      expect(result.state.size).toBeGreaterThan(0);
      // Positions grow with every event: canonql never takes one for a duplicate or a stale change.
      for (let i = 1; i < result.positions.length; i += 1) expect(result.positions[i]! > result.positions[i - 1]!).toBe(true);
    });

    it('creates the missing table with the demo DDL and full replica identity, and changes its rows', async () => {
      const columns = await pg.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table.split('.')[1]],
      );
      expect(columns.rows.map((c) => `${c.column_name} ${c.data_type}`)).toEqual([
        'id integer',
        'email text',
        'name text',
        'balance numeric',
        'tier text',
        'created_at timestamp with time zone',
        'updated_at timestamp with time zone',
      ]);
      expect((await pg.query('SELECT relreplident FROM pg_class WHERE oid = $1::regclass', [table])).rows[0].relreplident).toBe('f');

      const rows = (await pg.query(`SELECT * FROM ${table} WHERE email LIKE '%demo.example%'`)).rows;
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.some((r) => r.updated_at.getTime() > r.created_at.getTime())).toBe(true);
      expect(feed.stats().customerChanges).toBeGreaterThanOrEqual(rows.length);
      // The hand-written row is untouched.
      expect((await pg.query(`SELECT * FROM ${table} WHERE id = $1`, [handRow.id])).rows[0]).toEqual(handRow);
    });

    it('stops: no order event and no row change after stop()', async () => {
      const stats = feed.stats();
      const offsets = await endOffset(topic);
      const snapshot = await tableSnapshot(table);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(feed.stats()).toEqual(stats);
      expect(await endOffset(topic)).toBe(offsets);
      expect(await tableSnapshot(table)).toBe(snapshot);
      await feed.stop(); // idempotent
      expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
      expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'demo feed stopped', orderEvents: stats.orderEvents, customerChanges: stats.customerChanges });
    });
  });

  it('customer changes become Debezium events that specs/customer.json maps into valid customers', async () => {
    const table = `public.${uniqueName('demo_customers')}`;
    const { logger } = captureLogger('warn');
    const options = {
      kafka,
      sourcePostgresUrl: testConfig.sourcePostgresUrl,
      ordersTopic: uniqueName('raw.mongo.orders'),
      intervalMs: 50,
      logger,
      customersTable: table,
    };
    leftovers.add(() => pg.query(`DROP TABLE IF EXISTS ${table}`));
    // First run: the feed creates the table and writes a few rows, which Debezium's snapshot
    // then reads. Waiting for rows, not only the table: a feed stopped before its first insert
    // left an empty table, and a snapshot of nothing has no `r` event to count.
    // The feed also deletes customers: one deleted between the count and the stop can leave the
    // table empty again, so the feed runs again (on the same table) until it stops with rows.
    const rows = async () => (await pg.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
    let snapshotRows = 0;
    for (let run = 1; snapshotRows === 0; run += 1) {
      if (run > 5) throw new Error(`the demo feed stopped with an empty ${table} five times`);
      const first = await startDemoFeed(options);
      await waitFor('the table', async () => (await pg.query('SELECT to_regclass($1) AS t', [table])).rows[0].t !== null);
      await waitFor('rows in the table', async () => (await rows()) > 0);
      await first.stop();
      snapshotRows = await rows();
    }
    const capture = await startPostgresCapture([table]);
    leftovers.add(() => capture.stop());

    const feed = await startDemoFeed(options);
    leftovers.add(() => feed.stop());
    await waitFor('customer changes', () => feed.stats().customerChanges >= 30, { timeoutMs: 30000 });
    await feed.stop();

    const messages = await collectMessages(
      kafka,
      capture.topicFor(table),
      (m) => m.filter((x) => x.value !== null).length >= snapshotRows + feed.stats().customerChanges,
    );
    const result = replay(capture.topicFor(table), specFromRepo('customer.json', capture.topicFor(table)), messages);
    expect(result.failures).toEqual([]);
    expect(result.kinds.r).toBe(snapshotRows);
    expect((result.kinds.c ?? 0) + (result.kinds.u ?? 0) + (result.kinds.d ?? 0)).toBe(feed.stats().customerChanges);
    expect(result.kinds.c).toBeGreaterThan(0);
    expect(result.kinds.u).toBeGreaterThan(0);
    const customers = [...result.state.values()];
    expect(customers.length).toBeGreaterThan(0);
    for (const customer of customers) {
      expect(customer).toMatchObject({
        customerId: expect.stringMatching(/^\d+$/),
        email: expect.stringMatching(/^[a-z0-9.]+@[a-z]+\.demo\.example$/),
        tier: expect.stringMatching(/^(GOLD|SILVER|BRONZE|STANDARD)$/),
      });
      expect(customer.balance).toMatch(/^\d+\.\d{2}$/);
    }
  });

  it('live: canonql ingestion applies every order event of the running feed, with no dead letter', async () => {
    const topic = uniqueName('raw.mongo.orders');
    const table = `public.${uniqueName('demo_customers')}`;
    leftovers.add(() => pg.query(`DROP TABLE IF EXISTS ${table}`));
    const { logger } = captureLogger('warn');
    const feed = await startDemoFeed({
      kafka,
      sourcePostgresUrl: testConfig.sourcePostgresUrl,
      ordersTopic: topic,
      intervalMs: 50,
      logger,
      customersTable: table,
    });
    leftovers.add(() => feed.stop());
    const harness = await startIngestionHarness([specFromFile('order.json', topic)]);
    leftovers.add(() => harness.stop());
    await waitFor('order events', () => feed.stats().orderEvents >= 60, { timeoutMs: 30000 });
    await feed.stop();

    const messages = await collectAll(topic);
    expect(messages.filter((m) => m.value !== null)).toHaveLength(feed.stats().orderEvents);
    const tombstones = messages.filter((m) => m.value === null).length;
    await harness.waitForOutcomes(messages.length);
    expect(harness.ingestion.stats.outcomes).toEqual({ applied: feed.stats().orderEvents, duplicate: 0, stale: 0, skipped: tombstones, 'dead-lettered': 0 });
    const live = replay(topic, specFromRepo('order.json', topic), messages).state;
    const stored = await harness.db.collection(stateCollectionName('order')).find({ '_meta.deleted': false }).toArray();
    expect(stored.length).toBe(live.size);
    for (const entity of stored) expect(entity.data).toEqual(live.get(String(entity._id)));
  });

  it('keeps feeding orders while PostgreSQL is unreachable, logs the failure once, and stops cleanly', async () => {
    const { logger, lines } = captureLogger('info');
    const topic = uniqueName('raw.mongo.orders');
    const feed = await startDemoFeed({
      kafka,
      sourcePostgresUrl: 'postgres://postgres@127.0.0.1:1/nowhere',
      ordersTopic: topic,
      intervalMs: 50,
      logger,
      customersTable: uniqueName('demo_customers'),
    });
    leftovers.add(() => feed.stop());
    await waitFor('order events', () => feed.stats().orderEvents >= 10, { timeoutMs: 30000 });
    await feed.stop();
    expect(feed.stats().customerChanges).toBe(0);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/customers .* failed; retrying every tick/);
  });

  it('refuses invalid options', async () => {
    const { logger } = captureLogger('silent');
    const base = { kafka, sourcePostgresUrl: testConfig.sourcePostgresUrl, ordersTopic: 'raw.mongo.orders', intervalMs: 1000, logger };
    await expect(startDemoFeed({ ...base, intervalMs: 0 })).rejects.toThrow(AppError);
    await expect(startDemoFeed({ ...base, customersTable: 'public.customers; DROP TABLE x' })).rejects.toThrow(/schema\.table/);
    await expect(startDemoFeed({ ...base, ordersTopic: 'bad topic' })).rejects.toThrow(/ordersTopic/);
  });
});
