import { createRecentWrites } from '../../../src/metrics/recent-writes';

describe('recent writes: what a store wrote last, bounded by weight', () => {
  it('keeps the most recently written within the bound, dropping the least recently written first', () => {
    const recent = createRecentWrites<number>(3);
    for (const id of ['a', 'b', 'c']) recent.remember(id, 1);
    recent.remember('a', 2); // written again: now the most recent
    recent.remember('d', 1);
    expect(['a', 'b', 'c', 'd'].filter((id) => recent.has(id))).toEqual(['a', 'c', 'd']);
    expect(recent.get('a')).toBe(2);
  });

  it('weighs each value when it is kept; one heavier than the bound is not kept, and forgets free their weight', () => {
    const members = new Map<string, number>([['m', 1]]);
    const recent = createRecentWrites<Map<string, number>>(4, (value) => value.size);
    recent.remember('x', members);
    members.set('n', 2).set('o', 3).set('p', 4); // changed in place: still counted as 1
    recent.remember(
      'y',
      new Map([
        ['q', 1],
        ['r', 2],
        ['s', 3],
      ]),
    );
    expect(recent.has('x') && recent.has('y')).toBe(true);
    recent.remember('z', new Map(Array.from({ length: 5 }, (_, i) => [`k${i}`, i])));
    expect(recent.has('z')).toBe(false);
    recent.forget('y');
    recent.remember(
      'w',
      new Map([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]),
    );
    expect(['x', 'y', 'w'].filter((id) => recent.has(id))).toEqual(['x', 'w']);
  });

  it('forgets every entry under a prefix', () => {
    const recent = createRecentWrites<number>(10);
    for (const id of ['m@1|a', 'm@1|b', 'm@2|a']) recent.remember(id, 1);
    recent.forgetPrefixed('m@1|');
    expect(['m@1|a', 'm@1|b', 'm@2|a'].filter((id) => recent.has(id))).toEqual(['m@2|a']);
  });
});
