import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import type { Browser, BrowserContext, Page, WebSocket as PageWebSocket } from 'playwright-core';
import { allowOnlyOrigin, launchChromium } from './chromium';

/**
 * The explorer's browser test, independent of which server it runs against: a factory starts a
 * server (a tiny stand-in now, the real canonql app later) and says what to expect from it.
 */
export interface ExplorerTarget {
  /** Origin of the server, e.g. `http://127.0.0.1:4000`. */
  readonly baseUrl: string;
  /** GraphQL path, HTTP and websocket, e.g. `/graphql`. */
  readonly endpointPath: string;
  /** The query the explorer must show pre-filled; not checked when omitted. */
  readonly defaultQuery?: string;
  /** Whether the `data` of the pre-filled query's result is right. */
  isExpectedQueryData(data: unknown): boolean;
  readonly subscription: {
    /** Subscription operation typed into the editor. */
    readonly document: string;
    /** Called once the subscription has been sent over the websocket, to make an event happen (e.g. write a row). */
    triggerEvent?(): Promise<void>;
    /** Whether the `data` of an event is the one expected. */
    isExpectedEventData(data: unknown): boolean;
  };
  stop(): Promise<void>;
}

export type ExplorerTargetFactory = () => Promise<ExplorerTarget>;

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', 'screenshots');

interface GraphqlWsFrame {
  type: string;
  id?: string;
  payload?: { data?: unknown; errors?: unknown; query?: string };
}

export function describeExplorer(name: string, startTarget: ExplorerTargetFactory, screenshotPrefix = 'explorer'): void {
  describe(name, () => {
    let target: ExplorerTarget | undefined;
    let browser: Browser | undefined;
    let context: BrowserContext;
    let page: Page;
    const requested: string[] = [];
    const offOrigin: string[] = [];
    const pageErrors: string[] = [];
    const consoleErrors: string[] = [];
    const sockets: { url: string; sent: GraphqlWsFrame[]; received: GraphqlWsFrame[] }[] = [];

    const screenshot = async (label: string) => {
      fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const file = path.join(SCREENSHOT_DIR, `${screenshotPrefix}-${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    };

    beforeAll(async () => {
      target = await startTarget();
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1400, height: 900 }, serviceWorkers: 'block' });
      const origin = new URL(target.baseUrl).origin;
      // Everything the page loads must come from the service itself (no internet needed).
      await allowOnlyOrigin(context, origin, requested, offOrigin);
      page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('websocket', (socket: PageWebSocket) => {
        const record = { url: socket.url(), sent: [] as GraphqlWsFrame[], received: [] as GraphqlWsFrame[] };
        sockets.push(record);
        socket.on('framesent', (frame) => record.sent.push(parseFrame(frame.payload)));
        socket.on('framereceived', (frame) => record.received.push(parseFrame(frame.payload)));
      });
    });

    afterAll(async () => {
      await browser?.close();
      await target?.stop();
    });

    it('serves GraphiQL at the GraphQL URL, from the service itself, with the demo query pre-filled', async () => {
      const t = target!;
      // GraphiQL fetches the schema by introspection, a JSON POST to the endpoint.
      const introspection = page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === t.endpointPath && (r.request().postData() ?? '').includes('__schema'),
        { timeout: 30_000 },
      );
      const response = await page.goto(`${t.baseUrl}${t.endpointPath}`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toMatch(/^text\/html/);

      // No URL of another origin anywhere in the page: every src/href is a same-origin absolute path.
      const html = (await response?.text()) ?? '';
      expect(html).not.toMatch(/https?:\/\//i);
      expect(html).not.toMatch(/(?:src|href)\s*=\s*["']?\s*\/\//i);
      // What the page loads (scripts, stylesheets) is under the explorer's assets; links to the
      // service's other pages (the navigation bar of the app) are paths of the same origin.
      const loaded = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
      expect(loaded.filter((r) => !r.startsWith('data:')).length).toBeGreaterThanOrEqual(5);
      for (const reference of loaded.filter((r) => !r.startsWith('data:'))) {
        expect(reference).toMatch(new RegExp(`^${escapeRegExp(t.endpointPath)}/explorer-assets/`));
      }
      for (const [, link] of html.matchAll(/<a\b[^>]*\bhref\s*=\s*"([^"]*)"/gi)) expect(link).toMatch(/^\/(?!\/)/);

      await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 30_000 });
      const editorText = await editorValue(page, '.graphiql-query-editor .CodeMirror');
      if (t.defaultQuery !== undefined) expect(editorText).toBe(t.defaultQuery);
      else expect(editorText.trim()).not.toBe('');
      const introspectionResponse = await introspection;
      expect(introspectionResponse.status()).toBe(200);
      expect(((await introspectionResponse.json()) as { data?: { __schema?: unknown } }).data?.__schema).toBeDefined();
      await screenshot('loaded');

      expect(offOrigin).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(requested.some((url) => url.includes('/explorer-assets/graphiql@'))).toBe(true);
    });

    it('runs the pre-filled query and shows its result', async () => {
      await page.click('button.graphiql-execute-button');
      const result = await waitForResult(page, (value) => isObject(value) && 'data' in value && target!.isExpectedQueryData(value.data));
      expect(result).toHaveProperty('data');
      await screenshot('query-result');
    });

    it('starts a subscription over graphql-ws on the same URL and shows an event as it arrives', async () => {
      const t = target!;
      await setQueryEditorValue(page, t.subscription.document);
      await page.click('button.graphiql-execute-button');

      // The subscription goes over a websocket to the GraphQL path, scheme following the page's.
      const expectedWsUrl = `${t.baseUrl.replace(/^http/, 'ws')}${t.endpointPath}`;
      await waitUntil(() => sockets.some((s) => s.url === expectedWsUrl && s.sent.some((f) => f.type === 'subscribe')), 30_000, 'graphql-ws subscribe frame');
      await t.subscription.triggerEvent?.();

      await waitUntil(
        () => sockets.some((s) => s.received.some((f) => f.type === 'next' && t.subscription.isExpectedEventData(f.payload?.data))),
        60_000,
        'a subscription event over the websocket',
      );
      const shown = await waitForResult(page, (value) => isObject(value) && 'data' in value && t.subscription.isExpectedEventData(value.data));
      expect(shown).toHaveProperty('data');
      await screenshot('subscription-event');

      expect(sockets.map((s) => s.url)).toEqual(sockets.map(() => expectedWsUrl));
      expect(offOrigin).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
    });
  });
}

function parseFrame(payload: string | Buffer): GraphqlWsFrame {
  try {
    return JSON.parse(payload.toString()) as GraphqlWsFrame;
  } catch {
    return { type: 'unparseable' };
  }
}

/** Text of a GraphiQL (CodeMirror 5) editor. */
async function editorValue(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
}

/**
 * Replaces the query editor's text the way typing does (GraphiQL listens to CodeMirror's change
 * events), then waits until GraphiQL has parsed it: it does so debounced, and executing before
 * that would send the new document with the previous operation name.
 */
async function setQueryEditorValue(page: Page, text: string): Promise<void> {
  const selector = '.graphiql-query-editor .CodeMirror';
  await page.$eval(selector, (element, value) => (element as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(value), text);
  expect(await editorValue(page, selector)).toBe(text);
  const operation = parse(text).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  await page.waitForFunction(
    ({ selector: sel, kind, name }) => {
      const element = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector(sel);
      const editor = (element as { CodeMirror?: { operationName?: string | null; operations?: { operation: string }[] | null } } | null)?.CodeMirror;
      return !!editor?.operations?.some((op) => op.operation === kind) && (editor.operationName ?? null) === name;
    },
    { selector, kind: operation?.operation ?? 'subscription', name: operation?.name?.value ?? null },
    { timeout: 10_000 },
  );
}

/** Waits until GraphiQL's response pane shows JSON that satisfies `accept`, and returns it. */
async function waitForResult(page: Page, accept: (value: unknown) => boolean, timeoutMs = 30_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await editorValue(page, '.graphiql-response .CodeMirror').catch(() => '');
    try {
      const value: unknown = JSON.parse(last);
      if (accept(value)) return value;
    } catch {
      // not (yet) JSON
    }
    if (Date.now() > deadline) throw new Error(`the response pane never showed the expected result; last shown: ${last.slice(0, 500)}`);
    await page.waitForTimeout(100);
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
