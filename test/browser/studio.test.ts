import { validateSpec } from '../../src/mapping/validate-spec';
import { mongoChange, pgChange } from '../support/debezium-messages';
import { testKafka, uniqueName } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { docsScreenshot } from './support/chromium';
import {
  addTransform,
  chooseSource,
  gotoStudio,
  openStudioBrowser,
  previewSettled,
  problemsShown,
  problemsShownIn,
  row,
  setArgument,
  setDefault,
  type StudioBrowser,
} from './support/studio-page';
import { TEST_ADMIN_KEY } from '../support/graphql-result';
import { startStudioTarget, type StudioTarget } from './support/studio-target';

/**
 * The mapping studio in headless Debian chromium against a full canonql on the real stack: a
 * mapping for a drifting raw topic built from scratch by clicking, previewed, saved, activated and
 * fed; the spec edited and rolled back; a rejected spec with every problem listed. The steps share
 * one page and run in order; a screenshot of each lands in test/browser/screenshots/studio-*.png.
 */
jest.setTimeout(180_000);

const topic = uniqueName('raw.pg.invoices');
const MAPPING_ID = 'invoice-canonicalization';

const invoiceSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Invoice',
  type: 'object',
  properties: {
    invoiceId: { type: 'string' },
    amount: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
    status: { type: 'string' },
    email: { type: ['string', 'null'] },
    lines: { type: 'array', items: { type: 'object', properties: { sku: { type: ['string', 'null'] }, qty: { type: ['integer', 'null'] } } } },
    createdAt: { type: ['string', 'null'], format: 'date-time' },
    currency: { type: 'string' },
  },
  required: ['invoiceId'],
};

let lsn = 1000;
/** An example longer than the page used to show (it cut examples at 40 characters). */
const LONG_NOTE = 'Leave it at the back door, ring twice; the dog is friendly. Thx';
const invoiceRow = (id: number, after: Record<string, unknown>) =>
  pgChange({ op: 'c', key: { id }, after: { id, ...after }, lsn: (lsn += 1), table: 'invoices' });

/** The first rows of the table, then the drifted ones: amount turns from number into string, an e-mail column appears, a status goes null. */
const driftingRows = () => [
  invoiceRow(1, { amount: 10.5, status: 'open', items: [{ sku: 'A-1', qty: 2 }], created_at: '2024-05-01T10:00:00Z' }),
  invoiceRow(2, {
    amount: 20,
    status: 'open',
    items: [
      { sku: 'A-2', qty: 1 },
      { sku: 'A-3', qty: 4 },
    ],
    created_at: '2024-05-01T11:00:00Z',
  }),
  invoiceRow(3, { amount: 7.25, status: 'paid', items: [], created_at: '2024-05-02T09:30:00Z' }),
  invoiceRow(4, { amount: 3, status: 'open', items: [{ sku: 'A-1', qty: 1 }], created_at: '2024-05-02T12:00:00Z' }),
  invoiceRow(5, { amount: '12.30', status: 'open', customer_email: 'Ann@Example.io', items: [{ sku: 'B-1', qty: '3' }], created_at: '2024-05-03T08:00:00Z' }),
  invoiceRow(6, { amount: '99.90', status: null, customer_email: 'Bob@Example.io', items: [{ sku: 'B-2', qty: 1 }], created_at: '2024-05-03T09:00:00Z' }),
  invoiceRow(7, {
    amount: '5',
    status: 'paid',
    customer_email: 'cy@example.io',
    items: [{ sku: 'B-1', qty: 2 }],
    created_at: '2024-05-04T10:00:00Z',
    note: LONG_NOTE,
  }),
];

const INVOICE_FIELDS = 'invoiceId amount status email lines { sku qty } createdAt currency _meta { specId specVersion }';

describe('the mapping studio', () => {
  let target: StudioTarget;
  let studio: StudioBrowser;
  let builtSpec: Record<string, unknown>;

  beforeAll(async () => {
    target = await startStudioTarget();
    // The first rows exist before anything reads the topic; the studio asks discovery to profile
    // it (no spec needed); then the drifted rows come: a second raw schema version.
    const rows = driftingRows();
    const profiled = (sampled: number, versions: number) =>
      waitFor(
        `${sampled} rows profiled in ${versions} raw schema versions`,
        async () => {
          const data = await target.ok<{ rawTopic: { sampled: number; versions: unknown[] } | null }>(
            'query($t: String!) { rawTopic(topic: $t) { sampled versions { version } } }',
            { t: topic },
          );
          return data.rawTopic && data.rawTopic.sampled >= sampled && data.rawTopic.versions.length >= versions ? data.rawTopic : undefined;
        },
        { timeoutMs: 60_000 },
      );
    await target.produce(topic, rows.slice(0, 4));
    studio = await openStudioBrowser(target.baseUrl);
    const { page } = studio;
    await gotoStudio(page, target.baseUrl);
    await page.fill('#admin-key', TEST_ADMIN_KEY);
    await page.click('#use-key');
    await page.selectOption('#source-topic-select', topic);
    await page.click('#profile-topic');
    await page.waitForFunction(
      (t) =>
        (
          (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } } }).document.getElementById('profile-status')
            .textContent ?? ''
        ).includes(`${t} is being profiled`),
      topic,
    );
    await studio.screenshot('0-profile-topic');
    await profiled(4, 1);
    await target.produce(topic, rows.slice(4));
    await profiled(7, 2);
  });

  afterAll(async () => {
    await studio?.close();
    await target?.stop();
  });

  it('is served by canonql from its own origin, under a strict CSP', async () => {
    const response = await studio.page.goto(`${target.baseUrl}/studio`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = (await response?.text()) ?? '';
    expect(html).not.toMatch(/https?:\/\//i);
    const references = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!).filter((r) => !r.startsWith('data:') && !r.startsWith('#'));
    expect(references).toEqual([
      expect.stringMatching(/^\/studio\/assets\/studio-[0-9a-f]{12}\.css$/),
      // The navigation bar: home, the explorer, the studio itself.
      '/',
      '/graphql',
      '/studio',
      // The page's one script, bundled from src/browser/studio.
      expect.stringMatching(/^\/studio\/assets\/studio-[0-9a-f]{12}\.js$/),
    ]);
    await studio.page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  });

  it('shows the drifting raw topic with its inferred fields: types with shares, presence, null rate, examples', async () => {
    const { page } = studio;
    await gotoStudio(page, target.baseUrl);
    // Without a key, what changes canonql is disabled, and the page says why.
    await page.click('#forget-key');
    for (const id of ['save-spec', 'activate-spec', 'rollback-spec', 'deactivate-spec', 'register-subject', 'profile-topic']) {
      expect(await page.$eval(`#${id}`, (b) => (b as unknown as { disabled: boolean }).disabled)).toBe(true);
    }
    expect(await page.isVisible('#admin-hint')).toBe(true);
    expect(await page.textContent('#admin-hint')).toMatch(/need an admin key/);
    expect(await page.getAttribute('#save-spec', 'aria-describedby')).toBe('admin-hint');
    await page.fill('#admin-key', TEST_ADMIN_KEY);
    await page.click('#use-key');
    await expect(page.textContent('#key-status')).resolves.toMatch(/Key set/);
    expect(await page.$eval('#save-spec', (b) => (b as unknown as { disabled: boolean }).disabled)).toBe(false);
    expect(await page.isVisible('#admin-hint')).toBe(false);
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('canonql.studio.adminKey'),
      ),
    ).toBe(TEST_ADMIN_KEY);

    await page.selectOption('#topic-select', topic);
    await page.waitForSelector('#raw-fields tr[data-path="$.amount"]');
    const cells = (path: string) => page.$$eval(`#raw-fields tr[data-path="${path}"] > *`, (nodes) => nodes.map((n) => (n.textContent ?? '').trim()));
    // amount: 2 integers, 2 numbers, 3 strings out of 7 values.
    const amount = await cells('$.amount');
    expect(amount[1]).toMatch(/string 42\.9%/);
    expect(amount[1]).toMatch(/integer 28\.6%/);
    expect(amount[1]).toMatch(/number 28\.6%/);
    expect(amount[2]).toBe('100%');
    const email = await cells('$.customer_email');
    expect(email[2]).toBe('42.9%'); // present in 3 of 7 rows
    expect(email[4]).toContain('"Ann@Example.io"');
    expect((await cells('$.status'))[3]).toBe('14.3%'); // one null in seven
    // A long example is shown whole, not cut.
    expect((await cells('$.note'))[4]).toContain(JSON.stringify(LONG_NOTE));
    expect(await cells('$.items[*].sku')).toHaveLength(5);
    const drift = await page.$$eval('#topic-versions li', (items) => items.map((i) => i.textContent ?? ''));
    expect(drift.length).toBeGreaterThanOrEqual(2);
    expect(drift.join('\n')).toMatch(/customer_email/);
    await studio.screenshot('1-raw-topic');
  });

  it('creates the canonical subject (drafted from the raw fields, then edited) and shows its fields', async () => {
    const { page } = studio;
    await page.click('#new-subject summary');
    await page.fill('#new-subject-name', 'invoice');
    await page.click('#draft-schema');
    const draft = JSON.parse(await page.inputValue('#new-subject-schema')) as { properties: Record<string, { type: unknown }> };
    expect([...(draft.properties.amount!.type as string[])].sort()).toEqual(['number', 'string']);
    expect(Object.keys(draft.properties).sort()).toEqual(['amount', 'created_at', 'customer_email', 'id', 'items', 'note', 'status']);
    await studio.screenshot('2-subject-draft');

    await page.fill('#new-subject-schema', JSON.stringify(invoiceSchema, null, 2));
    await page.click('#register-subject');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { querySelector(s: string): { value: string } | null } }).document.querySelector('#subject-select')?.value ===
        'invoice',
    );
    await page.waitForSelector('#canonical-fields tr[data-path="$.lines[*].qty"]');
    expect(await page.$$eval('#canonical-fields tbody tr', (rows) => rows.map((r) => r.getAttribute('data-path')))).toEqual([
      '$.invoiceId',
      '$.amount',
      '$.status',
      '$.email',
      '$.lines[*].sku',
      '$.lines[*].qty',
      '$.createdAt',
      '$.currency',
    ]);
    expect(await page.inputValue('#mapping-id')).toBe(MAPPING_ID);
    // Drafted from the topic: fields named like raw fields start mapped (createdAt ~ created_at).
    const sourceOf = (dst: string) => page.inputValue(`${row(dst)} select[id^="src-"]`);
    expect(await sourceOf('$.amount')).toBe('$.amount');
    expect(await sourceOf('$.status')).toBe('$.status');
    expect(await sourceOf('$.createdAt')).toBe('$.created_at');
    expect(await sourceOf('$.invoiceId')).toBe('');
    expect(await page.textContent('#mapping-status')).toMatch(/Mapped 3 fields/);
    // The rest of this walk-through maps them by hand.
    await chooseSource(page, '$.status', '');
    await chooseSource(page, '$.createdAt', '');
    // The subject is served by the API at once.
    const served = await target.ok<{ subjects: { name: string }[] }>('{ subjects { name } }');
    expect(served.subjects.map((s) => s.name)).toContain('invoice');
    await studio.screenshot('3-subject');
  });

  it('maps fields by clicking, flags a type mismatch from the inferred types, and previews the latest samples live', async () => {
    const { page } = studio;
    await chooseSource(page, '$.invoiceId', '$.id');
    await addTransform(page, '$.invoiceId', 'string');
    // amount copied as is: the raw integers and numbers do not fit the canonical string.
    await chooseSource(page, '$.amount', '$.amount');
    await previewSettled(page);
    await page.waitForSelector(`${row('$.amount')} [data-check="type-mismatch"]`);
    expect(await page.textContent(`${row('$.amount')} [data-check="type-mismatch"]`)).toMatch(
      /amount is integer\/number in the raw data but amount accepts string\/null/,
    );
    expect(await page.$$eval('#preview-table tr[data-status="error"]', (rows) => rows.length)).toBe(4);
    // The row says how many sampled records fail on it, and the failing records keep their op and key.
    expect(await page.textContent(`${row('$.amount')} [data-check="record-failures"]`)).toMatch(/^fails on 4 of 7 sampled records: \/amount: must be string/);
    expect(
      await page.$$eval('#preview-table tr[data-status="error"]', (rows) => rows.map((r) => [r.children[1]?.textContent, r.children[2]?.textContent])),
    ).toEqual([
      ['c', '1'],
      ['c', '2'],
      ['c', '3'],
      ['c', '4'],
    ]);
    // Long check text wraps in its own column: the transforms column keeps its share of the table.
    const width = (selector: string) =>
      page.$eval(selector, (n) => (n as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width);
    const table = await width('#mapping-table');
    expect(await width(`${row('$.amount')} > td:nth-child(3)`)).toBeGreaterThanOrEqual(table * 0.3);
    expect(await width(`${row('$.amount')} > td:nth-child(5)`)).toBeLessThanOrEqual(table * 0.2);
    await studio.screenshot('4-type-mismatch');

    // decimal with scale 2 fixes it.
    await addTransform(page, '$.amount', 'decimal');
    await setArgument(page, '$.amount', 0, 'scale', '2');
    await chooseSource(page, '$.status', '$.status');
    await addTransform(page, '$.status', 'uppercase');
    await setDefault(page, '$.status', 'OPEN');
    await chooseSource(page, '$.email', '$.customer_email');
    await addTransform(page, '$.email', 'lowercase');
    await chooseSource(page, '$.lines[*].sku', '$.items[*].sku');
    await chooseSource(page, '$.lines[*].qty', '$.items[*].qty');
    await addTransform(page, '$.lines[*].qty', 'integer');
    await chooseSource(page, '$.createdAt', '$.created_at');
    await addTransform(page, '$.createdAt', 'datetime');
    await setDefault(page, '$.currency', 'EUR');
    await page.selectOption('#spec-key', JSON.stringify({ source: true }));

    expect(await previewSettled(page)).toBe('done');
    expect(await page.$$(`${row('$.amount')} [data-check="type-mismatch"]`)).toHaveLength(0);
    expect(await page.$$eval('#preview-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-status')))).toEqual(Array(7).fill('mapped'));
    const canonical = await page.$$eval('#preview-table tbody tr pre', (pres) => pres.map((p) => JSON.parse(p.textContent ?? 'null') as unknown));
    expect(canonical[0]).toEqual({
      invoiceId: '1',
      amount: '10.50',
      status: 'OPEN',
      lines: [{ sku: 'A-1', qty: 2 }],
      createdAt: '2024-05-01T10:00:00.000Z',
      currency: 'EUR',
    });
    expect(canonical[5]).toEqual({
      invoiceId: '6',
      amount: '99.90',
      status: 'OPEN',
      email: 'bob@example.io',
      lines: [{ sku: 'B-2', qty: 1 }],
      createdAt: '2024-05-03T09:00:00.000Z',
      currency: 'EUR',
    });
    expect(await page.textContent('#preview-status')).toMatch(/7 mapped, 0 failed/);
    expect(await page.textContent('#coverage')).toMatch(/Source fields read/);
    await studio.screenshot('5-preview');
    // The picture in the docs: the mapping step (spec settings, then per field its source, transforms, default, check).
    const viewport = page.viewportSize();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('#mapping-section').evaluate((section) => {
      (section as unknown as { scrollIntoView(o: unknown): void }).scrollIntoView({ block: 'start' });
    });
    await docsScreenshot(page, 'studio');
    if (viewport) await page.setViewportSize(viewport);

    // The JSON shown is a specs/ file, and passes the same validation.
    builtSpec = JSON.parse(await page.inputValue('#spec-json')) as Record<string, unknown>;
    expect(builtSpec).toEqual({
      $schema: '../schema/mapping-spec.schema.json',
      mappingId: MAPPING_ID,
      version: 1,
      source: { type: 'kafka', topic },
      target: { subject: 'invoice' },
      key: { source: true },
      fieldMappings: [
        { src: '$.id', dst: '$.invoiceId', transform: 'string' },
        { src: '$.amount', dst: '$.amount', transform: { name: 'decimal', args: { scale: 2 } } },
        { src: '$.status', dst: '$.status', transform: 'uppercase', default: 'OPEN' },
        { src: '$.customer_email', dst: '$.email', transform: 'lowercase' },
        { src: '$.items[*].sku', dst: '$.lines[*].sku' },
        { src: '$.items[*].qty', dst: '$.lines[*].qty', transform: 'integer' },
        { src: '$.created_at', dst: '$.createdAt', transform: 'datetime' },
      ],
      defaults: { currency: 'EUR' },
    });
    expect(validateSpec(builtSpec)).toEqual({ ok: true, spec: builtSpec });
  });

  it('is operable from the keyboard: labelled controls, real buttons, focus kept across re-renders', async () => {
    const { page } = studio;
    const unlabelled = await page.$$eval('input, select, textarea', (nodes) =>
      nodes
        .filter((n) => {
          const id = n.getAttribute('id');
          const labelled = id !== null && n.ownerDocument.querySelector(`label[for="${id}"]`) !== null;
          return !labelled && !n.getAttribute('aria-label');
        })
        .map((n) => n.outerHTML.slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);
    // Nothing clickable that is not a button, link, summary or form control.
    expect(await page.$$eval('[onclick], [role="button"]', (nodes) => nodes.length)).toBe(0);

    // Enter on "+ transform" adds a step and focuses its select; Escape-free removal with Space returns focus.
    const rowId = await page.$eval(row('$.currency'), (node) => node.getAttribute('data-row'));
    await page.focus(`#add-step-${rowId}`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (id) => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id === `step-${id}-0`,
      rowId,
    );
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe(
      `step-${rowId}-0-remove`,
    );
    await page.keyboard.press('Space');
    await page.waitForFunction(
      (id) => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id === `add-step-${id}`,
      rowId,
    );
    expect(await page.$$(`${row('$.currency')} select[id^="step-"]`)).toHaveLength(0);
    await previewSettled(page);
    expect(JSON.parse(await page.inputValue('#spec-json'))).toEqual(builtSpec);
  });

  it('saves the spec, activates it, and ingestion writes the new canonical entities read through GraphQL', async () => {
    const { page } = studio;
    await page.click('#save-spec');
    await page.waitForSelector('#versions-table tr[data-version="1"][data-active="false"]');
    expect(await page.textContent('#lifecycle-status')).toMatch(/Saved invoice-canonicalization v1/);
    const stored = await target.ok<{ mappingSpec: { spec: unknown; active: boolean } }>(
      'query($id: String!) { mappingSpec(id: $id, version: 1) { spec active } }',
      { id: MAPPING_ID },
    );
    expect(stored.mappingSpec).toEqual({ spec: builtSpec, active: false });
    await studio.screenshot('6-saved');

    await page.click('#activate-spec');
    await page.waitForSelector('#versions-table tr[data-version="1"][data-active="true"]');
    expect(await page.textContent('#lifecycle-status')).toMatch(/Activated invoice-canonicalization v1/);
    await studio.screenshot('7-activated');

    await target.produce(topic, [
      invoiceRow(101, {
        amount: '250',
        status: 'open',
        customer_email: 'Dee@Example.io',
        items: [
          { sku: 'C-1', qty: 1 },
          { sku: 'C-2', qty: '2' },
        ],
        created_at: '2024-06-01T08:00:00Z',
      }),
      invoiceRow(102, { amount: 19.9, status: null, items: [], created_at: '2024-06-01T09:15:00.123456Z' }),
    ]);
    // Profiling did not move ingestion's offsets: the seven profiled rows are ingested as well.
    const invoices = await waitFor(
      'the seven profiled and two new invoices',
      async () => {
        const all = await target.ok<{ invoices: { totalCount: number } }>('{ invoices { totalCount } }');
        const data = await target.ok<{ invoices: { totalCount: number; edges: { node: Record<string, unknown> }[] } }>(
          `{ invoices(first: 10, where: { invoiceId: { in: ["101", "102"] } }, orderBy: { field: invoiceId, direction: ASC }) { totalCount edges { node { ${INVOICE_FIELDS} } } } }`,
        );
        return all.invoices.totalCount === 9 && data.invoices.edges.length === 2 ? data.invoices.edges.map((e) => e.node) : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(invoices).toEqual([
      {
        invoiceId: '101',
        amount: '250.00',
        status: 'OPEN',
        email: 'dee@example.io',
        lines: [
          { sku: 'C-1', qty: 1 },
          { sku: 'C-2', qty: 2 },
        ],
        createdAt: '2024-06-01T08:00:00.000Z',
        currency: 'EUR',
        _meta: { specId: MAPPING_ID, specVersion: 1 },
      },
      {
        invoiceId: '102',
        amount: '19.90',
        status: 'OPEN',
        email: null,
        lines: [],
        createdAt: '2024-06-01T09:15:00.123456Z',
        currency: 'EUR',
        _meta: { specId: MAPPING_ID, specVersion: 1 },
      },
    ]);
  });

  it('loads the saved spec unchanged, edits it into v2, activates it, and rolls back to v1', async () => {
    const { page } = studio;
    await gotoStudio(page, target.baseUrl);
    await page.selectOption('#spec-load', `${MAPPING_ID}@1`);
    await page.click('#load-spec');
    // The page is busy until the spec's topic, subject and versions are loaded.
    await page.waitForSelector('body:not([aria-busy])');
    await page.waitForSelector(`${row('$.lines[*].qty')} select[id^="step-"]`);
    await previewSettled(page);
    expect(await page.inputValue('#topic-select')).toBe(topic);
    expect(await page.inputValue('#subject-select')).toBe('invoice');
    // Loaded untouched: the JSON is the registered document, byte for byte as formatted.
    expect(await page.inputValue('#spec-json')).toBe(`${JSON.stringify(builtSpec, null, 2)}\n`);
    expect(await page.inputValue('#spec-version')).toBe('1');
    await studio.screenshot('8-loaded');

    // status: uppercase → lowercase makes it v2.
    await page.selectOption(`${row('$.status')} select[id^="step-"]`, 'lowercase');
    expect(await page.inputValue('#spec-version')).toBe('2');
    expect(await previewSettled(page)).toBe('done');
    const v2 = JSON.parse(await page.inputValue('#spec-json')) as { version: number; fieldMappings: { dst: string; transform?: unknown }[] };
    expect(v2.version).toBe(2);
    expect(v2.fieldMappings.find((m) => m.dst === '$.status')!.transform).toBe('lowercase');
    expect(validateSpec(v2).ok).toBe(true);
    await page.click('#save-spec');
    await page.waitForSelector('#versions-table tr[data-version="2"]');
    await page.click('#activate-spec');
    await page.waitForSelector('#versions-table tr[data-version="2"][data-active="true"]');
    await studio.screenshot('9-v2-active');

    await target.produce(topic, [invoiceRow(103, { amount: 1, status: 'Paid', items: [], created_at: '2024-06-02T08:00:00Z' })]);
    const v2Invoice = await waitFor(
      'invoice 103 under v2',
      async () => {
        const data = await target.ok<{ invoice: Record<string, unknown> | null }>(`{ invoice(id: "103") { ${INVOICE_FIELDS} } }`);
        return data.invoice ?? undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(v2Invoice).toMatchObject({ status: 'paid', _meta: { specId: MAPPING_ID, specVersion: 2 } });

    await page.click('#rollback-spec');
    await page.waitForSelector('#versions-table tr[data-version="1"][data-active="true"]');
    expect(await page.textContent('#lifecycle-status')).toMatch(/v1 is active again/);
    expect(await page.textContent('#spec-history')).toBe('History: activate v1 → activate v2 → rollback v1');
    await studio.screenshot('10-rolled-back');

    await target.produce(topic, [invoiceRow(104, { amount: 2, status: 'void', items: [], created_at: '2024-06-02T09:00:00Z' })]);
    const v1Invoice = await waitFor(
      'invoice 104 under v1 again',
      async () => {
        const data = await target.ok<{ invoice: Record<string, unknown> | null }>(`{ invoice(id: "104") { ${INVOICE_FIELDS} } }`);
        return data.invoice ?? undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(v1Invoice).toMatchObject({ status: 'VOID', _meta: { specId: MAPPING_ID, specVersion: 1 } });
  });

  it('shows every problem of a rejected spec, exactly as the API lists them', async () => {
    const { page } = studio;
    await setArgument(page, '$.amount', 0, 'scale', 'two');
    await addTransform(page, '$.email', 'enum');
    await chooseSource(page, '$.lines[*].qty', '');
    await page.fill('#mapping-id', 'invoice canonicalization!');
    expect(await previewSettled(page)).toBe('invalid');
    const spec = JSON.parse(await page.inputValue('#spec-json')) as Record<string, unknown>;

    // The API's own verdict on the same JSON, and the file validation's: every problem.
    const expected = await target.gql('mutation($s: JSON!) { registerMappingSpec(spec: $s) { id } }', { s: spec });
    expect(expected.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const details = expected.errors![0]!.extensions!.details as string[];
    const validation = validateSpec(spec);
    expect(validation.ok).toBe(false);
    expect(details).toEqual((validation as { problems: string[] }).problems);
    expect(details.length).toBeGreaterThanOrEqual(4);
    expect(details.join('\n')).toMatch(/mappingId/);
    expect(details.join('\n')).toMatch(/scale/);
    expect(details.join('\n')).toMatch(/"map" is required/);
    expect(details.join('\n')).toMatch(/src: is required/);

    // The live preview already lists them all...
    expect(await problemsShown(page, '#preview-problems')).toEqual(details.map((d) => `BAD_USER_INPUT ${d}`));
    // ...and so does the save button's rejection.
    await page.click('#save-spec');
    await page.waitForSelector('#problems:not([hidden]) li');
    expect(await problemsShown(page, '#problems')).toEqual(details.map((d) => `BAD_USER_INPUT ${d}`));
    expect(await page.textContent('#problems h3')).toBe(`Spec rejected (${details.length} problems)`);
    // Each field's problems next to it in the mapping table.
    expect(await page.textContent(`${row('$.amount')} [data-check="problem"]`)).toBe('transform.args: decimal: argument "scale" must be an integer');
    expect(await page.textContent(`${row('$.lines[*].qty')} [data-check="problem"]`)).toMatch(/^src: is required unless/);
    await studio.screenshot('11-rejected');

    // Nothing was registered.
    const versions = await target.ok<{ mappingSpecs: { version: number }[] }>('query($id: String!) { mappingSpecs(id: $id) { version } }', { id: MAPPING_ID });
    expect(versions.mappingSpecs.map((v) => v.version).sort()).toEqual([1, 2]);
  });

  it('maps a MongoDB topic with partial updates against a draft schema before registering it; step 2 shows its own errors', async () => {
    const { page } = studio;
    const mongoTopic = uniqueName('raw.mongo.tickets');
    const ticket = (id: string, ord: number, fields: { after?: Record<string, unknown>; updatedFields?: Record<string, unknown> }) =>
      mongoChange({ op: fields.after ? 'c' : 'u', id, ...fields, tsMs: 1_700_000_000_000 + ord, ord, collection: 'tickets' });
    await target.produce(mongoTopic, [
      ticket('t-1', 1, { after: { title: 'Printer', customer: { email: 'a@example.io' }, priority: 1 } }),
      ticket('t-2', 2, { after: { title: 'Screen', customer: { email: 'c@example.io' }, priority: 'high' } }),
      ticket('t-1', 3, { updatedFields: { 'customer.email': 'b@example.io' } }),
      ticket('t-1', 4, { updatedFields: { assignee: 'zoe' } }),
      ticket('t-2', 5, { updatedFields: { internal_note: 'call back' } }),
    ]);
    await target.ok('mutation($t: String!) { profileRawTopic(topic: $t) }', { t: mongoTopic });
    await waitFor(
      'the ticket topic profiled',
      async () => {
        const data = await target.ok<{ rawTopic: { sampled: number } | null }>('query($t: String!) { rawTopic(topic: $t) { sampled } }', { t: mongoTopic });
        return data.rawTopic && data.rawTopic.sampled >= 5 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );

    await gotoStudio(page, target.baseUrl);
    await page.selectOption('#topic-select', mongoTopic);
    await page.waitForSelector('#raw-fields tr[data-path="$.assignee"]');
    // Seen only in a partial update: not "0%" next to its example.
    expect(await page.textContent('#raw-fields tr[data-path="$.assignee"] > td:nth-child(3)')).toBe('in 1 partial update only');

    // A schema the server refuses: its problems show in step 2, not in step 5.
    await page.click('#new-subject summary');
    await page.fill('#new-subject-name', 'ticket');
    await page.fill('#new-subject-schema', JSON.stringify({ type: 'array' }));
    await page.click('#register-subject');
    await page.waitForSelector('#subject-problems:not([hidden]) li');
    expect(await problemsShownIn(page, '#subject-problems')).toContainEqual(expect.stringMatching(/^[A-Z_]+ schema\.type: a canonical subject is an object/));
    expect(await page.isHidden('#problems')).toBe(true);
    expect(await page.textContent('#subject-status')).toBe('Subject rejected.');
    // A name the subject-name rule refuses, before anything is sent.
    await page.fill('#new-subject-name', 'Ticket!');
    await page.click('#register-subject');
    expect(await problemsShownIn(page, '#subject-problems')).toEqual([expect.stringMatching(/^BAD_USER_INPUT subject: must be a lower-case identifier/)]);

    // Drafted from the topic (internal_note left out), mapped against the draft, not registered.
    await page.fill('#new-subject-name', 'ticket');
    await page.click('#draft-schema');
    const draft = JSON.parse(await page.inputValue('#new-subject-schema')) as { properties: Record<string, unknown> };
    delete draft.properties.internal_note;
    await page.fill('#new-subject-schema', JSON.stringify(draft, null, 2));
    await page.click('#use-draft');
    await page.waitForSelector(`${row('$.customer.email')} select[id^="src-"]`);
    expect(await page.inputValue('#subject-select')).toBe('ticket');
    for (const field of ['$.title', '$.customer.email', '$.priority', '$.assignee']) {
      expect(await page.inputValue(`${row(field)} select[id^="src-"]`)).toBe(field);
    }
    await addTransform(page, '$.priority', 'integer');
    await page.selectOption('#spec-key', JSON.stringify({ source: true }));
    expect(await previewSettled(page)).toBe('done');
    expect(await page.textContent('#preview-status')).toMatch(/against the draft schema/);
    const records = await page.$$eval('#preview-table tbody tr', (rows) =>
      rows.map((r) => ({
        op: r.children[1]?.textContent,
        key: r.children[2]?.textContent,
        status: r.getAttribute('data-status'),
        canonical: r.querySelector('pre')?.textContent ?? '',
      })),
    );
    expect(records.map((r) => [r.op, r.key, r.status])).toEqual([
      ['c', 't-1', 'mapped'],
      ['c', 't-2', 'error'],
      ['u', 't-1', 'mapped'],
      ['u', 't-1', 'mapped'],
      ['u', 't-2', 'skipped'],
    ]);
    // Partial updates: the parts of the document they set, nested.
    expect(JSON.parse(records[2]!.canonical)).toEqual({ customer: { email: 'b@example.io' } });
    expect(JSON.parse(records[3]!.canonical)).toEqual({ assignee: 'zoe' });
    expect(records[4]!.canonical).toBe('');
    // The failing record is counted on the row that fails.
    expect(await page.textContent(`${row('$.priority')} [data-check="record-failures"]`)).toMatch(/^fails on 1 of 5 sampled records: .*integer/);
    expect(await page.$$(`${row('$.title')} [data-check="record-failures"]`)).toHaveLength(0);
    await studio.screenshot('12-draft-partial-updates');
    // Nothing was registered.
    const subjects = await target.ok<{ schemaSubjects: { subject: string }[] }>('{ schemaSubjects { subject } }');
    expect(subjects.schemaSubjects.map((s) => s.subject)).not.toContain('ticket');
  });

  it("does not offer canonql's own topics (canonical, dead letters) for profiling", async () => {
    const { page } = studio;
    const kafkaAdmin = testKafka().admin();
    await kafkaAdmin.connect();
    const topics = await kafkaAdmin.listTopics().finally(() => kafkaAdmin.disconnect());
    const own = topics.filter((t) => t.startsWith(target.config.ingest.canonicalTopicPrefix) || t === target.config.ingest.deadLetterTopic);
    // The canonical topic of the invoices exists by now: the check is not vacuous.
    expect(own).toContain(`${target.config.ingest.canonicalTopicPrefix}invoice`);
    const offered = await page.$$eval('#source-topic-select option', (options) => options.map((o) => o.getAttribute('value')));
    expect(offered.filter((t) => t !== null && own.includes(t))).toEqual([]);
  });

  it('made no request to another origin, and the page raised no error', () => {
    expect(studio.offOrigin).toEqual([]);
    expect(studio.requested.length).toBeGreaterThan(10);
    expect(studio.pageErrors).toEqual([]);
    expect(studio.consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
  });
});
