import type { Client as PgClient } from 'pg';
import { startDemoFeed } from '../../../src/demo/demo-feed';
import { EVENT_LOG_COLLECTION, eventOfLogged, type LoggedEvent } from '../../../src/events/event-log';
import { DEMO_QUERY } from '../../../src/graphql/demo-query';
import { startApiHarness } from '../../support/api-harness';
import { startPostgresCapture } from '../../support/debezium-connector';
import { specFromFile, startIngestionHarness } from '../../support/ingestion-harness';
import { createLeftovers, testConfig, testKafka, testPostgres, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { captureLogger, seededRandom } from './demo-support';

/**
 * The demo's two sources join: the order feed places orders for customers of the PostgreSQL demo
 * table, so once both are ingested (customers through Debezium, orders as MongoDB-connector
 * events) the explorer's pre-filled query shows `order.customer.account` resolved.
 */
describe('demo data relations', () => {
  const leftovers = createLeftovers();
  let pg: PgClient;

  beforeAll(async () => {
    pg = await testPostgres();
    leftovers.add(() => pg.end());
  });
  afterAll(() => leftovers.dispose());

  it('orders are placed by demo customers, and the pre-filled explorer query resolves order.customer.account', async () => {
    const table = `public.${uniqueName('demo_customers')}`;
    const topic = uniqueName('raw.mongo.orders');
    leftovers.add(() => pg.query(`DROP TABLE IF EXISTS ${table}`));
    const { logger } = captureLogger('warn');
    const options = { kafka: testKafka(), sourcePostgresUrl: testConfig.sourcePostgresUrl, ordersTopic: topic, intervalMs: 50, logger, customersTable: table };

    // The feed creates its table; Debezium captures it from then on (snapshot, then changes). This
    // first run's orders go to a topic nothing reads: they may name a customer's e-mail the feed
    // changed before the capture's snapshot, which no customer event then carries.
    const first = await startDemoFeed({ ...options, ordersTopic: uniqueName('raw.mongo.orders_unread'), random: seededRandom(5) });
    await waitFor('the table', async () => (await pg.query('SELECT to_regclass($1) AS t', [table])).rows[0].t !== null);
    await first.stop();
    const capture = await startPostgresCapture([table]);
    leftovers.add(() => capture.stop());
    const harness = await startIngestionHarness([specFromFile('order.json', topic), specFromFile('customer.json', capture.topicFor(table))]);
    leftovers.add(() => harness.stop());
    const feed = await startDemoFeed({ ...options, random: seededRandom(6) });
    leftovers.add(() => feed.stop());
    await waitFor('order events and customer changes', () => feed.stats().orderEvents >= 40 && feed.stats().customerChanges >= 20, { timeoutMs: 60_000 });
    await feed.stop();

    const api = await startApiHarness(harness.db);
    leftovers.add(() => api.stop());
    type Customer = { email: string; name: string | null };
    // Every row of the table is a live canonical customer (e-mails trimmed and lower-cased by the spec).
    const rows = (await pg.query<Customer>(`SELECT lower(btrim(email)) AS email, name FROM ${table}`)).rows;
    const customers = await waitFor(
      'every customer row to be ingested',
      async () => {
        const result = await api.query<{ customers: { totalCount: number; edges: { node: Customer }[] } }>(
          '{ customers(first: 100) { totalCount edges { node { email name } } } }',
        );
        const nodes = result.data!.customers.edges.map((e) => e.node);
        const emails = nodes.map((n) => n.email).sort();
        return result.data!.customers.totalCount === rows.length && JSON.stringify(emails) === JSON.stringify(rows.map((r) => r.email).sort())
          ? nodes
          : undefined;
      },
      { timeoutMs: 60_000 },
    );

    // Each order's e-mail is one a demo customer had when the order was placed (any version of the row).
    const everCustomerEmails = new Set(
      (await harness.db.collection<LoggedEvent>(EVENT_LOG_COLLECTION).find({ subject: 'customer' }).toArray())
        .map((doc) => eventOfLogged(doc).after?.email)
        .filter((email): email is string => typeof email === 'string'),
    );
    const orders = await waitFor('orders to be ingested', async () => {
      const result = await api.query<{ orders: { totalCount: number; edges: { node: { customer: { email: string | null } | null } }[] } }>(
        '{ orders(first: 100) { totalCount edges { node { customer { email } } } } }',
      );
      return result.data!.orders.totalCount > 0 ? result.data!.orders.edges.map((e) => e.node) : undefined;
    });
    for (const order of orders) expect(everCustomerEmails).toContain(order.customer!.email);

    // The explorer's pre-filled query: each order's account is the live customer with its e-mail.
    const demo = await api.query<{ orders: { edges: { node: { customer: { email: string; account: Customer | null } } }[] } }>(DEMO_QUERY);
    expect(demo.errors).toBeUndefined();
    const shown = demo.data!.orders.edges.map((e) => e.node.customer);
    expect(shown.length).toBeGreaterThan(0);
    for (const { email, account } of shown) {
      const live = customers.filter((c) => c.email === email);
      if (live.length === 0)
        expect(account).toBeNull(); // the customer has left or changed address since
      else expect(live.map((c) => c.name)).toContain(account!.name);
    }
    expect(shown.filter((c) => c.account !== null).length).toBeGreaterThanOrEqual(Math.ceil(shown.length / 2));
  });
});
