import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { compileSpec } from '../../../src/mapping/compile-spec';
import { keyOfValue } from '../../../src/mapping/entity-key';
import type { MappingSpec } from '../../../src/mapping/mapping-spec';
import { PROBE_ORDER } from '../../support/mapping-speed-probe';
import { appErrorOf, compile, SEED_ORDER_SPEC, specWith } from './mapping-test-helpers';

const seed = () => compileSpec(SEED_ORDER_SPEC);

/** A MongoDB order as the Debezium MongoDB connector's decoded `after` carries it. */
const ORDER = PROBE_ORDER;

describe('compileSpec on the seed spec (verbatim)', () => {
  it('maps a realistic order to exactly the expected canonical document', () => {
    expect(seed().map(ORDER)).toEqual({
      order_id: '1001',
      customer: { email: 'ada.lovelace@example.com' },
      line_items: [{ sku: 'SKU-1' }, { sku: 'SKU-2' }],
      currency: 'USD',
      created_by: 'system',
    });
  });

  it('describes itself: id, version, subject, topics, delete mode, key and source coverage', () => {
    const spec = seed();
    expect(spec).toMatchObject({
      id: 'order-canonicalization-v1',
      version: 1,
      subject: 'order',
      topics: ['raw.mongo.orders'],
      deleteMode: 'soft',
      keyFrom: { kind: 'record' },
      sourceFields: ['$.orderId', '$.customer.email', '$.items[*].sku'],
      fieldRoots: ['order_id', 'customer.email', 'line_items', 'currency', 'created_by'],
      ownedFields: ['order_id', 'customer', 'line_items', 'currency', 'created_by'],
    });
  });

  it('leaves fields of missing sources absent, keeps nulls, and fills defaults only where absent', () => {
    expect(seed().map({ orderId: 'A-1', currency: 'EUR' })).toEqual({ order_id: 'A-1', currency: 'USD', created_by: 'system' });
    expect(seed().map({ orderId: null, customer: { email: null }, items: [] })).toEqual({
      order_id: null,
      customer: { email: null },
      line_items: [],
      currency: 'USD',
      created_by: 'system',
    });
  });

  it('does not modify the record it maps, and gives each document its own objects', () => {
    const record = structuredClone(ORDER);
    const spec = seed();
    const a = spec.map(record);
    const b = spec.map(record);
    expect(record).toEqual(ORDER);
    expect(a.line_items).not.toBe(b.line_items);
  });

  it('fails an event with a message naming the mapping, the element and the transform', () => {
    const error = appErrorOf(() => seed().map({ ...ORDER, customer: { email: 42 } }));
    expect(error.code).toBe('MAPPING_FAILED');
    expect(error.message).toBe(
      'mapping "order-canonicalization-v1" fieldMappings[1] ($.customer.email → $.customer.email): lowercase: expected a string, got number 42',
    );
    expect(error.details).toEqual({ mappingId: 'order-canonicalization-v1', fieldMapping: 1, src: '$.customer.email', dst: '$.customer.email' });
  });
});

describe('compileSpec: arrays and nested objects', () => {
  const lines = compile([
    { src: '$.items[*].sku', dst: '$.line_items[*].sku' },
    { src: '$.items[*].qty', dst: '$.line_items[*].quantity', transform: 'integer' },
    { src: '$.items[*].price', dst: '$.line_items[*].unit_price', transform: { name: 'decimal', args: { scale: 2 } } },
    { src: '$.items[*].tags[*]', dst: '$.line_items[*].labels[*]', transform: 'uppercase' },
    { src: '$.customer.address.city', dst: '$.shipping.address.city' },
    { src: '$.customer.email', dst: '$.shipping.contact', transform: 'lowercase' },
    { src: '$.items[0].sku', dst: '$.first_sku' },
  ]);

  it('maps arrays of objects element-wise, several fields into the same elements', () => {
    const out = lines.map({
      items: [
        { sku: 'A', qty: '2', price: 10.5, tags: ['x', 'y'] },
        { sku: 'B', qty: 1, price: '0.005' },
      ],
    });
    expect(out.line_items).toEqual([
      { sku: 'A', quantity: 2, unit_price: '10.50', labels: ['X', 'Y'] },
      { sku: 'B', quantity: 1, unit_price: '0.00' },
    ]);
    expect(out.first_sku).toBe('A');
  });

  it('builds nested destination objects, and none when their sources are missing', () => {
    expect(lines.map({ customer: { email: 'A@B.C', address: { city: 'Paris' } } })).toEqual({ shipping: { address: { city: 'Paris' }, contact: 'a@b.c' } });
    expect(lines.map({})).toEqual({});
  });

  it('names the failing element with its index', () => {
    const error = appErrorOf(() => lines.map({ items: [{ qty: 1 }, { qty: 1.5 }] }));
    expect(error.message).toBe(
      'mapping "test-spec" fieldMappings[1] ($.items[1].qty → $.line_items[1].quantity): integer: number 1.5 has a fractional part (round it first)',
    );
    const nested = appErrorOf(() => lines.map({ items: [{ tags: ['a'] }, { tags: ['b', 3] }] }));
    expect(nested.message).toContain('($.items[1].tags[1] → $.line_items[1].labels[1]): uppercase: expected a string, got number 3');
  });

  it('treats a non-array under [*] as no match', () => {
    expect(lines.map({ items: { sku: 'A' } })).toEqual({});
  });
});

describe('compileSpec: conditions and defaults', () => {
  const spec = compile(
    [
      { src: '$.paid_at', dst: '$.paidAt', transform: 'datetime', when: { src: '$.status', equals: 'paid' } },
      {
        src: '$.card.last4',
        dst: '$.payment',
        when: [
          { src: '$.method', in: ['card', 'debit'] },
          { src: '$.card', exists: true },
        ],
      },
      { src: '$.iban', dst: '$.payment', when: { src: '$.method', equals: 'transfer' } },
      { dst: '$.payment', transform: { name: 'default', args: { value: 'unknown' } } },
      { src: '$.note', dst: '$.note', when: { src: '$.note', notEquals: '' } },
      { src: '$.region', dst: '$.region', when: { src: '$.region', notIn: ['test'] }, default: 'EU' },
    ],
    { defaults: { 'flags.vip': false } },
  );

  it('applies a mapping only when its condition holds', () => {
    expect(spec.map({ status: 'paid', paid_at: '2024-03-01T10:00:00Z' }).paidAt).toBe('2024-03-01T10:00:00.000Z');
    expect(spec.map({ status: 'open', paid_at: '2024-03-01T10:00:00Z' }).paidAt).toBeUndefined();
    expect(spec.map({ note: '' }).note).toBeUndefined();
    expect(spec.map({ note: 'hi' }).note).toBe('hi');
  });

  it('tries mappings sharing a dst in order: the first whose condition holds wins', () => {
    expect(spec.map({ method: 'card', card: { last4: '4242' }, iban: 'DE00' }).payment).toBe('4242');
    expect(spec.map({ method: 'card', card: null }).payment).toBe('unknown');
    expect(spec.map({ method: 'transfer', iban: 'DE00' }).payment).toBe('DE00');
    expect(spec.map({}).payment).toBe('unknown');
  });

  it('uses a field default for an absent or null result, and nested spec defaults where absent', () => {
    expect(spec.map({ region: null })).toMatchObject({ region: 'EU', flags: { vip: false } });
    expect(spec.map({ region: 'US' }).region).toBe('US');
    expect(spec.map({ region: 'test' }).region).toBeUndefined();
  });
});

describe('compileSpec: subject, topics, key and delete mode', () => {
  const base = specWith([
    { src: '$.id', dst: '$.id' },
    { src: '$.region', dst: '$.region' },
  ]);
  const withSpec = (extra: Partial<MappingSpec>) => compileSpec({ ...base, ...extra });

  it('names the subject without a leading "canonical." and a trailing ".vN"', () => {
    expect(withSpec({ target: { subject: 'canonical.order.v1' } }).subject).toBe('order');
    expect(withSpec({ target: { subject: 'canonical.order_line.v12' } }).subject).toBe('order_line');
    expect(withSpec({ target: { subject: 'customer' } }).subject).toBe('customer');
  });

  it('consumes source.topic and source.topics without duplicates', () => {
    expect(withSpec({ source: { type: 'kafka', topic: 'a', topics: ['b', 'a'] } }).topics).toEqual(['a', 'b']);
    expect(withSpec({ source: { type: 'kafka', topics: ['b', 'c'] } }).topics).toEqual(['b', 'c']);
  });

  it('keys entities by the Debezium record key by default', () => {
    const spec = withSpec({});
    expect(spec.entityKey({}, { id: 42 })).toBe('42');
    expect(spec.entityKey({}, '42')).toBe('42');
    expect(spec.entityKey({}, { tenant: 'a|b', id: 7 })).toBe('a\\|b|7');
    expect(appErrorOf(() => spec.entityKey({}, null)).message).toContain('the record has no key');
  });

  it('keys entities by canonical fields when `key.fields` says so', () => {
    const spec = withSpec({ key: { fields: ['$.region', '$.id'] }, deleteMode: 'hard', version: 3 });
    expect(spec.keyFrom).toEqual({ kind: 'fields', fields: ['$.region', '$.id'] });
    expect(spec.entityKey(spec.map({ id: 7, region: 'eu' }), { id: 'ignored' })).toBe('eu|7');
    expect(appErrorOf(() => spec.entityKey(spec.map({ id: 7 }), null)).message).toBe(
      'mapping "test-spec": key field $.region is absent, so the entity has no key',
    );
    expect(spec).toMatchObject({ deleteMode: 'hard', version: 3 });
  });

  it('gives the key one value stands for as a one-value key stores it (what a relation by id looks up)', () => {
    const spec = seed();
    // A record key of one column, whatever the column's type.
    for (const value of ['ord-1', 42, 12345678901234567890n, true, { $oid: '65a1b2c3d4e5f6a7b8c9d0e1' }]) {
      expect(keyOfValue(value)).toBe(spec.entityKey({}, { id: value }));
    }
    expect(keyOfValue(42)).toBe('42');
    for (const value of ['', null, undefined]) expect(keyOfValue(value)).toBeNull();
  });

  it('maps quickly: compiled closures, no per-event parsing (CPU time, in a child process)', () => {
    // Timed in a process of its own, in CPU time: the shared test worker's wall clock depends on
    // whatever else the machine runs. About 1 µs per event measured; the bound leaves a wide margin.
    const probe = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'support', 'mapping-speed-probe.ts'), '100000'], {
      cwd: path.join(__dirname, '..', '..', '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(probe.status).toBe(0);
    const { events, cpuUsPerEvent } = JSON.parse(probe.stdout.trim()) as { events: number; cpuUsPerEvent: number };
    expect(events).toBe(100_000);
    expect(cpuUsPerEvent).toBeLessThan(20);
  });
});
