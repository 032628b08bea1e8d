import { planChange, type ChangeIntent } from '../../../src/ingestion/plan-change';
import type { StoredEntity } from '../../../src/state/entity-store';

const base = {
  subject: 'order',
  key: 'k1',
  sourceId: 'raw',
  spec: { id: 's', version: 1 },
  sourceTsMs: null,
  source: { topic: 'raw', partition: 0, offset: '0', position: '', connector: 'mongodb', op: 'c', snapshot: false },
};
const full = (position: string, data: Record<string, unknown>): ChangeIntent => ({ ...base, position, kind: 'full', data, ownedFields: Object.keys(data) });
const hardDelete = (position: string): ChangeIntent => ({ ...base, position, kind: 'delete', hard: true });
const now = new Date('2026-12-02T00:00:00Z');

function apply(intents: ChangeIntent[]): { state: StoredEntity | null; events: { op: string; version: number }[] } {
  let state: StoredEntity | null = null;
  const events: { op: string; version: number }[] = [];
  for (const intent of intents) {
    const plan = planChange(intent, state, now, () => []);
    if (plan.kind === 'skip') continue;
    state = plan.next;
    if (plan.event) events.push({ op: plan.event.op, version: plan.event.version });
  }
  return { state, events };
}

describe('planChange: hard delete and re-creation', () => {
  it('a hard delete keeps a marker with no data, its version and positions', () => {
    const { state } = apply([full('p1', { n: 1 }), hardDelete('p2')]);
    expect(state).toMatchObject({ data: {}, _meta: { version: 2, deleted: true, purged: true, positions: { raw: 'p2' } } });
  });

  it('a re-created entity continues at the next version, as a CREATE', () => {
    const { state, events } = apply([full('p1', { n: 1 }), hardDelete('p2'), full('p3', { n: 3 }), full('p4', { n: 4 })]);
    expect(events).toEqual([
      { op: 'CREATE', version: 1 },
      { op: 'DELETE', version: 2 },
      { op: 'CREATE', version: 3 },
      { op: 'UPDATE', version: 4 },
    ]);
    expect(state).toMatchObject({ data: { n: 4 }, _meta: { version: 4, deleted: false } });
    expect(state!._meta.purged).toBeUndefined();
  });

  it('a late change from before the delete cannot bring the entity back', () => {
    const plan = planChange(full('p1', { n: 1 }), apply([full('p1', { n: 1 }), hardDelete('p2')]).state, now, () => []);
    expect(plan).toMatchObject({ kind: 'skip', outcome: 'stale' });
  });
});
