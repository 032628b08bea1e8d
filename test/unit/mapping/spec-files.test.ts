import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { compileSpec } from '../../../src/mapping/compile-spec';
import type { MappingSpec } from '../../../src/mapping/mapping-spec';

const ROOT = path.join(__dirname, '..', '..', '..');
const readJson = <T>(...parts: string[]): T => JSON.parse(fs.readFileSync(path.join(ROOT, ...parts), 'utf8')) as T;

/** The canonical schema of a subject, to check mapped documents against the contract. */
function canonicalValidator(subject: string) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(readJson(path.join('schema', 'canonical', `${subject}.schema.json`)));
}

describe('specs/customer.json (Debezium PostgreSQL public.customers → customer)', () => {
  const spec = compileSpec(readJson<MappingSpec>('specs', 'customer.json'));
  const valid = canonicalValidator('customer');
  /** A decoded `after` image: numeric(12,2) as a decimal string, timestamptz as ISO-8601 text. */
  const row = {
    id: 42,
    email: '  Ada.Lovelace@Example.COM ',
    name: 'Ada Lovelace',
    balance: '1234.5',
    tier: 'gold',
    created_at: '2024-03-01T10:00:00.123456Z',
    updated_at: '2024-03-02T08:30:00Z',
  };

  it('reads topic canonql.public.customers into subject customer, keyed by the record key', () => {
    expect(spec).toMatchObject({
      id: 'customer-canonicalization',
      subject: 'customer',
      topics: ['canonql.public.customers'],
      keyFrom: { kind: 'record' },
      deleteMode: 'soft',
    });
    expect(spec.entityKey(spec.map(row), { id: 42 })).toBe('42');
  });

  it('maps a row to a document the canonical customer schema accepts', () => {
    const doc = spec.map(row);
    expect(doc).toEqual({
      customerId: '42',
      email: 'ada.lovelace@example.com',
      name: 'Ada Lovelace',
      balance: '1234.50',
      tier: 'GOLD',
      createdAt: '2024-03-01T10:00:00.123456Z',
      updatedAt: '2024-03-02T08:30:00.000Z',
    });
    expect(valid(doc)).toBe(true);
  });

  it('maps unknown and NULL tiers to STANDARD and keeps NULL columns null', () => {
    const doc = spec.map({ ...row, tier: 'platinum', email: null, balance: null });
    expect(doc).toMatchObject({ tier: 'STANDARD', email: null, balance: null });
    expect(spec.map({ ...row, tier: null }).tier).toBe('STANDARD');
    expect(valid(doc)).toBe(true);
  });

  it('maps the available columns of an update with unchanged TOASTed columns left out', () => {
    const { id, name, balance } = row;
    expect(spec.mapPartial({ id, name, balance })).toEqual({ set: { customerId: '42', name: 'Ada Lovelace', balance: '1234.50' }, unset: [] });
  });
});

describe('specs/order.json (the seed spec) against the canonical order schema', () => {
  it('produces documents the canonical order schema accepts', () => {
    const spec = compileSpec(readJson<MappingSpec>('specs', 'order.json'));
    const doc = spec.map({ orderId: 'A-1', customer: { email: 'X@Y.Z' }, items: [{ sku: 'S' }, {}] });
    expect(canonicalValidator('order')(doc)).toBe(true);
  });
});
