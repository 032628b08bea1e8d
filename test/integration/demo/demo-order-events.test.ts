import { decodeExtendedJson } from '../../../src/ingestion/debezium/decode-extended-json';
import { createDemoOrders, type OrderAction } from '../../../src/demo/demo-orders';
import { createMongoClock, mongoChangeMessage } from '../../../src/demo/mongo-change-event';
import { formatCents } from '../../../src/demo/demo-random';
import { replay, seededRandom, specFromRepo } from './demo-support';

/**
 * The demo order stream without servers: a long seeded stream decodes, maps with the seed's own
 * spec (specs/order.json) and validates against the canonical order schema with no failure, and
 * applying its partial updates gives the same canonical orders as mapping the full documents.
 */
describe('demo order events (MongoDB-connector shape)', () => {
  const topic = 'raw.mongo.orders';
  const spec = specFromRepo('order.json', topic);

  function stream(seed: number, events: number, stepMs = 137) {
    let clock = 1_760_000_000_000;
    const orders = createDemoOrders({ random: seededRandom(seed), now: () => (clock += stepMs), maxOrders: 40 });
    const messages = [];
    const actions: OrderAction[] = [];
    for (let produced = 0; produced < events; ) {
      const batch = orders.next(3);
      messages.push(...batch.messages);
      actions.push(...batch.actions);
      produced += batch.changes;
    }
    return { messages, actions, orders };
  }

  it('maps every event with specs/order.json into valid canonical orders, without a failure', () => {
    const { messages, actions } = stream(42, 3000);
    const result = replay(
      topic,
      spec,
      messages.map((m) => ({ key: m.key as string, value: (m.value ?? null) as string | null })),
    );

    expect(result.failures).toEqual([]);
    // Every kind of change is in the stream: creates, full updates, partial updates, deletes, tombstones.
    expect(result.kinds.c).toBeGreaterThan(300);
    expect(result.kinds.u).toBeGreaterThan(100);
    expect(result.kinds['u-patch']).toBeGreaterThan(500);
    expect(result.kinds.d).toBeGreaterThan(50);
    expect(result.kinds.tombstone).toBe(result.kinds.d);
    expect(new Set(actions)).toEqual(new Set(['create', 'edit-lines', 'advance-status', 'correct-email', 'delete']));
    // The live orders are bounded (maxOrders) and every one is a valid canonical order.
    expect(result.state.size).toBeGreaterThan(0);
    expect(result.state.size).toBeLessThanOrEqual(40);
  });

  it('gives strictly increasing source positions (ts_ms, ord), also within one second', () => {
    // 20 ms per event: many events share a second and are told apart by ord.
    const { messages } = stream(7, 500, 20);
    const result = replay(
      topic,
      spec,
      messages.map((m) => ({ key: m.key as string, value: (m.value ?? null) as string | null })),
    );
    expect(result.positions.length).toBeGreaterThanOrEqual(500);
    for (let i = 1; i < result.positions.length; i += 1) expect(result.positions[i]! > result.positions[i - 1]!).toBe(true);
    expect(result.positions.some((p) => p.endsWith(':0000000005'))).toBe(true);
  });

  it('keeps canonical state equal to mapping the current documents (partial updates agree with full images)', () => {
    const { messages } = stream(2024, 1500);
    const records = messages.map((m) => ({ key: m.key as string, value: (m.value ?? null) as string | null }));
    const result = replay(topic, spec, records);
    expect(result.failures).toEqual([]);

    // The source collection, rebuilt from the events (full images replace, patches set dotted paths).
    const documents = new Map<string, Record<string, unknown>>();
    for (const decoded of result.decoded) {
      if (decoded.kind !== 'change') continue;
      const key = decoded.entityKey!;
      if (decoded.op === 'd') documents.delete(key);
      else if (decoded.after) documents.set(key, decoded.after);
      else for (const [field, value] of Object.entries(decoded.patch!.set)) setDotted(documents.get(key)!, field, value);
    }
    expect([...documents.keys()].sort()).toEqual([...result.state.keys()].sort());
    for (const [key, document] of documents) expect(result.state.get(key)).toEqual(spec.map(document));
  });

  it('writes realistic documents: Extended JSON strings, decimal money, dates, and an order total that adds up', () => {
    const { messages } = stream(3, 50);
    const create = JSON.parse(messages[0]!.value as string);
    expect(JSON.parse(messages[0]!.key as string)).toEqual({ id: expect.stringMatching(/^\{"\$oid": "[0-9a-f]{24}"\}$/) });
    expect(typeof create.after).toBe('string');
    expect(create).toMatchObject({
      op: 'c',
      before: null,
      updateDescription: null,
      source: { connector: 'mongodb', db: 'shop', collection: 'orders', snapshot: 'false' },
    });
    expect(create.source.ts_ms % 1000).toBe(0);
    // ts_ns is written with exact digits.
    expect(messages[0]!.value as string).toMatch(new RegExp(`"ts_ns":${create.source.ts_ms}000000,`));

    const after = JSON.parse(create.after);
    expect(after).toMatchObject({
      _id: { $oid: expect.stringMatching(/^[0-9a-f]{24}$/) },
      orderId: expect.stringMatching(/^ORD-\d{8}-[0-9A-F]{8}$/),
      customer: { email: expect.stringMatching(/@[a-z]+\.demo\.example$/i), name: expect.any(String) },
      status: 'pending',
      region: expect.any(String),
      createdAt: { $date: { $numberLong: expect.stringMatching(/^\d+$/) } },
    });
    const items = after.items as { sku: string; qty: { $numberInt: string }; price: { $numberDecimal: string } }[];
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item.price.$numberDecimal).toMatch(/^\d+\.\d{2}$/);
      expect(item.qty.$numberInt).toMatch(/^[1-9]\d*$/);
    }
    const cents = items.reduce((sum, i) => sum + Number(i.qty.$numberInt) * Number(i.price.$numberDecimal.replace('.', '')), 0);
    expect(after.total).toEqual({ $numberDecimal: formatCents(cents) });

    const partial = messages.map((m) => (m.value ? JSON.parse(m.value as string) : null)).find((v) => v?.op === 'u' && v.after === null);
    expect(partial.updateDescription).toMatchObject({ removedFields: null, truncatedArrays: null });
    expect(decodeExtendedJson(partial.updateDescription.updatedFields, 'updatedFields')).toMatchObject({ updatedAt: expect.stringMatching(/Z$/) });
  });

  it('positions keep growing when the clock goes backwards', () => {
    const times = [5_000, 5_400, 4_000, 7_100, 7_100];
    const next = createMongoClock(() => times.shift()!);
    expect([next(), next(), next(), next(), next()]).toEqual([
      { tsMs: 5000, ord: 1 },
      { tsMs: 5000, ord: 2 },
      { tsMs: 5000, ord: 3 },
      { tsMs: 7000, ord: 1 },
      { tsMs: 7000, ord: 2 },
    ]);
    const message = mongoChangeMessage({
      op: 'd',
      objectId: 'a'.repeat(24),
      position: { tsMs: 7000, ord: 2 },
      db: 'shop',
      collection: 'orders',
      serverName: 'demo',
      processedAtMs: 7100,
    });
    expect(JSON.parse(message.value as string)).toMatchObject({ op: 'd', after: null, before: null, source: { ts_ms: 7000, ord: 2 } });
  });
});

function setDotted(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    if (node[part] === null || typeof node[part] !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}
