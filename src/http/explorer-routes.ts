import crypto from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { resolveExplorerAssets } from './explorer/assets';
import type { SiteLinks } from './html';
import { browserScript } from './browser-scripts';
import { renderExplorerPage } from './explorer/page';

export interface ExplorerOptions {
  /** Path of the GraphQL endpoint (HTTP and graphql-ws), e.g. `/graphql`. */
  readonly endpointPath: string;
  /** Operation(s) pre-filled in the editor on a first visit (GraphiQL keeps the user's edits in localStorage). */
  readonly defaultQuery: string;
  /** Page title; `canonql explorer` when omitted. */
  readonly title?: string;
  /** canonql's other pages, linked in a bar above GraphiQL; absent: no bar. */
  readonly links?: SiteLinks;
}

/** What the GraphQL endpoint itself answers with, besides HTML. Mirrors Apollo Server's own landing-page negotiation. */
const GRAPHQL_MEDIA_TYPES = ['application/json', 'application/graphql-response+json', 'multipart/mixed'];

/**
 * GraphiQL at the GraphQL URL: `GET <endpointPath>` from a browser (one that prefers `text/html`)
 * gets the explorer page; every other request goes on (`next()`) to the GraphQL server mounted
 * after this router. The page's assets are served from the installed npm packages below
 * `<endpointPath>/explorer-assets/` under versioned URLs; the page names no other origin, and its
 * Content-Security-Policy forbids loading from one.
 *
 * Mount before the GraphQL middleware: `app.use(explorerRoutes({ endpointPath: '/graphql', ... }))`.
 */
export function explorerRoutes(options: ExplorerOptions): Router {
  const endpointPath = normalizeEndpointPath(options.endpointPath);
  const assetsBase = `${endpointPath === '/' ? '' : endpointPath}/explorer-assets`;
  const assets = resolveExplorerAssets();

  const clientScript = browserScript('explorer');
  const clientScriptName = `explorer-${sha256(clientScript).slice(0, 12)}.js`;
  const files = new Map<string, string>(Object.values(assets).map((asset) => [`/${asset.urlPath}`, asset.filePath]));
  const assetUrl = (urlPath: string) => `${assetsBase}/${urlPath}`;

  const page = renderExplorerPage({
    title: options.title ?? 'canonql explorer',
    endpointPath,
    defaultQuery: options.defaultQuery,
    stylesheets: [assetUrl(assets.graphiqlCss.urlPath)],
    scripts: [
      assetUrl(assets.react.urlPath),
      assetUrl(assets.reactDom.urlPath),
      assetUrl(assets.graphqlWs.urlPath),
      assetUrl(assets.graphiqlJs.urlPath),
      assetUrl(clientScriptName),
    ],
    ...(options.links ? { links: options.links } : {}),
  });

  const router = Router();

  router.get(endpointPath, (req: Request, res: Response, next: NextFunction) => {
    if (req.accepts([...GRAPHQL_MEDIA_TYPES, 'text/html']) !== 'text/html') {
      next();
      return;
    }
    res.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept',
    });
    res.type('html').send(page);
  });

  router.use(assetsBase, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    res.set('X-Content-Type-Options', 'nosniff');
    if (req.path === `/${clientScriptName}`) {
      res.set('Cache-Control', IMMUTABLE).type('text/javascript').send(clientScript);
      return;
    }
    const filePath = files.get(req.path);
    if (filePath === undefined) {
      res.status(404).type('text/plain').send('no such explorer asset');
      return;
    }
    // Versioned URLs: the content behind one never changes.
    res.sendFile(filePath, { maxAge: '365d', immutable: true }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });

  return router;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Same origin only. Styles allow inline (GraphiQL and CodeMirror set style attributes), fonts and
 * images allow data: (GraphiQL's stylesheet embeds its fonts), connections allow the websocket.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  "object-src 'none'",
].join('; ');

function normalizeEndpointPath(endpointPath: string): string {
  if (!endpointPath.startsWith('/')) throw new Error(`explorer endpointPath must start with "/": ${JSON.stringify(endpointPath)}`);
  if (/[?#*:()]/.test(endpointPath)) throw new Error(`explorer endpointPath must be a plain path: ${JSON.stringify(endpointPath)}`);
  return endpointPath.length > 1 ? endpointPath.replace(/\/+$/, '') : endpointPath;
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
