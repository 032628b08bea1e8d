import { compareLetterPositions, type LetterPosition } from '../../../src/ingestion/dead-letter';

const letter = (topic: string, partition: number, offset: string, spec: string | null = 'spec-a', id?: string): LetterPosition => ({
  _id: id ?? `${topic}:${partition}:${offset}:${spec ?? '-'}`,
  topic,
  partition,
  offset,
  spec: spec === null ? null : { id: spec, version: 1 },
});

describe('the order dead letters are replayed in (compareLetterPositions)', () => {
  it('is the order their records were consumed: topic, partition, then offset as a number', () => {
    const letters = [
      letter('raw.b', 0, '1'),
      letter('raw.a', 1, '2'),
      letter('raw.a', 0, '10'),
      letter('raw.a', 0, '9'),
      letter('raw.a', 0, '100'),
      letter('raw.a', 10, '0'),
      letter('raw.a', 2, '0'),
    ];
    // As text, the ids sort offset 10 and 100 before 9, and partition 10 before 2.
    expect(letters.map((l) => l._id).sort()).toEqual([
      'raw.a:0:100:spec-a',
      'raw.a:0:10:spec-a',
      'raw.a:0:9:spec-a',
      'raw.a:10:0:spec-a',
      'raw.a:1:2:spec-a',
      'raw.a:2:0:spec-a',
      'raw.b:0:1:spec-a',
    ]);
    expect([...letters].sort(compareLetterPositions).map((l) => l._id)).toEqual([
      'raw.a:0:9:spec-a',
      'raw.a:0:10:spec-a',
      'raw.a:0:100:spec-a',
      'raw.a:1:2:spec-a',
      'raw.a:2:0:spec-a',
      'raw.a:10:0:spec-a',
      'raw.b:0:1:spec-a',
    ]);
  });

  it('orders offsets beyond 2^53 exactly, then one record by spec and id', () => {
    const letters = [
      letter('t', 0, '9007199254740993'),
      letter('t', 0, '9007199254740992', 'spec-b'),
      letter('t', 0, '9007199254740992', 'spec-a', 't:0:9007199254740992:spec-a:event:e1'),
      letter('t', 0, '9007199254740992', 'spec-a'),
      letter('t', 0, '10000000000000000000'),
    ];
    expect([...letters].sort(compareLetterPositions).map((l) => l._id)).toEqual([
      't:0:9007199254740992:spec-a',
      't:0:9007199254740992:spec-a:event:e1',
      't:0:9007199254740992:spec-b',
      't:0:9007199254740993:spec-a',
      't:0:10000000000000000000:spec-a',
    ]);
  });
});
