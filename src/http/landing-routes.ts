import { Router, type Request, type Response } from 'express';
import type { Logger } from '../logger';
import { hashedAsset, SAME_ORIGIN_PAGE_CSP, type SiteLinks } from './html';
import { renderLandingPage, type LandingSnapshot } from './landing/page';
import { LANDING_STYLESHEET } from './landing/stylesheet';

export interface LandingOptions {
  /** Links to the explorer, the studio, /metrics and the health routes (the page is served at `links.home`). */
  readonly links: SiteLinks;
  /**
   * What is running now (subjects' status, active specs and metrics), read on every request; null
   * when reads need a credential (CANONQL_REQUIRE_AUTH): the page then shows no data, only links.
   */
  readonly snapshot: (() => Promise<LandingSnapshot>) | null;
  readonly logger: Logger;
}

const ASSETS_BASE = '/landing-assets';

/**
 * The landing page: server-rendered HTML with one stylesheet under a content-hashed URL, the same
 * same-origin Content-Security-Policy as the studio. When the status cannot be read (the store is
 * down) the page still answers, with 503, the reason and its links.
 */
export function landingRoutes(options: LandingOptions): Router {
  const stylesheet = hashedAsset('landing', 'css', 'text/css', LANDING_STYLESHEET);
  const stylesheetUrl = `${ASSETS_BASE}/${stylesheet.name}`;
  const log = options.logger.child({ component: 'landing-page' });
  const router = Router();

  router.get(options.links.home, async (_req: Request, res: Response) => {
    res.set({
      'Content-Security-Policy': SAME_ORIGIN_PAGE_CSP,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    if (options.snapshot === null) {
      res.type('html').send(renderLandingPage({ links: options.links, stylesheets: [stylesheetUrl], snapshot: { unavailable: 'restricted' } }));
      return;
    }
    try {
      const snapshot = await options.snapshot();
      res.type('html').send(renderLandingPage({ links: options.links, stylesheets: [stylesheetUrl], snapshot }));
    } catch (error) {
      // The reason goes to the log only: a driver's message may name hosts or users.
      log.warn({ err: error }, 'landing page: status unavailable');
      res
        .status(503)
        .type('html')
        .send(renderLandingPage({ links: options.links, stylesheets: [stylesheetUrl], snapshot: { unavailable: 'error' } }));
    }
  });
  router.get(`${ASSETS_BASE}/:name`, (req: Request, res: Response) => {
    if (req.params.name !== stylesheet.name) {
      res.status(404).type('text/plain').send('no such landing page asset');
      return;
    }
    // Content-hashed URL: the content behind it never changes.
    res.set({ 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' });
    res.type(stylesheet.type).send(stylesheet.body);
  });
  return router;
}
