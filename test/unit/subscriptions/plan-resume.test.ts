import { decodeCursor, encodeCursor } from '../../../src/subscriptions/feed-cursor';
import { planResume } from '../../../src/subscriptions/plan-resume';

const T = 'canonical.order';
const offsets = [
  { partition: 0, low: '10', high: '100' },
  { partition: 1, low: '0', high: '50' },
];
const cursor = (positions: [number, number][]) => encodeCursor(T, new Map(positions));

describe('change-feed cursors and resume plans', () => {
  it('round-trips a cursor and refuses anything it did not write', () => {
    expect(
      decodeCursor(
        cursor([
          [0, 42],
          [1, 7],
        ]),
      ),
    ).toEqual({
      topic: T,
      positions: new Map([
        [0, 42],
        [1, 7],
      ]),
      marks: new Map(),
    });
    expect(decodeCursor('not-a-cursor')).toBeNull();
    expect(decodeCursor(Buffer.from(JSON.stringify({ v: 1, t: T, o: { 0: -1 } })).toString('base64url'))).toBeNull();
  });

  it('reads each partition from the cursor up to where live delivery began', () => {
    const plan = planResume(
      cursor([
        [0, 40],
        [1, 50],
      ]),
      T,
      new Map([
        [0, 90],
        [1, 50],
      ]),
      offsets,
    );
    expect(plan).toEqual({
      kind: 'resume',
      from: new Map([
        [0, 40],
        [1, 50],
      ]),
      marks: new Map(),
      ranges: [{ partition: 0, from: 40, to: 90 }],
    });
  });

  it('marks each position with the timestamp of the record before it, and hands the marks to the resume', () => {
    const text = encodeCursor(
      T,
      new Map([
        [0, 42],
        [1, 0],
      ]),
      new Map([
        [0, '1796500000123'],
        [1, '1796500000999'], // nothing is before offset 0: not written
        [3, '1796500000456'], // no position there: not written
      ]),
    );
    const decoded = decodeCursor(text)!;
    expect(decoded.marks).toEqual(new Map([[0, '1796500000123']]));
    expect(planResume(text, T, new Map([[0, 90]]), offsets)).toMatchObject({ kind: 'resume', marks: new Map([[0, '1796500000123']]) });
  });

  it('still reads cursors written before marks, unmarked; refuses marks that are not timestamps of its partitions', () => {
    const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(decodeCursor(raw({ v: 1, t: T, o: { 0: 42 } }))).toEqual({ topic: T, positions: new Map([[0, 42]]), marks: new Map() });
    expect(decodeCursor(raw({ v: 1, t: T, o: { 0: 42 }, m: { 0: '-1' } }))).toEqual({ topic: T, positions: new Map([[0, 42]]), marks: new Map([[0, '-1']]) });
    for (const bad of [
      { v: 1, t: T, o: { 0: 42 }, m: [] },
      { v: 1, t: T, o: { 0: 42 }, m: { 1: '5' } },
      { v: 1, t: T, o: { 0: 42 }, m: { 0: 5 } },
      { v: 1, t: T, o: { 0: 42 }, m: { 0: '5x' } },
      { v: 2, t: T, o: { 0: 42 }, m: {} },
    ])
      expect(decodeCursor(raw(bad))).toBeNull();
  });

  it('asks for a resync when retention deleted events after the cursor', () => {
    expect(
      planResume(
        cursor([
          [0, 5],
          [1, 0],
        ]),
        T,
        new Map(),
        offsets,
      ),
    ).toMatchObject({ kind: 'resync', code: 'RETENTION', reason: expect.stringMatching(/no longer retained/) });
  });

  it('asks for a resync for a cursor of another topic, ahead of the topic, or naming a missing partition', () => {
    expect(planResume(encodeCursor('canonical.customer', new Map([[0, 1]])), T, new Map(), offsets)).toMatchObject({ kind: 'resync', code: 'FOREIGN_CURSOR' });
    expect(planResume(cursor([[0, 101]]), T, new Map(), offsets)).toMatchObject({ kind: 'resync', code: 'TOPIC_RECREATED' });
    expect(planResume(cursor([[7, 1]]), T, new Map(), offsets)).toMatchObject({ kind: 'resync', code: 'TOPIC_RECREATED' });
    expect(planResume('garbage', T, new Map(), offsets)).toMatchObject({ kind: 'resync', code: 'MALFORMED_CURSOR' });
    expect(planResume(Buffer.from('{"v":1,"t":{"$gt":""}}').toString('base64url'), T, new Map(), offsets)).toMatchObject({
      kind: 'resync',
      code: 'MALFORMED_CURSOR',
    });
  });
});
