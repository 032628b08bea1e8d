import fs from 'node:fs';
import path from 'node:path';

/**
 * The explorer's browser assets, served from the installed npm packages (never from a CDN), so the
 * explorer works offline and its versions are the ones pinned in package-lock.json.
 */
interface AssetSource {
  /** npm package holding the file. */
  readonly pkg: string;
  /** Path of the file inside the package. */
  readonly file: string;
}

export const EXPLORER_ASSETS = {
  react: { pkg: 'react', file: 'umd/react.production.min.js' },
  reactDom: { pkg: 'react-dom', file: 'umd/react-dom.production.min.js' },
  graphqlWs: { pkg: 'graphql-ws', file: 'umd/graphql-ws.min.js' },
  graphiqlJs: { pkg: 'graphiql', file: 'graphiql.min.js' },
  graphiqlCss: { pkg: 'graphiql', file: 'graphiql.min.css' },
} as const satisfies Record<string, AssetSource>;

export type ExplorerAssetName = keyof typeof EXPLORER_ASSETS;

export interface ResolvedAsset {
  /** URL path below the assets base, e.g. `graphiql@3.9.0/graphiql.min.js` (versioned, so cacheable forever). */
  readonly urlPath: string;
  /** Absolute path of the file on disk. */
  readonly filePath: string;
}

/**
 * Finds every asset on disk once, at start: a missing package or file fails here, naming it,
 * instead of as a 404 in someone's browser.
 */
export function resolveExplorerAssets(): Record<ExplorerAssetName, ResolvedAsset> {
  const resolved = {} as Record<ExplorerAssetName, ResolvedAsset>;
  for (const [name, source] of Object.entries(EXPLORER_ASSETS) as [ExplorerAssetName, AssetSource][]) {
    const dir = packageDir(source.pkg);
    const filePath = path.join(dir, source.file);
    if (!fs.existsSync(filePath)) {
      throw new Error(`explorer asset ${source.pkg}/${source.file} is missing (is the npm package "${source.pkg}" installed at the pinned version?)`);
    }
    const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    resolved[name] = { urlPath: `${source.pkg}@${version}/${path.basename(source.file)}`, filePath };
  }
  return resolved;
}

/** Directory of an installed package, whether or not its `exports` expose `package.json`. */
function packageDir(pkg: string): string {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    // `exports` hides package.json: walk up from the main entry point to the package root.
    let dir = path.dirname(require.resolve(pkg));
    for (;;) {
      const manifest = path.join(dir, 'package.json');
      if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === pkg) return dir;
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error(`cannot find the root of the npm package "${pkg}"`);
      dir = parent;
    }
  }
}
