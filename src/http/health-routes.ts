import { Router } from 'express';
import { readinessReport, type ReadinessCheck } from '../observability/readiness';

export type { ReadinessCheck } from '../observability/readiness';

/**
 * `/healthz`: the process is alive (no dependency is consulted, so an orchestrator never restarts
 * a healthy process because MongoDB blinked). `/readyz`: each component's state
 * (src/observability/readiness.ts) — `{status, checks: {store: "ok", ingestion: "starting", …},
 * reasons: {…}}` — 200 unless one is `failing`, then 503, so a load balancer stops routing here
 * until it recovers.
 */
export function healthRoutes(checks: Readonly<Record<string, ReadinessCheck>>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readinessReport(checks);
    const states = Object.fromEntries(Object.entries(report.components).map(([name, component]) => [name, component.state]));
    const reasons = Object.fromEntries(Object.entries(report.components).flatMap(([name, component]) => (component.reason ? [[name, component.reason]] : [])));
    res.status(report.ready ? 200 : 503).json({
      status: report.ready ? 'ready' : 'not-ready',
      checks: states,
      ...(Object.keys(reasons).length > 0 ? { reasons } : {}),
    });
  });
  return router;
}
