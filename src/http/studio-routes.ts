import { Router, type NextFunction, type Request, type Response } from 'express';
import { hashedAsset, SAME_ORIGIN_PAGE_CSP, siteNav, type HashedAsset, type SiteLinks } from './html';
import { browserScript } from './browser-scripts';
import { renderStudioPage } from './studio/page';
import { STUDIO_STYLESHEET } from './studio/stylesheet';

export interface StudioOptions {
  /** Where the page is served, e.g. `/studio`. */
  readonly path: string;
  /** The GraphQL endpoint the page talks to (same origin), e.g. `/graphql`. */
  readonly endpointPath: string;
  /** canonql's other pages, linked from the studio's header; absent: no navigation bar. */
  readonly links?: SiteLinks;
}

/**
 * The mapping studio: one HTML page and two assets (the page's script, bundled from
 * src/browser/studio, and its stylesheet), served under content-hashed URLs below
 * `<path>/assets/`. The page uses only the public GraphQL API of the same origin; its
 * Content-Security-Policy forbids loading from, or connecting to, any other origin.
 */
export function studioRoutes(options: StudioOptions): Router {
  const pagePath = plainPath(options.path, 'path');
  const endpointPath = plainPath(options.endpointPath, 'endpointPath');
  const assetsBase = `${pagePath}/assets`;
  const script = hashedAsset('studio', 'js', 'text/javascript', browserScript('studio'));
  const stylesheet = hashedAsset('studio', 'css', 'text/css', STUDIO_STYLESHEET);
  const assets = [script, stylesheet];
  const byPath = new Map(assets.map((asset) => [`/${asset.name}`, asset]));
  const url = (asset: HashedAsset) => `${assetsBase}/${asset.name}`;
  const page = renderStudioPage({
    title: 'canonql mapping studio',
    endpointPath,
    stylesheets: [url(stylesheet)],
    scripts: [url(script)],
    nav: options.links ? siteNav(options.links, 'studio') : '',
  });

  const router = Router();
  router.get(pagePath, (_req: Request, res: Response) => {
    res.set({
      'Content-Security-Policy': SAME_ORIGIN_PAGE_CSP,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.type('html').send(page);
  });
  router.get(`${assetsBase}/:name`, (req: Request, res: Response, next: NextFunction) => {
    const asset = byPath.get(`/${String(req.params.name)}`);
    if (!asset) {
      next();
      return;
    }
    // Content-hashed URLs: the content behind one never changes.
    res.set({ 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' });
    res.type(asset.type).send(asset.body);
  });
  router.use(assetsBase, (_req: Request, res: Response) => {
    res.status(404).type('text/plain').send('no such studio asset');
  });
  return router;
}

function plainPath(value: string, what: string): string {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(value) || value.includes('//')) {
    throw new Error(`studio ${what} must be a plain absolute path: ${JSON.stringify(value)}`);
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}
