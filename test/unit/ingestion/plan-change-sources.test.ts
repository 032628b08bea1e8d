import { planChange, type ChangeIntent } from '../../../src/ingestion/plan-change';
import type { StoredEntity } from '../../../src/state/entity-store';

/** Two sources (a PostgreSQL table and a MongoDB collection) feeding one customer, each with its own positions and clock. */
const intent = (sourceId: string, position: string, sourceTsMs: number | null, change: { data: Record<string, unknown> } | 'delete'): ChangeIntent => {
  const base = {
    subject: 'customer',
    key: 'c1',
    sourceId,
    position,
    spec: { id: sourceId, version: 1 },
    sourceTsMs,
    source: { topic: sourceId, partition: 0, offset: '0', position, connector: 'postgresql', op: 'u', snapshot: false },
  };
  return change === 'delete' ? { ...base, kind: 'delete', hard: false } : { ...base, kind: 'full', data: change.data, ownedFields: Object.keys(change.data) };
};
const now = new Date('2026-12-05T00:00:00Z');

function run(intents: ChangeIntent[]): { state: StoredEntity | null; outcomes: string[] } {
  let state: StoredEntity | null = null;
  const outcomes: string[] = [];
  for (const next of intents) {
    const plan = planChange(next, state, now, () => []);
    if (plan.kind === 'skip') {
      outcomes.push(plan.outcome);
      continue;
    }
    state = plan.next;
    outcomes.push(plan.event?.op ?? 'none');
  }
  return { state, outcomes };
}

describe('planChange: a delete against another source’s late change', () => {
  const created = [intent('pg', 'p1', 1000, { data: { email: 'a@x' } }), intent('mongo', 'm1', 2000, { data: { tier: 'gold' } })];

  it('a change of another source from before the delete (by source time) does not bring the entity back', () => {
    const { state, outcomes } = run([...created, intent('pg', 'p2', 3000, 'delete'), intent('mongo', 'm2', 2500, { data: { tier: 'silver' } })]);
    expect(outcomes).toEqual(['CREATE', 'UPDATE', 'DELETE', 'stale']);
    expect(state!._meta).toMatchObject({ deleted: true, version: 3 });
  });

  it('a change of another source from after the delete re-creates it', () => {
    const { state, outcomes } = run([...created, intent('pg', 'p2', 3000, 'delete'), intent('mongo', 'm2', 3500, { data: { tier: 'silver' } })]);
    expect(outcomes).toEqual(['CREATE', 'UPDATE', 'DELETE', 'CREATE']);
    expect(state).toMatchObject({ data: { tier: 'silver' }, _meta: { deleted: false, version: 4 } });
  });

  it("the deleting source's own later change is judged by its positions, whatever its clock says", () => {
    const { state, outcomes } = run([...created, intent('pg', 'p2', 3000, 'delete'), intent('pg', 'p3', 2900, { data: { email: 'b@x' } })]);
    expect(outcomes).toEqual(['CREATE', 'UPDATE', 'DELETE', 'CREATE']);
    expect(state).toMatchObject({ data: { email: 'b@x' }, _meta: { deleted: false } });
  });

  it('without both source times, positions alone decide (as before)', () => {
    expect(run([...created, intent('pg', 'p2', null, 'delete'), intent('mongo', 'm2', 2500, { data: { tier: 'silver' } })]).outcomes.at(-1)).toBe('CREATE');
    expect(run([...created, intent('pg', 'p2', 3000, 'delete'), intent('mongo', 'm2', null, { data: { tier: 'silver' } })]).outcomes.at(-1)).toBe('CREATE');
  });
});

describe('planChange: the claims a state stores when another spec writes it', () => {
  it('a delete by another spec names the previous owner in the claims it keeps', () => {
    const precedence = { id: 'pg', fieldRoots: ['email'], precedenceOf: () => 10 };
    const created = planChange({ ...intent('pg', 'p1', 1000, { data: { email: 'a@x' } }), precedence } as ChangeIntent, null, now, () => []);
    if (created.kind !== 'write') throw new Error('expected a write');
    expect([created.next._meta.specId, created.next._meta.claims]).toEqual(['pg', { email: 10 }]);
    const deleted = planChange(intent('mongo', 'm1', 2000, 'delete'), created.next, now, () => []);
    if (deleted.kind !== 'write') throw new Error('expected a write');
    expect([deleted.next._meta.specId, deleted.next._meta.claims]).toEqual(['mongo', { email: { spec: 'pg', precedence: 10 } }]);
  });
});
