import { mergeProfiles, type FieldStats } from '../../../src/discovery/profile-merge';
import { childPath, TopicProfile } from '../../../src/discovery/topic-profile';
import type { DecodedChange } from '../../../src/ingestion/debezium/decoded-record';
import { change, patch } from './discovery-helpers';

const WINDOW = 100;

function profileOf(changes: readonly DecodedChange[], process = 'p1', start = 1_000_000) {
  const profile = new TopicProfile('raw.t', WINDOW);
  changes.forEach((c, i) => profile.observe(c, start + i));
  return profile.toDoc(process);
}
const field = (fields: readonly FieldStats[], path: string) => {
  const found = fields.find((f) => f.path === path);
  if (!found) throw new Error(`no field ${path} in ${fields.map((f) => f.path).join(', ')}`);
  return found;
};

/** Six records, counted by hand below. */
const RECORDS: DecodedChange[] = [
  change('c', {
    id: 1,
    email: 'a@x.io',
    total: 10,
    createdAt: '2024-01-02T00:00:00Z',
    items: [
      { sku: 'A', qty: 1 },
      { sku: 'B', qty: 2 },
    ],
  }),
  change('c', { id: 2, email: 'b@x.io', total: 12.5, createdAt: '2024-03-01T00:00:00Z', items: [] }),
  change('u', { id: 2, email: null, total: 7, createdAt: '2023-12-31T23:59:59Z', items: [{ sku: 'A' }] }),
  change('r', { id: 3, email: 'a@x.io', total: 'n/a', tags: ['x'] }),
  patch({ total: 99, 'items.0.qty': 5, note: 'hello' }),
  change('d', { id: 1, email: 'a@x.io', total: 10 }),
];

describe('topic profile (one process)', () => {
  const merged = mergeProfiles('raw.t', [profileOf(RECORDS)], WINDOW);

  it('counts records by kind and op', () => {
    expect({ sampled: merged.sampled, images: merged.images, patches: merged.patches, ops: merged.ops }).toEqual({
      sampled: 6,
      images: 5,
      patches: 1,
      ops: { c: 2, u: 2, d: 1, r: 1 },
    });
  });

  it('presence: full images carrying the field; patches never count', () => {
    expect(field(merged.fields, '$.id')).toMatchObject({ present: 5, presence: 1, values: 5 });
    expect(field(merged.fields, '$.createdAt')).toMatchObject({ present: 3, presence: 3 / 5 });
    // A field seen only in a partial update: no presence, but counted where it was seen.
    expect(field(merged.fields, '$.note')).toMatchObject({ present: 0, presence: 0, values: 1, patched: 1 });
    expect(field(merged.fields, '$.total')).toMatchObject({ present: 5, patched: 1 });
    expect(field(merged.fields, '$.id')).toMatchObject({ patched: 0 });
    // items: records 1, 2, 3 (an empty array still carries the field); elements only in 1 and 3.
    expect(field(merged.fields, '$.items')).toMatchObject({ present: 3, values: 3 });
    expect(field(merged.fields, '$.items[*]')).toMatchObject({ present: 2, values: 3 });
    expect(field(merged.fields, '$.items[*].sku')).toMatchObject({ present: 2, values: 3, distinct: 2, examples: ['A', 'B'] });
    // qty: two values in record 1, one from the patch `items.0.qty`.
    expect(field(merged.fields, '$.items[*].qty')).toMatchObject({ present: 1, values: 3, minNumber: 1, maxNumber: 5 });
    expect(field(merged.fields, '$.tags[*]').types.string).toBe(1);
  });

  it('types, null rate, min/max, formats, distinct, examples', () => {
    const total = field(merged.fields, '$.total');
    expect(total.types).toEqual({ string: 1, integer: 4, number: 1, boolean: 0, null: 0, object: 0, array: 0 });
    expect(total).toMatchObject({ values: 6, minNumber: 7, maxNumber: 99, distinct: 5, distinctExact: true, examples: [10, 12.5, 7, 'n/a', 99] });
    const email = field(merged.fields, '$.email');
    expect(email).toMatchObject({ values: 5, nullRate: 1 / 5, distinct: 2, examples: ['a@x.io', 'b@x.io'] });
    expect(email.types.null).toBe(1);
    expect(email.formats.email).toBe(4);
    const created = field(merged.fields, '$.createdAt');
    expect(created).toMatchObject({ minInstant: '2023-12-31T23:59:59Z', maxInstant: '2024-03-01T00:00:00Z', minNumber: null });
    expect(created.formats['date-time']).toBe(3);
  });

  it('first and last seen per field, in observation order', () => {
    expect(field(merged.fields, '$.note')).toMatchObject({ firstSeen: 1_000_004, lastSeen: 1_000_004 });
    expect(field(merged.fields, '$.id')).toMatchObject({ firstSeen: 1_000_000, lastSeen: 1_000_005 });
    expect(merged.recentImageStamps).toEqual([1_000_005, 1_000_003, 1_000_002, 1_000_001, 1_000_000]);
  });

  it('names odd members in bracket syntax, as mapping specs read them', () => {
    const doc = profileOf([change('c', { 'first name': 'x', "it's": 1, a: { 'b.c': true } })]);
    expect(doc.fields.map((f) => f.path).sort()).toEqual(['$.a', "$.a['b.c']", "$['first name']", "$['it\\'s']"]);
    expect(childPath('$', '9lives')).toBe("$['9lives']");
  });

  it('unchanged-TOAST rows count as partial updates', () => {
    const doc = profileOf([change('u', { id: 1 }, { unavailable: ['body'] })]);
    expect({ images: doc.images, patches: doc.patches, present: doc.fields[0]!.present, values: doc.fields[0]!.values }).toEqual({
      images: 0,
      patches: 1,
      present: 0,
      values: 1,
    });
  });
});

describe('profiles of several processes merge like one', () => {
  it('gives the counts, extremes and distinct values of a single profile over all records', () => {
    const many: DecodedChange[] = Array.from({ length: 300 }, (_, i) =>
      change(i % 7 === 0 ? 'u' : 'c', {
        id: i,
        name: `n${i % 90}`,
        score: i % 11 === 0 ? null : i * 1.5,
        when: `2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
        ...(i % 3 === 0 ? { extra: { flag: i % 2 === 0 } } : {}),
      }),
    );
    const whole = mergeProfiles('raw.t', [profileOf(many)], WINDOW);
    const parts = mergeProfiles(
      'raw.t',
      [
        profileOf(
          many.filter((_, i) => i % 2 === 0),
          'p1',
        ),
        profileOf(
          many.filter((_, i) => i % 2 === 1),
          'p2',
        ),
      ],
      WINDOW,
    );
    const strip = (f: FieldStats) => ({ ...f, examples: undefined, firstSeen: undefined, lastSeen: undefined });
    expect(parts.fields.map(strip)).toEqual(whole.fields.map(strip));
    expect(field(parts.fields, '$.name').distinct).toBe(field(whole.fields, '$.name').distinct);
    expect(field(parts.fields, '$.id').distinctExact).toBe(false);
    expect(parts.processes).toBe(2);
    expect(parts.sampled).toBe(300);
  });
});
