import path from 'node:path';
import { buildSync } from 'esbuild';
import { BROWSER_PAGES, bundleOptions, bundlePath } from '../src/http/browser-scripts';

/**
 * `npm run build` (after tsc): bundles each page's browser script (src/browser/<page>/main.ts)
 * into dist/browser/<page>.js, where the compiled service reads it.
 */
const root = path.resolve(__dirname, '..');
for (const page of BROWSER_PAGES) {
  const outfile = bundlePath(path.join(root, 'dist'), page);
  buildSync({ ...bundleOptions(root, page), outfile, write: true });
  console.log(path.relative(root, outfile));
}
