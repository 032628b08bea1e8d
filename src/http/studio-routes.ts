import crypto from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { STUDIO_CLIENT_SCRIPT } from './studio/client-script';
import { STUDIO_MODEL_SCRIPT } from './studio/model-script';
import { renderStudioPage } from './studio/page';
import { STUDIO_STYLESHEET } from './studio/stylesheet';

export interface StudioOptions {
  /** Where the page is served, e.g. `/studio`. */
  readonly path: string;
  /** The GraphQL endpoint the page talks to (same origin), e.g. `/graphql`. */
  readonly endpointPath: string;
}

interface StudioAsset {
  readonly name: string;
  readonly type: string;
  readonly body: string;
}

/**
 * The mapping studio: one HTML page and three assets (model script, page script, stylesheet),
 * all shipped inside the service as strings, served under content-hashed URLs below
 * `<path>/assets/`. The page uses only the public GraphQL API of the same origin; its
 * Content-Security-Policy forbids loading from, or connecting to, any other origin.
 */
export function studioRoutes(options: StudioOptions): Router {
  const pagePath = plainPath(options.path, 'path');
  const endpointPath = plainPath(options.endpointPath, 'endpointPath');
  const assetsBase = `${pagePath}/assets`;
  const assets = [
    hashed('studio-model', 'js', 'text/javascript', STUDIO_MODEL_SCRIPT),
    hashed('studio', 'js', 'text/javascript', STUDIO_CLIENT_SCRIPT),
    hashed('studio', 'css', 'text/css', STUDIO_STYLESHEET),
  ];
  const byPath = new Map(assets.map((asset) => [`/${asset.name}`, asset]));
  const url = (asset: StudioAsset) => `${assetsBase}/${asset.name}`;
  const page = renderStudioPage({
    title: 'canonql mapping studio',
    endpointPath,
    stylesheets: [url(assets[2]!)],
    scripts: [url(assets[0]!), url(assets[1]!)],
  });

  const router = Router();
  router.get(pagePath, (_req: Request, res: Response) => {
    res.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
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

/** Same origin only, for everything; no inline script or style. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

function hashed(stem: string, extension: string, type: string, body: string): StudioAsset {
  const hash = crypto.createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${stem}-${hash}.${extension}`, type, body };
}

function plainPath(value: string, what: string): string {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(value) || value.includes('//')) {
    throw new Error(`studio ${what} must be a plain absolute path: ${JSON.stringify(value)}`);
  }
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}
