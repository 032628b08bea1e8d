import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { allowOnlyOrigin, launchChromium } from './chromium';

/**
 * Headless chromium on the studio page, with everything recorded that the test asserts on at the
 * end: requests to another origin (refused, so the page also proves it needs no internet), page
 * errors and console errors (a CSP refusal shows there).
 */
export const SCREENSHOT_DIR = path.resolve(__dirname, '..', 'screenshots');

export interface StudioBrowser {
  readonly page: Page;
  readonly offOrigin: string[];
  readonly requested: string[];
  readonly pageErrors: string[];
  readonly consoleErrors: string[];
  /** Saves `<prefix>-<label>.png` (full page) and returns its path. */
  screenshot(label: string): Promise<string>;
  close(): Promise<void>;
}

export async function openStudioBrowser(baseUrl: string, screenshotPrefix = 'studio'): Promise<StudioBrowser> {
  const browser: Browser = await launchChromium();
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1500, height: 1000 }, serviceWorkers: 'block' });
  const origin = new URL(baseUrl).origin;
  const offOrigin: string[] = [];
  const requested: string[] = [];
  await allowOnlyOrigin(context, origin, requested, offOrigin);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  return {
    page,
    offOrigin,
    requested,
    pageErrors,
    consoleErrors,
    async screenshot(label) {
      fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const file = path.join(SCREENSHOT_DIR, `${screenshotPrefix}-${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await browser.close();
    },
  };
}

/** Opens the studio and waits until its first loads (transforms, topics, subjects, specs) are in. */
export async function gotoStudio(page: Page, baseUrl: string): Promise<void> {
  const response = await page.goto(`${baseUrl}/studio`, { waitUntil: 'load' });
  if (response?.status() !== 200) throw new Error(`GET /studio answered ${response?.status()}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
}

/** Waits for the debounced preview that the last change scheduled to have answered. */
export async function previewSettled(page: Page): Promise<string> {
  await page.waitForFunction(
    () => {
      const status = (
        globalThis as unknown as { document: { getElementById(id: string): { getAttribute(n: string): string | null } | null } }
      ).document.getElementById('preview-status');
      return status !== null && status.getAttribute('data-state') !== 'pending';
    },
    undefined,
    { timeout: 30_000 },
  );
  return page.$eval('#preview-status', (node) => node.getAttribute('data-state') ?? '');
}

/** The row of the mapping table that writes `dst`. */
export function row(dst: string): string {
  return `#mapping-table tr[data-dst="${dst}"]`;
}

/** Chooses a source path for a canonical field (a click on the select, then on the option). */
export async function chooseSource(page: Page, dst: string, src: string): Promise<void> {
  await page.selectOption(`${row(dst)} select[id^="src-"]`, src);
}

/** Adds a transform step to a field and chooses it. */
export async function addTransform(page: Page, dst: string, name: string): Promise<void> {
  const before = await page.$$eval(`${row(dst)} select[id^="step-"]`, (nodes) => nodes.length);
  await page.click(`${row(dst)} button[id^="add-step-"]`);
  // The table is rebuilt with one more step select, which gets the focus.
  await page.waitForFunction(
    ({ selector, count }) =>
      (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll(selector).length === count,
    { selector: `${row(dst)} select[id^="step-"]`, count: before + 1 },
  );
  // A locator, not an element handle: the table may be rebuilt again (a preview answering), and a
  // locator finds the new select where a handle would be detached.
  await page
    .locator(`${row(dst)} select[id^="step-"]`)
    .last()
    .selectOption(name);
}

/** Sets a transform argument (text) of a field's step. */
export async function setArgument(page: Page, dst: string, step: number, arg: string, value: string): Promise<void> {
  const id = await page.$eval(row(dst), (node) => node.getAttribute('data-row'));
  await page.fill(`#arg-${id}-${step}-${arg}`, value);
}

export async function setDefault(page: Page, dst: string, value: string): Promise<void> {
  await page.fill(`${row(dst)} input[id^="default-"]`, value);
}

/** Texts of the list items of a problems panel. */
export async function problemsShown(page: Page, panel: '#problems' | '#preview-problems'): Promise<string[]> {
  return problemsShownIn(page, panel);
}

/** Texts of the list items of any problems panel (`#subject-problems` too). */
export async function problemsShownIn(page: Page, panel: string): Promise<string[]> {
  return page.$$eval(`${panel} li`, (items) => items.map((item) => (item.textContent ?? '').trim()));
}
