import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * The pages' browser scripts: `src/browser/<page>/main.ts`, typed modules with the DOM lib
 * (src/browser/tsconfig.json), bundled by esbuild into one classic script per page (an IIFE: no
 * module loader, nothing inline, served under a content-hashed URL).
 *
 * The compiled service (dist/) reads the bundles `npm run build` wrote (dist/browser/<page>.js,
 * scripts/build-browser.ts), so production needs no bundler. Run from the TypeScript sources
 * (`npm start`, the tests) it bundles in memory at first use: a change to src/browser shows on
 * the next start with no build step, and esbuild, a devDependency, is loaded only then.
 */
export type BrowserPage = 'studio' | 'explorer';

export const BROWSER_PAGES: readonly BrowserPage[] = ['studio', 'explorer'];

const FROM_SOURCE = path.extname(__filename) === '.ts';
/** The repository root (from source) or dist/ (compiled: this file is dist/src/http/browser-scripts.js). */
const ROOT = path.resolve(__dirname, '..', '..');

/** Where `npm run build` writes a page's bundle, below the repository root or dist/. */
export function bundlePath(root: string, page: BrowserPage): string {
  return path.join(root, 'browser', `${page}.js`);
}

/** The esbuild options of a page's bundle; `root` is the repository root. */
export function bundleOptions(root: string, page: BrowserPage): BuildOptions {
  return {
    entryPoints: [path.join(root, 'src', 'browser', page, 'main.ts')],
    tsconfig: path.join(root, 'src', 'browser', 'tsconfig.json'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
  };
}

const bundles = new Map<BrowserPage, string>();

/** The JavaScript of a page's bundle. */
export function browserScript(page: BrowserPage): string {
  const known = bundles.get(page);
  if (known !== undefined) return known;
  const text = FROM_SOURCE ? bundleInMemory(page) : readBuilt(page);
  bundles.set(page, text);
  return text;
}

function bundleInMemory(page: BrowserPage): string {
  // A devDependency, needed only when running from the sources: loaded on first use.
  const esbuild = createRequire(__filename)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({ ...bundleOptions(ROOT, page), write: false });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`bundling the ${page} page's script produced no output`);
  return output.text;
}

function readBuilt(page: BrowserPage): string {
  const file = bundlePath(ROOT, page);
  if (!fs.existsSync(file)) throw new Error(`the ${page} page's script ${file} is missing: "npm run build" writes it`);
  return fs.readFileSync(file, 'utf8');
}
