import { mergeProfiles } from '../../../src/discovery/profile-merge';
import { currentShape, diffShapes, hasChanges, inferJsonSchema, type FieldShape } from '../../../src/discovery/schema-drift';
import { TopicProfile } from '../../../src/discovery/topic-profile';
import type { DecodedChange } from '../../../src/ingestion/debezium/decoded-record';
import { change, patch } from './discovery-helpers';

const WINDOW = 3;

function merged(processes: DecodedChange[][]) {
  let stamp = 0;
  const docs = processes.map((changes, p) => {
    const profile = new TopicProfile('raw.t', WINDOW);
    for (const c of changes) profile.observe(c, (stamp += 1));
    return profile.toDoc(`p${p}`);
  });
  return mergeProfiles('raw.t', docs, WINDOW);
}
const shapeOf = (processes: DecodedChange[][]) => currentShape(merged(processes), WINDOW);

describe('raw schema shape and drift', () => {
  it('diffs added, removed and type-changed fields', () => {
    const before: FieldShape[] = [
      { path: '$.a', types: ['integer'] },
      { path: '$.b', types: ['string'] },
    ];
    const after: FieldShape[] = [
      { path: '$.a', types: ['string', 'integer'] },
      { path: '$.c', types: ['boolean'] },
    ];
    expect(diffShapes(before, after)).toEqual({
      added: ['$.c'],
      removed: ['$.b'],
      typeChanged: [{ path: '$.a', from: ['integer'], to: ['string', 'integer'] }],
    });
    expect(hasChanges(diffShapes(after, after))).toBe(false);
  });

  it('removes a field only once none of the last `window` images carried it', () => {
    const withB = change('c', { a: 1, b: 'x' });
    const withoutB = change('c', { a: 2 });
    expect(shapeOf([[withB, withoutB, withoutB]]).map((f) => f.path)).toEqual(['$.a', '$.b']);
    expect(shapeOf([[withB, withoutB, withoutB, withoutB]]).map((f) => f.path)).toEqual(['$.a']);
    // A patch carrying the field counts as a sighting; patches do not fill the window.
    expect(shapeOf([[withB, withoutB, withoutB, patch({ b: 'y' }), withoutB]]).map((f) => f.path)).toEqual(['$.a', '$.b']);
    // Fewer images than the window: nothing is removed yet.
    expect(shapeOf([[withB, patch({ a: 3 }), patch({ a: 4 }), patch({ a: 5 })]]).map((f) => f.path)).toEqual(['$.a', '$.b']);
  });

  it('applies the window over all processes: the newest images of the topic, wherever they were profiled', () => {
    const withB = change('c', { a: 1, b: 'x' });
    const withoutB = change('c', { a: 2 });
    // p0 saw b first (stamps 1-2); p1's three later images (3-5) lack it: removed.
    expect(
      shapeOf([
        [withB, withoutB],
        [withoutB, withoutB, withoutB],
      ]).map((f) => f.path),
    ).toEqual(['$.a']);
    // p1 saw b last: kept, however many old images p0 has without it.
    expect(shapeOf([[withoutB, withoutB, withoutB, withoutB], [withB]]).map((f) => f.path)).toEqual(['$.a', '$.b']);
  });

  it('type sets are all time: a first null or a new type is a type change', () => {
    const shape = shapeOf([[change('c', { a: 1 }), change('c', { a: null }), change('c', { a: 'x' })]]);
    expect(shape).toEqual([{ path: '$.a', types: ['string', 'integer', 'null'] }]);
  });

  it('infers a JSON Schema: nesting, arrays, merged number types, formats, required', () => {
    const profile = merged([
      [
        change('c', { id: 1, email: 'a@x.io', amount: 1, customer: { name: 'A', vip: true }, items: [{ sku: 'A' }], 'odd key': 'x' }),
        change('c', { id: 2, email: 'b@x.io', amount: 1.5, customer: { name: 'B' }, items: [{ sku: 'B', qty: 2 }] }),
      ],
    ]);
    const schema = inferJsonSchema('raw.t', currentShape(profile, WINDOW), profile);
    expect(schema).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'raw.t',
      type: 'object',
      required: ['amount', 'customer', 'email', 'id', 'items'],
      properties: {
        id: { type: 'integer' },
        email: { type: 'string', format: 'email' },
        amount: { type: 'number' },
        customer: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, vip: { type: 'boolean' } } },
        items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } } },
        'odd key': { type: 'string' },
      },
    });
  });
});
