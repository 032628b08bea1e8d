import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm run docs:screenshots`: copies the pictures the browser tests took for the documentation
 * (`test/browser/screenshots/docs-<name>.png`, see test/browser/support/chromium.ts) into
 * docs/images/<name>.png. Run the browser tests first (`npx jest --selectProjects browser`).
 */
const root = path.join(__dirname, '..');
const from = path.join(root, 'test', 'browser', 'screenshots');
const to = path.join(root, 'docs', 'images');
const EXPECTED = ['landing', 'explorer', 'studio'];
const missing = EXPECTED.filter((name) => !fs.existsSync(path.join(from, `docs-${name}.png`)));
if (missing.length > 0) {
  console.error(`no screenshot for ${missing.join(', ')} in ${path.relative(root, from)}: run the browser tests first`);
  process.exit(1);
}
fs.mkdirSync(to, { recursive: true });
for (const name of EXPECTED) {
  fs.copyFileSync(path.join(from, `docs-${name}.png`), path.join(to, `${name}.png`));
  console.log(`docs/images/${name}.png (${Math.round(fs.statSync(path.join(to, `${name}.png`)).size / 1024)} KiB)`);
}
