import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium package (installed by infra/browser/ensure-chromium.sh); never a Playwright-downloaded browser. */
export const CHROMIUM_PATH = process.env.CANONQL_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`chromium not found at ${CHROMIUM_PATH}: run "bash infra/browser/ensure-chromium.sh" (installs Debian's chromium with apt)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * Lets a page load only from `origin` (and data:/blob: URLs): every request is recorded in
 * `requested`, anything else is refused and recorded in `offOrigin`, so a test also proves the
 * page works with no internet at all.
 */
export async function allowOnlyOrigin(context: BrowserContext, origin: string, requested: string[], offOrigin: string[]): Promise<void> {
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requested.push(url);
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) {
      await route.continue();
    } else {
      offOrigin.push(url);
      await route.abort('blockedbyclient');
    }
  });
}

/**
 * A picture for the documentation: the visible part of the page at 1280×800, saved as
 * `test/browser/screenshots/docs-<name>.png`; `npm run docs:screenshots` copies these into
 * docs/images/, so the pictures in docs/ come from a real run of the browser tests.
 */
export async function docsScreenshot(page: Page, name: string): Promise<string> {
  await page.setViewportSize({ width: 1280, height: 800 });
  const file = path.resolve(__dirname, '..', 'screenshots', `docs-${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}
