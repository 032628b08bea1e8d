import crypto from 'node:crypto';
import { Router } from 'express';
import type { Registry } from 'prom-client';

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics`: the registry in Prometheus text format. Open by default like `/healthz` (it
 * shows counts and names, no data); with a token configured, the scraper must send it as a
 * bearer credential (compared in constant time).
 */
export function metricsRoute(registry: Registry, options: { token: string | null }): Router {
  const router = Router();
  const expected = options.token === null ? null : crypto.createHash('sha256').update(options.token).digest();
  router.get(METRICS_PATH, async (req, res) => {
    if (expected) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      const presented = crypto
        .createHash('sha256')
        .update(match?.[1] ?? '')
        .digest();
      if (!match || !crypto.timingSafeEqual(expected, presented)) {
        res
          .status(401)
          .set('www-authenticate', 'Bearer')
          .json({ error: { code: 'UNAUTHENTICATED', message: 'GET /metrics needs the configured bearer token' } });
        return;
      }
    }
    try {
      const body = await registry.metrics();
      res.set('content-type', registry.contentType).send(body);
    } catch (error) {
      res
        .status(500)
        .type('text/plain')
        .send(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return router;
}
