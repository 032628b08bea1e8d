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
      ranges: [{ partition: 0, from: 40, to: 90 }],
    });
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
