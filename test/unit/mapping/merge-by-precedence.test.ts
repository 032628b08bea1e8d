import * as jsonPath from '../../../src/mapping/json-path';
import { claimOf, mergeByPrecedence, type ClaimedEntity } from '../../../src/mapping/merge-by-precedence';
import { compile } from './mapping-test-helpers';

/** Two sources feeding one customer: the CRM is authoritative for email, billing for balance. */
const crm = compile(
  [
    { src: '$.id', dst: '$.customerId', transform: 'string', precedence: 10 },
    { src: '$.mail', dst: '$.email', precedence: 10 },
    { src: '$.phone', dst: '$.contact.phone', precedence: 10 },
  ],
  { mappingId: 'crm', key: { fields: ['$.customerId'] } },
);
const billing = compile(
  [
    { src: '$.customer_id', dst: '$.customerId', transform: 'string', precedence: 10 },
    { src: '$.email', dst: '$.email', precedence: 1 },
    { src: '$.balance', dst: '$.balance', transform: { name: 'decimal', args: { scale: 2 } }, precedence: 20 },
    { src: '$.phone', dst: '$.contact.phone', precedence: 10 },
  ],
  { mappingId: 'billing', key: { fields: ['$.customerId'] } },
);

const full = (data: Record<string, unknown>) => ({ kind: 'full' as const, data });

describe('mergeByPrecedence (several sources, one subject)', () => {
  it('lets a higher-precedence source overwrite a field and ignores lower-precedence writes to it', () => {
    let entity: ClaimedEntity = mergeByPrecedence(null, billing, full(billing.map({ customer_id: 7, email: 'old@billing', balance: '5' })));
    expect(entity.data).toEqual({ customerId: '7', email: 'old@billing', balance: '5.00' });

    entity = mergeByPrecedence(entity, crm, full(crm.map({ id: 7, mail: 'ada@crm' })));
    expect(entity.data).toEqual({ customerId: '7', email: 'ada@crm', balance: '5.00' });
    expect(claimOf(entity, 'email')).toEqual({ spec: 'crm', precedence: 10 });

    const later = mergeByPrecedence(entity, billing, full(billing.map({ customer_id: 7, email: 'new@billing', balance: '6' })));
    expect(later.data).toEqual({ customerId: '7', email: 'ada@crm', balance: '6.00' });
    expect(later.ignored).toEqual(['email']);
  });

  it('lets the latest write win between equal precedences', () => {
    let entity = mergeByPrecedence(null, crm, full(crm.map({ id: 1, phone: '111' })));
    entity = mergeByPrecedence(entity, billing, full(billing.map({ customer_id: 1, phone: '222' })));
    expect(entity.data.contact).toEqual({ phone: '222' });
    entity = mergeByPrecedence(entity, crm, { kind: 'partial', set: { 'contact.phone': '333' }, unset: [] });
    expect(entity.data.contact).toEqual({ phone: '333' });
  });

  it('never lets a source remove a field another source owns', () => {
    let entity = mergeByPrecedence(null, crm, full(crm.map({ id: 1, mail: 'a@crm' })));
    entity = mergeByPrecedence(entity, billing, full(billing.map({ customer_id: 1, balance: '1' })));
    expect(entity.data).toEqual({ customerId: '1', email: 'a@crm', balance: '1.00' });
    const removedByOwner = mergeByPrecedence(entity, crm, full(crm.map({ id: 1 })));
    expect(removedByOwner.data).toEqual({ customerId: '1', balance: '1.00' });
    expect(removedByOwner.claims.email).toBeUndefined();
  });

  it('cuts an array as a write of it: claimed, and ignored under a higher precedence', () => {
    const owner = compile([{ src: '$.tags[*]', dst: '$.tags[*]', precedence: 20 }], { mappingId: 'owner' });
    const other = compile([{ src: '$.labels[*]', dst: '$.tags[*]', precedence: 1 }], { mappingId: 'other' });
    const entity = mergeByPrecedence(null, owner, full(owner.map({ tags: ['a', 'b', 'c'] })));
    const refused = mergeByPrecedence(entity, other, { kind: 'partial', set: {}, unset: [], truncate: { tags: 1 } });
    expect([refused.data.tags, refused.ignored]).toEqual([['a', 'b', 'c'], ['tags']]);
    const cut = mergeByPrecedence(entity, owner, { kind: 'partial', set: { 'tags.1': 'x' }, unset: [], truncate: { tags: 1 } });
    expect(cut.data.tags).toEqual(['a', 'x']);
    expect(claimOf(cut, 'tags')).toEqual({ spec: 'owner', precedence: 20 });
    expect(entity.data.tags).toEqual(['a', 'b', 'c']);
  });

  it('cuts an array inside an element of another the same way, leaving the other elements and the entity as they were', () => {
    const owner = compile([{ src: '$.orders[*].items[*].sku', dst: '$.orders[*].lines[*].sku', precedence: 20 }], { mappingId: 'owner' });
    const entity = mergeByPrecedence(
      null,
      owner,
      full(owner.map({ orders: [{ items: [{ sku: 'a' }, { sku: 'b' }] }, { items: [{ sku: 'c' }, { sku: 'd' }, { sku: 'e' }] }] })),
    );
    const cut = mergeByPrecedence(entity, owner, { kind: 'partial', set: { 'orders.1.lines.0.sku': 'x' }, unset: [], truncate: { 'orders.1.lines': 1 } });
    expect(cut.data.orders).toEqual([{ lines: [{ sku: 'a' }, { sku: 'b' }] }, { lines: [{ sku: 'x' }] }]);
    expect(claimOf(cut, 'orders')).toEqual({ spec: 'owner', precedence: 20 });
    expect((entity.data.orders as { lines: unknown[] }[])[1]!.lines).toHaveLength(3);
  });

  it('cuts an outer array and an array inside it in one change, whatever order the change lists them in', () => {
    const owner = compile([{ src: '$.orders[*].items[*].sku', dst: '$.orders[*].lines[*].sku' }], { mappingId: 'owner' });
    const entity = mergeByPrecedence(
      null,
      owner,
      full(owner.map({ orders: [{ items: [{ sku: 'a' }] }, { items: [{ sku: 'b' }, { sku: 'c' }] }, { items: [] }] })),
    );
    for (const truncate of [
      { orders: 2, 'orders.1.lines': 1 },
      { 'orders.1.lines': 1, orders: 2 },
    ]) {
      const cut = mergeByPrecedence(entity, owner, { kind: 'partial', set: {}, unset: [], truncate });
      expect(cut.data.orders).toEqual([{ lines: [{ sku: 'a' }] }, { lines: [{ sku: 'b' }] }]);
    }
  });

  it('does not modify the entity it merges into', () => {
    const entity = mergeByPrecedence(null, crm, full(crm.map({ id: 1, phone: '1' })));
    const copy = structuredClone(entity);
    mergeByPrecedence(entity, billing, full(billing.map({ customer_id: 1, phone: '2' })));
    expect(entity).toEqual(copy);
  });

  it('copies only what it changes: nested writes, array positions and removals leave the merged-into entity and the change as they were', () => {
    // Frozen all the way down: any write into an object the result shares with its inputs throws.
    const deepFreeze = <T>(value: T): T => {
      if (value !== null && typeof value === 'object') {
        for (const item of Object.values(value)) deepFreeze(item);
        Object.freeze(value);
      }
      return value;
    };
    const lines = compile([
      { src: '$.items[*].sku', dst: '$.line_items[*].sku', precedence: 5 },
      { src: '$.phone', dst: '$.contact.phone', precedence: 5 },
      { src: '$.fax', dst: '$.contact.fax', precedence: 5 },
    ]);
    const change = deepFreeze(full(lines.map({ items: [{ sku: 'a' }, { sku: 'b' }], phone: '1', fax: '9' })));
    const entity = deepFreeze(mergeByPrecedence(null, lines, change));
    expect(entity.data).toEqual({ line_items: [{ sku: 'a' }, { sku: 'b' }], contact: { phone: '1', fax: '9' } });

    const partial = mergeByPrecedence(entity, lines, { kind: 'partial', set: { 'line_items.1.sku': 'B', 'contact.phone': '2' }, unset: ['contact.fax'] });
    expect(partial.data).toEqual({ line_items: [{ sku: 'a' }, { sku: 'B' }], contact: { phone: '2' } });
    const removed = mergeByPrecedence(entity, lines, { kind: 'partial', set: {}, unset: ['line_items.0'] });
    expect(removed.data).toEqual({ line_items: [null, { sku: 'b' }], contact: { phone: '1', fax: '9' } });
    // What no write touched is shared, not copied.
    expect(removed.data.contact).toBe(entity.data.contact);
    expect(entity.data).toEqual({ line_items: [{ sku: 'a' }, { sku: 'b' }], contact: { phone: '1', fax: '9' } });
  });

  it('looks up the precedence of dotted and array paths by their field root', () => {
    const lines = compile([
      { src: '$.items[*].sku', dst: '$.line_items[*].sku', precedence: 5 },
      { src: '$.a.b', dst: '$.x.y', precedence: 2 },
    ]);
    expect(lines.fieldRoots).toEqual(['line_items', 'x.y']);
    expect(lines.precedenceOf('line_items.3.sku')).toBe(5);
    expect(lines.precedenceOf('x.y')).toBe(2);
    expect(lines.precedenceOf('other')).toBe(0);
  });

  it('parses each field path once, not once per change it merges', () => {
    const parse = jest.spyOn(jsonPath, 'parseFieldPath');
    try {
      let entity: ClaimedEntity | null = null;
      for (let i = 0; i < 50; i += 1) {
        entity = mergeByPrecedence(entity, crm, full(crm.map({ id: 1, mail: `m${i}@crm`, phone: i % 2 ? String(i) : undefined })));
        entity = mergeByPrecedence(entity, billing, { kind: 'partial', set: { balance: `${i}.00`, 'contact.phone': String(i) }, unset: ['email'] });
      }
      expect(entity!.data).toEqual({ customerId: '1', email: 'm49@crm', contact: { phone: '49' }, balance: '49.00' });
      // crm's roots and billing's partial paths: each parsed at most once, whatever the number of changes.
      expect(parse.mock.calls.length).toBeLessThanOrEqual(new Set(['customerId', 'email', 'contact.phone', 'balance']).size);
    } finally {
      parse.mockRestore();
    }
  });

  it('merges the same whatever the order paths were first seen in, including many distinct partial paths', () => {
    // More distinct array-position paths than the memo keeps: merging stays correct when it starts over.
    const lines = compile([{ src: '$.items[*].sku', dst: '$.line_items[*].sku', precedence: 5 }]);
    let entity: ClaimedEntity | null = mergeByPrecedence(null, lines, full(lines.map({ items: [{ sku: 'a' }] })));
    for (let i = 0; i < 5000; i += 1) {
      entity = mergeByPrecedence(entity, lines, { kind: 'partial', set: { [`line_items.${i % 3}.n`]: i }, unset: [`line_items.0.gone${i}`] });
    }
    entity = mergeByPrecedence(entity, lines, { kind: 'partial', set: {}, unset: ['line_items.1'] });
    expect(entity.data.line_items).toEqual([{ sku: 'a', n: 4998 }, null, { n: 4997 }]);
  });
});

describe("claims as stored: the owner's as numbers, every other spec's named", () => {
  it("stores the writing source's claims as their precedence, and names the previous owner's when another source writes", () => {
    const byCrm = mergeByPrecedence(null, crm, full(crm.map({ id: 7, mail: 'a@crm', phone: '1' })));
    expect([byCrm.owner, byCrm.claims]).toEqual(['crm', { customerId: 10, email: 10, 'contact.phone': 10 }]);
    const byBilling = mergeByPrecedence(byCrm, billing, full(billing.map({ customer_id: 7, balance: '2' })));
    expect([byBilling.owner, byBilling.claims]).toEqual([
      'billing',
      { customerId: 10, email: { spec: 'crm', precedence: 10 }, 'contact.phone': { spec: 'crm', precedence: 10 }, balance: 20 },
    ]);
    // Back with the first source: its claims are numbers again, the other's named.
    const again = mergeByPrecedence(byBilling, crm, { kind: 'partial', set: { email: 'b@crm' }, unset: [] });
    expect([again.owner, again.claims]).toEqual([
      'crm',
      { customerId: { spec: 'billing', precedence: 10 }, email: 10, 'contact.phone': 10, balance: { spec: 'billing', precedence: 20 } },
    ]);
    expect(claimOf(again, 'balance')).toEqual({ spec: 'billing', precedence: 20 });
    expect(claimOf(again, 'email')).toEqual({ spec: 'crm', precedence: 10 });
  });

  it('still ignores a lower precedence and keeps a foreign field across the change of owner', () => {
    let entity: ClaimedEntity = mergeByPrecedence(null, crm, full(crm.map({ id: 7, mail: 'a@crm' })));
    entity = mergeByPrecedence(entity, billing, full(billing.map({ customer_id: 7, email: 'x@billing', balance: '2' })));
    expect([entity.data.email, claimOf(entity, 'email')]).toEqual(['a@crm', { spec: 'crm', precedence: 10 }]);
    // Billing writes without an email: it may not remove the CRM's.
    entity = mergeByPrecedence(entity, billing, full(billing.map({ customer_id: 7, balance: '3' })));
    expect(entity.data).toEqual({ customerId: '7', email: 'a@crm', balance: '3.00' });
  });

  it("reads claims stored as objects before numbers were, the owner's own included", () => {
    const stored: ClaimedEntity = {
      data: { customerId: '7', email: 'a@crm', balance: '1.00' },
      claims: { customerId: { spec: 'crm', precedence: 10 }, email: { spec: 'crm', precedence: 10 }, balance: { spec: 'billing', precedence: 20 } },
      owner: 'crm',
    };
    // The owner's own object claim does not hold it back, whatever the precedence, and it may remove its field.
    const lower = compile([{ src: '$.mail', dst: '$.email', precedence: 1 }], { mappingId: 'crm' });
    expect(mergeByPrecedence(stored, lower, { kind: 'partial', set: { email: 'b@crm' }, unset: [] }).data.email).toBe('b@crm');
    const removed = mergeByPrecedence(stored, crm, { kind: 'partial', set: {}, unset: ['email'] });
    expect([removed.data.email, removed.claims.email]).toEqual([undefined, undefined]);
    // Another spec's object claim holds.
    const refused = mergeByPrecedence(stored, crm, { kind: 'partial', set: {}, unset: ['balance'] });
    expect([refused.data.balance, refused.ignored]).toEqual(['1.00', ['balance']]);
  });

  it('refuses to read a number claim without its owner', () => {
    expect(() => claimOf({ claims: { email: 10 } }, 'email')).toThrow('the claim of email is stored as a number, and the entity names no owner');
  });
});

describe('mergeByPrecedence: objects the mapping makes to hold fields', () => {
  const shop = compile([
    { src: '$.id', dst: '$.id', transform: 'string' },
    { src: '$.mail', dst: '$.customer.email' },
    { src: '$.name', dst: '$.customer.name' },
    { src: '$.extra', dst: '$.meta' },
  ]);
  const start = () => mergeByPrecedence(null, shop, full(shop.map({ id: 1, mail: 'a@b.c', name: 'Ada', extra: { k: 1 } })));

  it.each([
    ['without any of a container’s fields', { id: 1, extra: { k: 1 } }],
    ['with the container’s fields null', { id: 1, mail: null, name: null, extra: { k: 1 } }],
    ['with one of them', { id: 1, name: 'Bo', extra: { k: 1 } }],
  ])('a full image %s leaves the entity as the full mapping has it (no empty container)', (_what, source) => {
    const merged = mergeByPrecedence(start(), shop, full(shop.map(source)));
    expect(merged.data).toEqual(shop.map(source));
  });

  it('a partial update removing the last field of a container drops the container; one removing another field keeps it', () => {
    const one = mergeByPrecedence(start(), shop, { kind: 'partial', set: {}, unset: ['customer.name'] });
    expect(one.data.customer).toEqual({ email: 'a@b.c' });
    const both = mergeByPrecedence(one, shop, { kind: 'partial', set: {}, unset: ['customer.email'] });
    expect(both.data).toEqual({ id: '1', meta: { k: 1 } });
  });

  it('an empty object that is a value (a field written whole) stays, and so does one another spec claims', () => {
    const emptied = mergeByPrecedence(start(), shop, full(shop.map({ id: 1, extra: {} })));
    expect(emptied.data).toEqual({ id: '1', meta: {} });

    // Another spec writes `customer` whole (an empty object); this spec's removals leave it.
    const whole = compile([{ src: '$.c', dst: '$.customer', precedence: 5 }], { mappingId: 'other' });
    const claimed = mergeByPrecedence({ data: { id: '1', customer: {} }, claims: { customer: { spec: 'other', precedence: 5 } } }, shop, {
      kind: 'partial',
      set: {},
      unset: ['customer.email'],
    });
    expect(claimed.data.customer).toEqual({});
    expect(whole.fieldRoots).toEqual(['customer']);
  });

  it('keeps what lies inside another spec’s claimed value, or inside one of its own roots (a default object)', () => {
    // `whole` writes `customer` (claimed); `deep` maps a field inside it and has none.
    const whole = compile([{ src: '$.c', dst: '$.customer', precedence: 5 }], { mappingId: 'whole' });
    const deep = compile([{ src: '$.lang', dst: '$.customer.prefs.lang' }], { mappingId: 'deep' });
    const written = mergeByPrecedence(null, whole, full(whole.map({ c: { prefs: {} } })));
    expect(mergeByPrecedence(written, deep, full(deep.map({}))).data).toEqual({ customer: { prefs: {} } });
    expect(mergeByPrecedence(written, deep, { kind: 'partial', set: {}, unset: ['customer.prefs.lang'] }).data).toEqual({ customer: { prefs: {} } });

    // A spec default that is an object above a field root: the full mapping keeps it.
    const withDefault = compile([{ src: '$.lang', dst: '$.customer.prefs.lang' }], { defaults: { customer: { prefs: {} } } });
    const en = mergeByPrecedence(null, withDefault, full(withDefault.map({ lang: 'en' })));
    expect(mergeByPrecedence(en, withDefault, full(withDefault.map({}))).data).toEqual(withDefault.map({}));
  });

  it('walks named members only: a numeric member name in a root is not walked, and the entity given is not changed', () => {
    const numeric = compile([
      { src: '$.x', dst: "$.a['0'].b.c" },
      { src: '$.k', dst: '$.k' },
    ]);
    const current = { data: { a: { '0': { b: {} } }, k: 1 }, claims: {} };
    const copy = structuredClone(current.data);
    mergeByPrecedence(current, numeric, full(numeric.map({ k: 1 })));
    expect(current.data).toEqual(copy);
  });

  it('does not change the entity it was given', () => {
    const before = start();
    const copy = structuredClone(before.data);
    mergeByPrecedence(before, shop, full(shop.map({ id: 1 })));
    expect(before.data).toEqual(copy);
  });
});
