import type { Collection } from 'mongodb';
import type { CanonicalEvent } from '../../../src/events/canonical-event';
import type { EventLog, LoggedEvent } from '../../../src/events/event-log';
import { applyBatch, type BatchResult } from '../../../src/ingestion/apply-batch';
import { planChange, type ChangeIntent, type ChangePlan } from '../../../src/ingestion/plan-change';
import { createStateCache } from '../../../src/ingestion/state-cache';
import type { PrecedenceSource } from '../../../src/mapping/merge-by-precedence';
import type { CasResult, EntityStore, EntityWrite, StoredEntity } from '../../../src/state/entity-store';

/**
 * The exactly-once core, over in-memory fakes of the entity store and the event log (our own
 * interfaces; the integration suites run the same paths against the real store). Every case is a
 * spec of one rule, and every case ends the same way: applying the same changes again leaves the
 * state as it is and logs no new event.
 */

const NOW = new Date('2026-12-03T00:00:00Z');
const notUsed = (): never => {
  throw new Error('not used by the apply path');
};

/** Entities by subject and key, compare-and-set on the version, copies in and out like a database. */
class MemoryEntityStore implements EntityStore {
  readonly entities = new Map<string, StoredEntity>();
  /** Runs once, just before the next batched write: another writer getting there first. */
  interfere: (() => void) | null = null;

  collection(): Collection<StoredEntity> {
    return notUsed();
  }
  ensureIndexes(): Promise<void> {
    return notUsed();
  }
  ensureOrderKeyIndexes(): Promise<void> {
    return notUsed();
  }
  ensureRelationIndexes(): Promise<void> {
    return notUsed();
  }
  /** Keys asked for by getMany, every call. */
  readonly reads: string[] = [];
  async getMany(subject: string, keys: readonly string[]) {
    this.reads.push(...keys);
    const found = new Map<string, StoredEntity>();
    for (const key of keys) {
      const entity = this.entities.get(`${subject}/${key}`);
      if (entity) found.set(key, structuredClone(entity));
    }
    return found;
  }
  async get(subject: string, key: string) {
    const entity = this.entities.get(`${subject}/${key}`);
    return entity ? structuredClone(entity) : null;
  }
  async compareAndSet(subject: string, next: StoredEntity, expectedVersion: number | null): Promise<CasResult> {
    const id = `${subject}/${next._id}`;
    if ((this.entities.get(id)?._meta.version ?? null) !== expectedVersion) return 'conflict';
    this.entities.set(id, structuredClone(next));
    return 'written';
  }
  async writeMany(subject: string, writes: readonly EntityWrite[]) {
    const interfere = this.interfere;
    this.interfere = null;
    interfere?.();
    const lost: string[] = [];
    for (const write of writes) {
      const id = `${subject}/${write.key}`;
      if ((this.entities.get(id)?._meta.version ?? null) !== write.expectedVersion) lost.push(write.key);
      else if (write.next) this.entities.set(id, structuredClone(write.next));
      else this.entities.delete(id);
    }
    return lost;
  }
  state(subject: string, key: string): StoredEntity | undefined {
    return this.entities.get(`${subject}/${key}`);
  }
}

/** The outbox: events by id, inserted once. */
class MemoryEventLog implements EventLog {
  readonly events = new Map<string, { event: CanonicalEvent; published: boolean }>();

  get collection(): Collection<LoggedEvent> {
    return notUsed();
  }
  ensureIndexes(): Promise<void> {
    return notUsed();
  }
  async record(event: CanonicalEvent) {
    const found = this.events.get(event.id);
    if (found) return { ...structuredClone(found), inserted: false };
    this.events.set(event.id, { event: structuredClone(event), published: false });
    return { event, published: false, inserted: true };
  }
  async find(id: string) {
    const found = this.events.get(id);
    return found ? structuredClone(found) : null;
  }
  async findMany(ids: readonly string[]) {
    const found = new Map<string, { event: CanonicalEvent; published: boolean }>();
    for (const id of ids) {
      const event = this.events.get(id);
      if (event) found.set(id, structuredClone(event));
    }
    return found;
  }
  async insertMany(events: readonly CanonicalEvent[]) {
    const existing = new Map<string, { event: CanonicalEvent; published: boolean }>();
    for (const event of events) {
      const found = this.events.get(event.id);
      if (found) existing.set(event.id, structuredClone(found));
      else this.events.set(event.id, { event: structuredClone(event), published: false });
    }
    return existing;
  }
  async markPublished(ids: readonly string[]) {
    for (const id of ids) {
      const found = this.events.get(id);
      if (found) found.published = true;
    }
  }
  async discardUnpublished(id: string) {
    if (this.events.get(id)?.published === false) this.events.delete(id);
  }
  list(): CanonicalEvent[] {
    return [...this.events.values()].map((e) => e.event);
  }
}

const source = { topic: 'raw.orders', partition: 0, offset: '0', position: '', connector: 'postgresql', op: 'u', snapshot: false };
const base = (key: string, position: string, sourceId = 'raw.orders') => ({
  subject: 'order',
  key,
  sourceId,
  position,
  spec: { id: 'orders', version: 1 },
  sourceTsMs: 1_700_000_000_000,
  source: { ...source, position },
});
const full = (
  key: string,
  position: string,
  data: Record<string, unknown>,
  extra: Partial<{ sourceId: string; precedence: PrecedenceSource }> = {},
): ChangeIntent => ({
  ...base(key, position, extra.sourceId),
  kind: 'full',
  data,
  ownedFields: Object.keys(data),
  // A spec's intents name it as the precedence source too (ingestion/pipeline.ts).
  ...(extra.precedence ? { precedence: extra.precedence, spec: { id: extra.precedence.id, version: 1 } } : {}),
});
const partial = (key: string, position: string, set: Record<string, unknown>, unset: string[] = []): ChangeIntent => ({
  ...base(key, position),
  kind: 'partial',
  set,
  unset,
});
const softDelete = (key: string, position: string): ChangeIntent => ({ ...base(key, position), kind: 'delete', hard: false });

/** A source of the same subject with a precedence per field root (several specs, one subject). */
const specSource = (id: string, precedence: Record<string, number>): PrecedenceSource => ({
  id,
  fieldRoots: Object.keys(precedence),
  precedenceOf: (path) => precedence[path.split('.')[0]!] ?? 0,
});

/** A store and an event log in memory; `states`: with the process's state cache (state-cache.ts). */
function setUp(options: { validate?: (subject: string, doc: Record<string, unknown>) => string[]; states?: boolean } = {}) {
  const store = new MemoryEntityStore();
  const eventLog = new MemoryEventLog();
  const deps = {
    store,
    eventLog,
    validate: options.validate ?? (() => [] as string[]),
    now: () => NOW,
    ...(options.states ? { states: createStateCache(100) } : {}),
  };
  return { store, eventLog, deps, apply: (intents: readonly ChangeIntent[]) => applyBatch(deps, intents) };
}

/** Another writer (a backfill, another process) applies `change` to the store and the log alone. */
function writeElsewhere(world: ReturnType<typeof setUp>, change: ChangeIntent): void {
  const key = `order/${change.key}`;
  const plan = planChange(change, world.store.entities.get(key) ?? null, NOW, () => []) as Extract<ChangePlan, { kind: 'write' }>;
  world.store.entities.set(key, plan.next);
  if (plan.event) world.eventLog.events.set(plan.event.id, { event: plan.event, published: true });
}

const loggedVersions = (world: ReturnType<typeof setUp>) =>
  world.eventLog
    .list()
    .map((e) => e.version)
    .sort();

/** Applies the same intents again: same state, no new event, every change a duplicate or stale. */
async function expectReplayIsNoOp(world: ReturnType<typeof setUp>, intents: readonly ChangeIntent[]): Promise<void> {
  const state = structuredClone([...world.store.entities]);
  const events = structuredClone([...world.eventLog.events.keys()]);
  const again = await world.apply(intents);
  expect(again.map((r) => r.outcome).every((o) => o === 'duplicate' || o === 'stale')).toBe(true);
  expect([...world.store.entities]).toEqual(state);
  expect([...world.eventLog.events.keys()]).toEqual(events);
}

const outcomes = (results: readonly BatchResult[]) => results.map((r) => r.outcome);

describe('applyBatch (the batch path of exactly-once), over in-memory store and event log', () => {
  it('when the same change arrives twice, the second is a duplicate: state unchanged, no new event', async () => {
    const world = setUp();
    const change = full('o-1', '0001', { status: 'NEW', total: '10.00' });
    expect(outcomes(await world.apply([change]))).toEqual(['applied']);
    expect(outcomes(await world.apply([change]))).toEqual(['duplicate']);
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { status: 'NEW', total: '10.00' }, _meta: { version: 1 } });
    expect(world.eventLog.list().map((e) => [e.op, e.version])).toEqual([['CREATE', 1]]);
    await expectReplayIsNoOp(world, [change]);
  });

  it('when an older change arrives after a newer one, it is stale and changes nothing', async () => {
    const world = setUp();
    const older = full('o-1', '0001', { status: 'NEW' });
    const newer = full('o-1', '0002', { status: 'PAID' });
    expect(outcomes(await world.apply([newer]))).toEqual(['applied']);
    expect(outcomes(await world.apply([older]))).toEqual(['stale']);
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { status: 'PAID' }, _meta: { version: 1, positions: { 'raw.orders': '0002' } } });
    expect(world.eventLog.list()).toHaveLength(1);
    await expectReplayIsNoOp(world, [older, newer]);
  });

  it('after a soft delete, an older change cannot bring the entity back', async () => {
    const world = setUp();
    const created = full('o-1', '0001', { status: 'NEW' });
    const deleted = softDelete('o-1', '0003');
    const late = full('o-1', '0002', { status: 'PAID' });
    expect(outcomes(await world.apply([created, deleted]))).toEqual(['applied', 'applied']);
    expect(outcomes(await world.apply([late]))).toEqual(['stale']);
    // The soft-deleted entity keeps its last state (history, as-of reads) and its positions.
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { status: 'NEW' }, _meta: { version: 2, deleted: true } });
    expect(world.eventLog.list().map((e) => [e.op, e.version, e.after])).toEqual([
      ['CREATE', 1, { status: 'NEW' }],
      ['DELETE', 2, null],
    ]);
    await expectReplayIsNoOp(world, [created, deleted, late]);
  });

  it('a primary-key change (delete of the old key, create of the new one) moves the entity: old deleted, new created', async () => {
    const world = setUp();
    const before = full('c-10', '0001', { customerId: '10', email: 'pk@x.io' });
    // Debezium emits a primary-key update as a delete of the old key and a create of the new one.
    const moved = [softDelete('c-10', '0002'), full('c-11', '0002', { customerId: '11', email: 'pk@x.io' })];
    await world.apply([before]);
    expect(outcomes(await world.apply(moved))).toEqual(['applied', 'applied']);
    expect(world.store.state('order', 'c-10')).toMatchObject({ _meta: { deleted: true, version: 2 } });
    expect(world.store.state('order', 'c-11')).toMatchObject({ data: { customerId: '11', email: 'pk@x.io' }, _meta: { deleted: false, version: 1 } });
    expect(world.eventLog.list().map((e) => [e.key, e.op])).toEqual([
      ['c-10', 'CREATE'],
      ['c-10', 'DELETE'],
      ['c-11', 'CREATE'],
    ]);
    await expectReplayIsNoOp(world, [before, ...moved]);
  });

  it('with several specs feeding one subject, a field root goes to the highest precedence, whatever the order', async () => {
    const world = setUp();
    const crm = specSource('crm', { email: 10, name: 1 });
    const shop = specSource('shop', { email: 5, name: 5 });
    const fromCrm = full('c-1', '0001', { email: 'crm@x.io', name: 'From CRM' }, { sourceId: 'raw.crm', precedence: crm });
    const fromShop = full('c-1', '0001', { email: 'shop@x.io', name: 'From Shop' }, { sourceId: 'raw.shop', precedence: shop });
    expect(outcomes(await world.apply([fromCrm, fromShop]))).toEqual(['applied', 'applied']);
    const state = world.store.state('order', 'c-1')!;
    expect(state.data).toEqual({ email: 'crm@x.io', name: 'From Shop' });
    // The spec that wrote last owns the state: its claims are stored as their precedence alone.
    expect(state._meta.specId).toBe('shop');
    expect(state._meta.claims).toEqual({ email: { spec: 'crm', precedence: 10 }, name: 5 });
    // Each source's position is its own: both stay comparable on a replay.
    expect(state._meta.positions).toEqual({ 'raw.crm': '0001', 'raw.shop': '0001' });
    await expectReplayIsNoOp(world, [fromShop, fromCrm]);
  });

  it('a partial update sets and unsets the paths it names and keeps every other field', async () => {
    const world = setUp();
    const created = full('o-1', '0001', { status: 'NEW', customer: { email: 'a@x.io', phone: '1' }, items: [{ sku: 'a' }, { sku: 'b' }] });
    const update = partial('o-1', '0002', { status: 'PAID', 'items.1.sku': 'c' }, ['customer.phone']);
    await world.apply([created]);
    expect(outcomes(await world.apply([update]))).toEqual(['applied']);
    expect(world.store.state('order', 'o-1')!.data).toEqual({ status: 'PAID', customer: { email: 'a@x.io' }, items: [{ sku: 'a' }, { sku: 'c' }] });
    const [, event] = world.eventLog.list();
    expect(event).toMatchObject({ op: 'UPDATE', version: 2, changedFields: ['customer', 'items', 'status'] });
    await expectReplayIsNoOp(world, [created, update]);
  });

  it('when another writer wins the compare-and-set, the change is decided again on the fresh state and its first event is undone', async () => {
    const world = setUp();
    await world.apply([full('o-1', '0001', { status: 'NEW', note: 'first' })]);
    const other = full('o-1', '0005', { status: 'SHIPPED' }, { sourceId: 'raw.other' });
    // Between this batch's read and its write, another consumer (a rebalance) applies a change of another source.
    world.store.interfere = () => writeElsewhere(world, other);
    const mine = partial('o-1', '0002', { note: 'second' });
    const [result] = await world.apply([mine]);
    expect(result).toMatchObject({ outcome: 'applied', event: { op: 'UPDATE', version: 3, before: { status: 'SHIPPED', note: 'first' } } });
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { status: 'SHIPPED', note: 'second' }, _meta: { version: 3 } });
    // The log holds one event per version: the one planned on the stale state (version 2) is gone.
    expect(loggedVersions(world)).toEqual([1, 2, 3]);
    expect(
      world.eventLog
        .list()
        .filter((e) => e.version === 2)
        .map((e) => e.source.position),
    ).toEqual(['0005']);
    await expectReplayIsNoOp(world, [mine]);
  });

  it('a change that breaks the canonical schema is invalid and changes nothing; the rest of the batch applies', async () => {
    const world = setUp();
    const deps = { ...world.deps, validate: (_subject: string, doc: Record<string, unknown>) => (doc.status === 'BAD' ? ['status: not allowed'] : []) };
    const results = await applyBatch(deps, [full('o-1', '0001', { status: 'BAD' }), full('o-2', '0001', { status: 'NEW' })]);
    expect(outcomes(results)).toEqual(['invalid', 'applied']);
    expect(world.store.state('order', 'o-1')).toBeUndefined();
    expect(world.eventLog.list().map((e) => e.key)).toEqual(['o-2']);
  });
});

describe("applyBatch with the process's state cache (states it wrote last, read instead of the store)", () => {
  it('a state it wrote is not read back for the next change of the entity', async () => {
    const world = setUp({ states: true });
    await world.apply([full('o-1', '0001', { status: 'NEW' }), full('o-2', '0001', { status: 'NEW' })]);
    expect(world.store.reads).toEqual(['o-1', 'o-2']);
    expect(outcomes(await world.apply([partial('o-1', '0002', { status: 'PAID' }), full('o-3', '0001', { status: 'NEW' })]))).toEqual(['applied', 'applied']);
    expect(world.store.reads).toEqual(['o-1', 'o-2', 'o-3']);
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { status: 'PAID' }, _meta: { version: 2 } });
    expect(world.eventLog.list().map((e) => [e.key, e.version])).toEqual([
      ['o-1', 1],
      ['o-2', 1],
      ['o-1', 2],
      ['o-3', 1],
    ]);
  });

  it('a change planned on a kept state that moved on loses its write and is redone on the stored one', async () => {
    const world = setUp({ states: true });
    await world.apply([full('o-1', '0001', { status: 'NEW', note: 'first' })]);
    writeElsewhere(world, full('o-1', '0005', { status: 'SHIPPED' }, { sourceId: 'raw.other' }));
    const [result] = await world.apply([partial('o-1', '0002', { note: 'second' })]);
    expect(result).toMatchObject({ outcome: 'applied', event: { version: 3, before: { status: 'SHIPPED', note: 'first' } } });
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { status: 'SHIPPED', note: 'second' }, _meta: { version: 3 } });
    expect(loggedVersions(world)).toEqual([1, 2, 3]);
    // What the redo wrote is not kept (it went through the one-by-one path): the next batch reads it.
    await world.apply([partial('o-1', '0003', { note: 'third' })]);
    expect(world.store.reads.filter((k) => k === 'o-1').length).toBeGreaterThan(1);
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { note: 'third' }, _meta: { version: 4 } });
  });

  it('a change the kept state calls a duplicate is applied when the store does not hold it', async () => {
    const world = setUp({ states: true });
    const created = full('o-1', '0001', { status: 'NEW' });
    const paid = partial('o-1', '0002', { status: 'PAID' });
    await world.apply([created, paid]);
    // The store lost the second write (restored from a backup): the kept state still has it.
    world.store.entities.clear();
    writeElsewhere(world, created);
    expect(outcomes(await world.apply([paid]))).toEqual(['applied']);
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { status: 'PAID' }, _meta: { version: 2 } });
  });

  it('a change the kept state makes invalid is applied when the stored state makes it valid', async () => {
    const world = setUp({ states: true, validate: (_subject, doc) => (doc.c !== undefined && doc.b === undefined ? ['c needs b'] : []) });
    await world.apply([full('o-1', '0001', { a: 1 })]);
    writeElsewhere(world, full('o-1', '0001', { b: 2 }, { sourceId: 'raw.other' }));
    expect(outcomes(await world.apply([partial('o-1', '0002', { c: 3 })]))).toEqual(['applied']);
    expect(world.store.state('order', 'o-1')).toMatchObject({ data: { a: 1, b: 2, c: 3 }, _meta: { version: 3 } });
  });

  it('a duplicate the store confirms stays a duplicate, and the kept state stays', async () => {
    const world = setUp({ states: true });
    const created = full('o-1', '0001', { status: 'NEW' });
    await world.apply([created]);
    expect(outcomes(await world.apply([created]))).toEqual(['duplicate']);
    expect(world.store.reads).toEqual(['o-1', 'o-1']);
    expect(outcomes(await world.apply([partial('o-1', '0002', { status: 'PAID' })]))).toEqual(['applied']);
    expect(world.store.reads).toEqual(['o-1', 'o-1']);
  });
});

describe('planChange (the pure decision), change by change', () => {
  const plan = (intent: ChangeIntent, prev: StoredEntity | null) => planChange(intent, prev, NOW, () => []);
  const written = (p: ChangePlan) => {
    if (p.kind !== 'write') throw new Error(`expected a write, got ${p.outcome}`);
    return p;
  };

  it('equal position: duplicate; lower position: stale; both with the event id the first application used', () => {
    const first = written(plan(full('k', '0002', { n: 1 }), null));
    expect(plan(full('k', '0002', { n: 1 }), first.next)).toEqual({ kind: 'skip', outcome: 'duplicate', eventId: first.event!.id });
    expect(plan(full('k', '0001', { n: 0 }), first.next)).toMatchObject({ kind: 'skip', outcome: 'stale' });
  });

  it('a change from another source is compared with that source position only', () => {
    const first = written(plan(full('k', '0009', { n: 1 }), null));
    const other = written(plan(full('k', '0001', { m: 2 }, { sourceId: 'raw.other' }), first.next));
    expect(other.next._meta.positions).toEqual({ 'raw.orders': '0009', 'raw.other': '0001' });
    expect(other.next.data).toEqual({ n: 1, m: 2 });
  });

  it('a delete of an entity never seen writes a deleted marker and no event', () => {
    const result = written(plan(softDelete('k', '0001'), null));
    expect(result.event).toBeNull();
    expect(result.next._meta).toMatchObject({ deleted: true, version: 1, positions: { 'raw.orders': '0001' } });
  });

  it('a full image replaces only the fields its spec owns', () => {
    const first = written(plan(full('k', '0001', { a: 1 }, { sourceId: 'raw.a' }), null));
    const second = written(plan(full('k', '0001', { b: 2 }, { sourceId: 'raw.b' }), first.next));
    const third = written(plan(full('k', '0002', { a: 3 }, { sourceId: 'raw.a' }), second.next));
    expect(third.next.data).toEqual({ a: 3, b: 2 });
    expect(third.event).toMatchObject({ op: 'UPDATE', version: 3, changedFields: ['a'] });
  });
});
