import type { CanonicalEvent } from '../../../src/events/canonical-event';
import { isReference, referenceOf, resolveReferences } from '../../../src/events/event-reference';

const event = (key: string): CanonicalEvent => ({
  id: `id-${key}`,
  subject: 'order',
  key,
  op: 'UPDATE',
  version: 3,
  before: { n: 1 },
  after: { n: 2 },
  changedFields: ['n'],
  spec: { id: 's', version: 1 },
  source: { topic: 'raw', partition: 0, offset: '7', position: '7', connector: 'mongodb', op: 'u', snapshot: false },
  sourceTsMs: 1,
  ingestedAt: '2026-12-02T00:00:00.000Z',
});

describe('references of events over the topic limit', () => {
  it('a reference is the event without before and after, marked, with the same id and version', () => {
    const reference = referenceOf(event('a'));
    expect(reference).toEqual({ ...event('a'), before: null, after: null, bodyOmitted: true });
    expect([isReference(reference), isReference(event('a'))]).toEqual([true, false]);
  });

  it('resolves references from the log in place, leaves other events as they are, and gives null for one the log lacks', async () => {
    const asked: string[][] = [];
    const log = {
      findMany: async (ids: readonly string[]) => {
        asked.push([...ids]);
        return new Map([['id-b', { event: event('b'), published: false }]]);
      },
    };
    const resolved = await resolveReferences(log, [event('a'), referenceOf(event('b')), referenceOf(event('c'))]);
    expect(resolved).toEqual([event('a'), event('b'), null]);
    expect(asked).toEqual([['id-b', 'id-c']]);
    // No reference, no read.
    expect(await resolveReferences(log, [event('a')])).toEqual([event('a')]);
    expect(asked).toHaveLength(1);
  });
});
