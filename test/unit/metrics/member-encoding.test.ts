import { putMember, summarize, type Member } from '../../../src/metrics/aggregation';
import { decodeMembers, encodeMembers, membersOf } from '../../../src/metrics/rollup-store';
import { seeded } from './metric-model';

/**
 * The stored form of a bucket's members (`m`, one string): what is decoded is what was encoded,
 * so a rewrite never changes another entity's member, and the aggregate computed from decoded
 * members equals the one computed from the members written.
 */
describe('bucket members: stored encoding', () => {
  it('round-trips tombstones, single-valued and spread contributions, count-only members and awkward keys exactly', () => {
    const members: Member[] = [
      { k: 'ord-1', v: 3, a: { n: 1, s: '12.50', lo: '12.50', hi: '12.50' }, t: 0 },
      { k: 'ord-2', v: 7, a: { n: 3, s: '-0.000000000000000000001', lo: '-5', hi: '4.999999999999999999999' }, t: 0 },
      { k: 'ord-3', v: 2, a: { n: 2, s: null, lo: null, hi: null }, t: 0 },
      { k: 'ord-4', v: 9, g: true, t: 1_733_212_345_678 },
      { k: 'tab\tnew\nline "quoted" \\ ünïcödé 😀 [1,2]', v: 1, a: { n: 2, s: '0', lo: '0', hi: '0' }, t: 0 },
    ];
    const encoded = encodeMembers(members);
    expect(typeof encoded).toBe('string');
    expect(decodeMembers(encoded)).toEqual(members);
  });

  it("keeps a tombstone's write time (its expiry) and drops a live member's, which nothing reads", () => {
    const [live, gone] = decodeMembers(
      encodeMembers([
        { k: 'a', v: 1, a: { n: 1, s: '1', lo: '1', hi: '1' }, t: 42 },
        { k: 'b', v: 2, g: true, t: 43 },
      ]),
    );
    expect(live).toEqual({ k: 'a', v: 1, a: { n: 1, s: '1', lo: '1', hi: '1' }, t: 0 });
    expect(gone).toEqual({ k: 'b', v: 2, g: true, t: 43 });
  });

  it('random member sets: decoded members give the same aggregate and accept the same puts', () => {
    const random = seeded(18);
    const value = () => `${Math.floor(random() * 2_000_000) - 1_000_000}.${String(Math.floor(random() * 100)).padStart(2, '0')}`;
    for (let round = 0; round < 200; round += 1) {
      const members = new Map<string, Member>();
      for (let i = 0; i < 1 + Math.floor(random() * 40); i += 1) {
        const key = `k${Math.floor(random() * 30)}`;
        const version = 1 + Math.floor(random() * 5);
        const [a, b] = [value(), value()].sort((x, y) => Number(x) - Number(y));
        const agg = random() < 0.2 ? null : random() < 0.5 ? { n: 1, s: a!, lo: a!, hi: a! } : { n: 2, s: (Number(a) + Number(b)).toFixed(2), lo: a!, hi: b! };
        putMember(members, key, version, agg, 1000 + i);
      }
      const decoded = new Map(decodeMembers(encodeMembers(members.values())).map((m) => [m.k, m]));
      expect(summarize(decoded.values())).toEqual(summarize(members.values()));
      expect([...decoded.keys()]).toEqual([...members.keys()]);
      for (const [key, member] of members) {
        expect(decoded.get(key)!.v).toBe(member.v);
        expect(decoded.get(key)!.a ?? null).toEqual(member.a ?? null);
        // The same put (a redelivery) changes neither; an older one changes neither.
        expect(putMember(decoded, key, member.v, member.a ?? null, 5000)).toBe(false);
        expect(putMember(decoded, key, member.v - 1, { n: 9, s: '9', lo: '9', hi: '9' }, 5000)).toBe(false);
      }
    }
  });

  it('reads a bucket written before the encoding (members as documents) as it was', () => {
    const members: Member[] = [{ k: 'a', v: 1, a: { n: 1, s: '2.5', lo: '2.5', hi: '2.5' }, t: 5 }];
    expect(membersOf({ members })).toEqual(members);
    expect(membersOf({ m: encodeMembers(members) })).toEqual([{ ...members[0], t: 0 }]);
    expect(membersOf({})).toEqual([]);
  });
});
