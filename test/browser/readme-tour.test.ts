import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClient } from 'graphql-ws';
import { Pool } from 'pg';
import WebSocket from 'ws';
import { SETTINGS } from '../../src/config';
import { createDemoCustomers } from '../../src/demo/demo-customers';
import { createDemoOrders } from '../../src/demo/demo-orders';
import { startPostgresCapture } from '../support/debezium-connector';
import { specFromFile } from '../support/ingestion-harness';
import { readMarkdown } from '../support/markdown';
import { seededRandom } from '../support/seeded-random';
import { createLeftovers, testConfig, uniqueName } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { docsScreenshot } from './support/chromium';
import { openStudioBrowser, type StudioBrowser } from './support/studio-page';
import { startStudioTarget, type StudioTarget } from './support/studio-target';

/**
 * The README's 5-minute tour, executed from the README itself: its fenced blocks are this test's
 * input, run as written (the psql commands by a shell, the GraphQL documents against a full
 * canonql on the real stack), so the tour cannot drift from what the product does.
 *
 * What differs from a person following it: this canonql has its own database, topics and port
 * (the GraphQL documents name none), and the psql commands run with
 * `PGOPTIONS=-c search_path=<schema of its own>`, so the `customers` they write is a table of this
 * test, captured by its own Debezium connector, not the shared demo table.
 */
jest.setTimeout(240_000);

const run = promisify(execFile);
const TOUR_SECTION = 'A 5-minute tour';

describe('the README tour, executed as written', () => {
  const readme = readMarkdown('README.md');
  const tour = readme.fences.filter((fence) => fence.section === TOUR_SECTION);
  const leftovers = createLeftovers();
  const schema = uniqueName('tour');
  const ordersTopic = uniqueName('raw.mongo.orders');
  let target: StudioTarget;
  let browser: StudioBrowser;

  /** Runs a shell snippet of the tour as written, against this test's own `customers` table. */
  const shell = async (snippet: string) => {
    const password = new URL(testConfig.sourcePostgresUrl).password;
    return run('sh', ['-c', snippet], {
      env: {
        ...process.env,
        PGOPTIONS: `-c search_path=${schema}`,
        PGCONNECT_TIMEOUT: '10',
        ...(password ? { PGPASSWORD: decodeURIComponent(password) } : {}),
      },
      timeout: 60_000,
    });
  };

  it('has the five steps: insert, query, subscribe + update, metric (and the studio)', () => {
    expect(tour.map((fence) => fence.lang)).toEqual(['sh', 'graphql', 'graphql', 'sh', 'graphql']);
    expect(tour[0]!.content).toMatch(/^psql \S+ -c "INSERT INTO customers /);
    expect(tour[3]!.content).toMatch(/^psql \S+ -c "UPDATE customers /);
    // The URLs it names are those of a default `npm start`.
    const port = SETTINGS.find((s) => s.name === 'CANONQL_HTTP_PORT')!.default;
    expect(readme.links.map((l) => l.href)).toEqual(expect.arrayContaining([`http://127.0.0.1:${port}/graphql`, `http://127.0.0.1:${port}/studio`]));
  });

  describe('against a running canonql', () => {
    beforeAll(async () => {
      // The demo table (same DDL as `npm start`'s), in a schema of this test, captured by Debezium.
      const pool = new Pool({ connectionString: testConfig.sourcePostgresUrl, max: 1 });
      leftovers.add(() => pool.end());
      await pool.query(`CREATE SCHEMA ${schema}`);
      leftovers.add(() => pool.query(`DROP SCHEMA ${schema} CASCADE`));
      await createDemoCustomers({ pool, table: `${schema}.customers`, random: seededRandom(1) }).ensureTable();
      const capture = await startPostgresCapture([`${schema}.customers`]);
      leftovers.add(() => capture.stop());
      target = await startStudioTarget({
        specs: [specFromFile('customer.json', capture.topicFor(`${schema}.customers`)), specFromFile('order-v2.json', ordersTopic)],
      });
      leftovers.add(() => target.stop());
      // What the demo feed would have produced: a few orders, for the metric, placed by the
      // customer the tour inserts (the feed places its orders for the table's customers).
      await target.produce(ordersTopic, createDemoOrders({ random: seededRandom(7) }).next(12, [{ email: 'ada@example.com', name: 'Ada Lovelace' }]).messages);
      browser = await openStudioBrowser(target.baseUrl, 'tour');
      leftovers.add(() => browser.close());
    });
    afterAll(() => leftovers.dispose());

    interface Customer {
      customerId: string;
      name: string;
      tier: string;
      balance: string;
    }

    it('1–2: the inserted row is queried as a canonical customer, mapped by specs/customer.json', async () => {
      await shell(tour[0]!.content);
      const data = await waitFor(
        'the inserted customer',
        async () => {
          const result = await target.gql<{ customers: { edges: { node: Customer }[] } }>(tour[1]!.content);
          expect(result.errors).toBeUndefined();
          return result.data!.customers.edges.length > 0 ? result.data! : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(data.customers.edges.map((e) => e.node)).toEqual([
        { customerId: expect.stringMatching(/^\d+$/), name: 'Ada Lovelace', tier: 'GOLD', balance: '10.50' },
      ]);
    });

    it('3: the subscription receives the update made with psql', async () => {
      const client = createClient({ url: target.app.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
      leftovers.add(async () => {
        await client.dispose();
      });
      const events: unknown[] = [];
      const errors: unknown[] = [];
      client.subscribe({ query: tour[2]!.content }, { next: (value) => events.push(value), error: (error) => errors.push(error), complete: () => undefined });
      // The subscription is live once the process's change feed counts its subscriber.
      await waitFor('the subscription to be live', async () => {
        const text = await (await fetch(`${target.baseUrl}/metrics`)).text();
        return /^canonql_change_feed_subscribers [1-9]/m.test(text);
      });
      await shell(tour[3]!.content);
      // State is written before the change is published, so the insert's CREATE may still be on
      // its way to the change feed when the subscription starts: it may arrive first, and only it.
      type Change = { data?: { customerChanged?: { op?: string } } };
      const isUpdate = (event: unknown) => (event as Change).data?.customerChanged?.op === 'UPDATE';
      await waitFor('the update event', () => events.some(isUpdate), { timeoutMs: 60_000 });
      expect(errors).toEqual([]);
      const update = events.findIndex(isUpdate);
      for (const earlier of events.slice(0, update)) {
        expect(earlier).toEqual({
          data: { customerChanged: { op: 'CREATE', changedFields: expect.any(Array), node: { name: 'Ada Lovelace', tier: 'GOLD', balance: '10.50' } } },
        });
      }
      expect(events[update]).toEqual({
        data: {
          customerChanged: {
            op: 'UPDATE',
            changedFields: expect.arrayContaining(['tier', 'balance']),
            node: { name: 'Ada Lovelace', tier: 'SILVER', balance: '99.95' },
          },
        },
      });
    });

    it('4: the metric query sums line price × quantity of the orders, exactly', async () => {
      const orders = await waitFor('the orders', async () => {
        const data = await target.ok<{ orders: { totalCount: number; edges: { node: { line_items: { price: string; qty: number }[] } }[] } }>(
          '{ orders(first: 100) { totalCount edges { node { line_items { price qty } } } } }',
        );
        return data.orders.totalCount > 0 ? data.orders.edges.map((e) => e.node) : undefined;
      });
      // Money in cents, computed here independently of canonql's decimal code ("186" is 18600).
      const cents = (decimal: string) => {
        const [whole = '', fraction = ''] = decimal.split('.');
        expect(fraction.length).toBeLessThanOrEqual(2);
        return BigInt(whole + fraction.padEnd(2, '0'));
      };
      const expected = orders.flatMap((o) => o.line_items).reduce((sum, line) => sum + cents(line.price) * BigInt(line.qty), 0n);
      const buckets = await waitFor(
        'the metric to count every order line',
        async () => {
          const result = await target.gql<{ ordersMetric: { start: string; dimensions: { region: string }; count: number; sum: string }[] }>(tour[4]!.content);
          expect(result.errors).toBeUndefined();
          const total = result.data!.ordersMetric.reduce((sum, bucket) => sum + cents(bucket.sum), 0n);
          return total === expected ? result.data!.ordersMetric : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(buckets.length).toBeGreaterThan(0);
      for (const bucket of buckets) expect(Object.keys(bucket.dimensions)).toEqual(['region']);
    });

    it("2 (the explorer): the pre-filled query shows each order's customer account resolved", async () => {
      const { page } = browser;
      await page.goto(`${target.baseUrl}/graphql`);
      await page.waitForSelector('.graphiql-container');
      await page.click('button.graphiql-execute-button');
      // The response pane shows the first order's customer, resolved to the canonical customer.
      await page.waitForFunction(
        () =>
          (
            (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector(
              '.graphiql-response',
            )?.textContent ?? ''
          ).includes('"account"'),
        undefined,
        { timeout: 30_000 },
      );
      const shown = await page.locator('.graphiql-response').innerText();
      expect(shown).toMatch(/"account":\s*\{\s*"name":\s*"Ada Lovelace"/);
      await page.setViewportSize({ width: 1280, height: 800 });
      await page
        .locator('.graphiql-response .CodeMirror-line', { hasText: '"orders"' })
        .first()
        .evaluate((line) => (line as unknown as { scrollIntoView(o: unknown): void }).scrollIntoView({ block: 'start' }));
      await docsScreenshot(page, 'explorer');
    });

    it('5: the studio shows the raw order topic with the fields discovery inferred', async () => {
      const { page } = browser;
      await waitFor(
        'the order topic in the studio',
        async () => {
          await page.goto(`${target.baseUrl}/studio`);
          await page.waitForSelector('body[data-ready="true"]');
          return (await page.locator(`#topic-select option[value="${ordersTopic}"]`).count()) > 0;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      await page.selectOption('#topic-select', ordersTopic);
      await page.waitForFunction(() =>
        (
          (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector(
            '#raw-fields tbody',
          )?.textContent ?? ''
        ).includes('orderId'),
      );
      await browser.screenshot('studio');
      expect(browser.offOrigin).toEqual([]);
      expect(browser.pageErrors).toEqual([]);
    });
  });
});
