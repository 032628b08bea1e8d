import { DateTimeScalar } from '../../../src/graphql/scalars';
import { seededRandom } from '../../support/seeded-random';

/** DateTime's output keeps the last instant's text: the same answers as `toISOString`, one call per change of instant. */
describe('DateTime serialize', () => {
  it('answers toISOString for every Date, in any order, repeated, and after a Date is changed', () => {
    const random = seededRandom(3);
    const instants = [0, -1, 1, 1_714_521_600_000, 1_714_521_600_001, 253_402_300_799_999, -62_198_755_200_000, 8.64e15, -8.64e15];
    for (let i = 0; i < 2_000; i += 1) {
      const date = new Date(random() < 0.3 ? instants[Math.floor(random() * instants.length)]! : Math.floor((random() - 0.5) * 1e14));
      expect(DateTimeScalar.serialize(date)).toBe(date.toISOString());
    }
    const date = new Date(1_000);
    expect(DateTimeScalar.serialize(date)).toBe('1970-01-01T00:00:01.000Z');
    date.setTime(2_000);
    expect(DateTimeScalar.serialize(date)).toBe('1970-01-01T00:00:02.000Z');
    expect(DateTimeScalar.serialize('2024-05-01T10:00:00.123456+02:00')).toBe('2024-05-01T10:00:00.123456+02:00');
  });

  it('throws for an invalid Date as toISOString does, also twice in a row', () => {
    expect(() => DateTimeScalar.serialize(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => DateTimeScalar.serialize(new Date(Number.NaN))).toThrow(RangeError);
    expect(DateTimeScalar.serialize(new Date(5))).toBe('1970-01-01T00:00:00.005Z');
  });

  it('formats an instant once for a run of rows with the same start', () => {
    const spy = jest.spyOn(Date.prototype, 'toISOString');
    try {
      const rows = Array.from({ length: 42 * 3 }, (_, i) => new Date(Date.UTC(2024, 4, 1, Math.floor(i / 42))));
      const texts = rows.map((date) => DateTimeScalar.serialize(date));
      expect(new Set(texts)).toEqual(new Set(['2024-05-01T00:00:00.000Z', '2024-05-01T01:00:00.000Z', '2024-05-01T02:00:00.000Z']));
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });
});
