import { specFromFile } from '../support/ingestion-harness';
import { mongoChange, tombstone } from '../support/debezium-messages';
import { uniqueName } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { docsScreenshot } from './support/chromium';
import { openStudioBrowser, type StudioBrowser } from './support/studio-page';
import { startStudioTarget, type StudioTarget } from './support/studio-target';

/**
 * The landing page at `/` in headless Debian chromium against a full canonql on the real stack:
 * it shows what runs (a subject's live and deleted counts, events, freshness and lag as
 * `subjectStatus` reports them, the active spec and metric), links to every other page, and the
 * explorer and the studio link to each other and home. Nothing is loaded from another origin.
 */
jest.setTimeout(180_000);

const topic = uniqueName('raw.mongo.orders');
const spec = specFromFile('order.json', topic);
const orderId = (n: number) => ({ $oid: n.toString(16).padStart(24, '0') });
const created = (n: number) =>
  mongoChange({
    op: 'c',
    id: orderId(n),
    tsMs: 1_700_000_000_000 + n,
    ord: 1,
    after: { orderId: `o-${n}`, customer: { email: `c${n}@example.io` }, items: [{ sku: 'sku-1', qty: 1, price: '2.50' }] },
  });

interface Status {
  liveEntities: number;
  deletedEntities: number;
  events: number;
  lag: number | null;
  lastIngestedAt: string | null;
}

describe('the landing page', () => {
  let target: StudioTarget;
  let browser: StudioBrowser;
  let status: Status;

  beforeAll(async () => {
    target = await startStudioTarget({ specs: [spec] });
    // Two orders created, the first deleted (with its tombstone): one live, one deleted, three events.
    await target.produce(topic, [created(1), created(2)]);
    const deleted = mongoChange({ op: 'd', id: orderId(1), tsMs: 1_700_000_000_100, ord: 1 });
    await target.produce(topic, [deleted, tombstone(deleted.key as string)]);
    status = await waitFor(
      'the order subject to show 1 live and 1 deleted entity',
      async () => {
        const data = await target.ok<{ subjectStatus: Status }>(
          '{ subjectStatus(subject: "order") { liveEntities deletedEntities events lag lastIngestedAt } }',
        );
        const s = data.subjectStatus;
        return s.liveEntities === 1 && s.deletedEntities === 1 && s.events === 3 && s.lag === 0 ? s : undefined;
      },
      { timeoutMs: 90_000 },
    );
    browser = await openStudioBrowser(target.baseUrl, 'landing');
  });

  afterAll(async () => {
    await browser?.close();
    await target?.stop();
  });

  it('answers / with a page under the same-origin policy of the studio', async () => {
    const [home, studio] = await Promise.all([fetch(`${target.baseUrl}/`), fetch(`${target.baseUrl}/studio`)]);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(home.headers.get('content-security-policy')).toBe(studio.headers.get('content-security-policy'));
    expect(home.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('shows each subject with the counts, freshness and lag of subjectStatus', async () => {
    const { page } = browser;
    await page.goto(`${target.baseUrl}/`);
    const cell = (subject: string, field: string) => page.locator(`#subjects tr[data-subject="${subject}"] [data-field="${field}"]`).innerText();
    expect(await cell('order', 'live')).toBe(String(status.liveEntities));
    expect(await cell('order', 'deleted')).toBe(String(status.deletedEntities));
    expect(await cell('order', 'events')).toBe(String(status.events));
    expect(await cell('order', 'lag')).toBe('0');
    expect(await page.locator('#subjects tr[data-subject="order"] [data-field="last-ingested"] time').getAttribute('datetime')).toBe(
      new Date(status.lastIngestedAt!).toISOString(),
    );
    expect(await cell('order', 'last-ingested')).toMatch(/ago|now/);
    expect(await cell('order', 'specs')).toBe(`${spec.mappingId} v1`);
    // The seed's customer subject is served but nothing feeds it here.
    expect(await cell('customer', 'live')).toBe('0');
    expect(await cell('customer', 'specs')).toBe('no active spec');
    expect(await page.locator('#roles').innerText()).toBe('ingest, api');
    await browser.screenshot('home');
    await docsScreenshot(page, 'landing');
  });

  it('lists the active specs with their topics, and the active metrics', async () => {
    const { page } = browser;
    const specRow = page.locator('#specs tbody tr', { hasText: spec.mappingId });
    expect(await specRow.innerText()).toContain(topic);
    expect(await page.locator('#metric-definitions tbody').innerText()).toContain('order-amount');
  });

  it('links to the explorer, the studio, /metrics and the health routes, which all answer', async () => {
    const { page } = browser;
    const hrefs = await page
      .locator('.endpoints a')
      .evaluateAll((links) => links.map((a) => (a as unknown as { getAttribute(n: string): string }).getAttribute('href')));
    expect(hrefs).toEqual(['/graphql', '/studio', '/metrics', '/healthz', '/readyz']);
    for (const href of ['/metrics', '/healthz', '/readyz']) expect((await fetch(`${target.baseUrl}${href}`)).status).toBe(200);
  });

  it('goes home → explorer → studio → explorer → home by the navigation bars', async () => {
    const { page } = browser;
    await page.goto(`${target.baseUrl}/`);
    await page.click('nav.site-nav >> text=Explorer');
    await page.waitForURL(`${target.baseUrl}/graphql`);
    await page.waitForSelector('.graphiql-container');
    expect(await page.locator('nav.site-nav a[aria-current="page"]').innerText()).toBe('Explorer');
    // The pre-filled query, run: the order ingested above, in the explorer's result pane.
    await page.click('button.graphiql-execute-button');
    await page.waitForFunction(() =>
      (
        (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector(
          '.graphiql-response',
        )?.textContent ?? ''
      ).includes('"totalCount"'),
    );
    await browser.screenshot('explorer');
    await page.click('nav.site-nav >> text=Studio');
    await page.waitForURL(`${target.baseUrl}/studio`);
    expect(await page.locator('nav.site-nav a[aria-current="page"]').innerText()).toBe('Studio');
    await page.click('nav.site-nav >> text=Explorer');
    await page.waitForURL(`${target.baseUrl}/graphql`);
    await page.click('nav.site-nav >> text=Home');
    await page.waitForURL(`${target.baseUrl}/`);
    expect(await page.locator('h1').innerText()).toBe('canonql');
  });

  it('loaded nothing from another origin and logged no error', () => {
    expect(browser.offOrigin).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
    expect(browser.consoleErrors).toEqual([]);
    expect(browser.requested.some((url) => /\/landing-assets\/landing-[0-9a-f]{12}\.css$/.test(url))).toBe(true);
  });
});
