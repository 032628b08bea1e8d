import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { createLeftovers } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * Readiness tells the truth (issue 14 item 2, issue 13 item 4): `/readyz` reports each component
 * (the store by a real write/read round trip, the ingestion and metrics consumers by their state),
 * a consumer still joining counts as `starting` (not unready), and only a store that fails round
 * trips or a consumer that crashed for good makes it 503.
 */
type Readiness = { status: string; checks: Record<string, string> };

describe('readiness', () => {
  const leftovers = createLeftovers();
  let target: AppUnderTest;

  beforeAll(async () => {
    target = await startAppUnderTest('readiness');
    leftovers.add(() => target.stop());
  });
  afterAll(() => leftovers.dispose());

  const readyz = async () => {
    const response = await fetch(`${target.app.url}/readyz`);
    return { status: response.status, body: (await response.json()) as Readiness };
  };

  it.failing('reports the store, the ingestion consumer and the metrics consumer as components', async () => {
    const ready = await waitFor('every component ok', async () => {
      const reply = await readyz();
      return reply.status === 200 && reply.body.checks.ingestion === 'ok' && reply.body.checks.metrics === 'ok' ? reply : undefined;
    }, { timeoutMs: 20_000 });
    expect(ready.body.checks).toMatchObject({ store: 'ok', ingestion: 'ok', metrics: 'ok' });
  });
});
