import { createConsumerHealth } from '../../../src/observability/consumer-health';
import { consumerReadiness, readinessReport } from '../../../src/observability/readiness';

describe('readiness report', () => {
  it('is ready while components are ok or starting; one failing component makes it not ready', async () => {
    const ok = async () => true;
    const starting = async () => ({ state: 'starting' as const, reason: 'joining its group' });
    expect(await readinessReport({ store: ok, ingestion: starting })).toEqual({
      ready: true,
      components: { store: { state: 'ok' }, ingestion: { state: 'starting', reason: 'joining its group' } },
    });
    expect((await readinessReport({ store: async () => false, ingestion: starting })).ready).toBe(false);
  });

  it('a check that throws or does not answer in time is failing, with the reason', async () => {
    const report = await readinessReport(
      {
        store: async () => {
          throw new Error('This store is closed');
        },
        kafka: () => new Promise<boolean>(() => undefined),
      },
      50,
    );
    expect(report).toEqual({
      ready: false,
      components: { store: { state: 'failing', reason: 'This store is closed' }, kafka: { state: 'failing', reason: 'no answer within 50 ms' } },
    });
  });
});

describe('consumer health', () => {
  it('goes starting → consuming → starting (restart) → failed, and a failure is final until stopped', async () => {
    let now = 0;
    const health = createConsumerHealth(() => now);
    const readiness = consumerReadiness(() => health.health());
    expect(await readiness()).toEqual({ state: 'starting' });
    health.set('consuming');
    expect(await readiness()).toEqual({ state: 'ok' });
    now = 5;
    health.set('starting', new Error('broker gone'));
    expect(health.health()).toEqual({ state: 'starting', since: 5, reason: 'broker gone' });
    health.set('failed', new TypeError('a bug'));
    expect(await readiness()).toEqual({ state: 'failing', reason: 'crashed for good: a bug' });
    health.set('consuming');
    expect(health.health().state).toBe('failed');
    health.set('stopped');
    expect(await readiness()).toEqual({ state: 'failing', reason: 'stopped' });
  });

  it('idle (nothing to consume) is ok', async () => {
    const health = createConsumerHealth();
    health.set('idle');
    expect(await consumerReadiness(() => health.health())()).toEqual({ state: 'ok' });
  });
});
