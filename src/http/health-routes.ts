import { Router } from 'express';

export type ReadinessCheck = () => Promise<boolean>;

/**
 * `/healthz`: the process is alive (no dependency is consulted, so an orchestrator never restarts
 * a healthy process because MongoDB blinked). `/readyz`: every dependency answers; 503 with the
 * failing ones otherwise, so a load balancer stops routing here until they recover.
 */
export function healthRoutes(checks: Readonly<Record<string, ReadinessCheck>>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const ok = await withTimeout(check(), 3000).catch(() => false);
        return [name, ok ? 'ok' : 'failing'] as const;
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks: Object.fromEntries(results) });
  });
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
