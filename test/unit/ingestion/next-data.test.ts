import { nextData, type ChangeIntent } from '../../../src/ingestion/plan-change';

const base = {
  subject: 'order',
  key: 'k',
  sourceId: 't',
  position: 'p',
  spec: { id: 's', version: 1 },
  sourceTsMs: null,
  source: { topic: 't', partition: 0, offset: '0', position: 'p', connector: 'mongodb', op: 'u', snapshot: false },
};
const partial = (set: Record<string, unknown>, unset: string[] = []): ChangeIntent => ({ ...base, kind: 'partial', set, unset });

describe('nextData: the canonical state after a change', () => {
  it('a full image replaces the fields its spec owns and keeps fields other specs own', () => {
    const before = { a: 1, b: 2, fromOther: 'x' };
    const intent: ChangeIntent = { ...base, kind: 'full', data: { a: 10 }, ownedFields: ['a', 'b'] };
    expect(nextData(intent, before)).toEqual({ a: 10, fromOther: 'x' });
  });

  it('a partial update merges dotted paths into nested objects', () => {
    expect(nextData(partial({ 'customer.email': 'n@x.io' }), { customer: { email: 'o@x.io', name: 'Ada' } })).toEqual({
      customer: { email: 'n@x.io', name: 'Ada' },
    });
  });

  it('a numeric path part addresses an array element, not an object key', () => {
    const before = { line_items: [{ sku: 'a' }, { sku: 'b' }] };
    expect(nextData(partial({ 'line_items.1.sku': 'B' }), before)).toEqual({ line_items: [{ sku: 'a' }, { sku: 'B' }] });
    expect(Array.isArray((nextData(partial({ 'line_items.1.sku': 'B' }), before) as { line_items: unknown }).line_items)).toBe(true);
  });

  it('unset removes object fields and nulls array elements, as MongoDB does', () => {
    expect(nextData(partial({}, ['customer.email', 'tags.0']), { customer: { email: 'x', name: 'y' }, tags: ['a', 'b'] })).toEqual({
      customer: { name: 'y' },
      tags: [null, 'b'],
    });
  });

  it('never mutates the stored state it starts from', () => {
    const before = { customer: { email: 'o@x.io' } };
    nextData(partial({ 'customer.email': 'n@x.io' }), before);
    expect(before).toEqual({ customer: { email: 'o@x.io' } });
  });

  it('a delete has no next state', () => {
    expect(nextData({ ...base, kind: 'delete', hard: false }, { a: 1 })).toBeNull();
  });
});
