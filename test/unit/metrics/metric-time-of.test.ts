import { timeOf } from '../../../src/metrics/aggregation';
import { compiledMetric, HOURLY_AMOUNT } from './metric-model';

/**
 * Which times place an entity in a window (timeOf): canonical DateTime text with an offset,
 * a Date or epoch ms within the Date range; anything else is no time, like a missing one.
 */
const compiled = (extra: Record<string, unknown> = {}) => compiledMetric({ ...HOURLY_AMOUNT, ...extra });

const starts = (metric: ReturnType<typeof compiled>, data: Record<string, unknown>, changeTsMs: number | null = null) =>
  [...metric.contributionsOf(data, changeTsMs).values()].map(({ ref }) => ref.startMs);

describe('timeOf: only valid instants count', () => {
  it('reads canonical DateTime text with an offset, at full precision, in UTC', () => {
    expect(timeOf('2024-05-01T10:30:00Z')).toBe(Date.UTC(2024, 4, 1, 10, 30));
    expect(timeOf('2024-05-01T10:30:00+02:00')).toBe(Date.UTC(2024, 4, 1, 8, 30));
    expect(timeOf('2024-05-01T10:30:00.123456789Z')).toBe(Date.UTC(2024, 4, 1, 10, 30) + 123);
    expect(timeOf('1969-12-31T23:59:59.999Z')).toBe(-1);
    expect(timeOf('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('is null for text that is not a valid DateTime with an offset (no local time zone, no guessing)', () => {
    for (const text of [
      '2024-05-01T10:30:00',
      '2024-05-01 10:30',
      '2024-05-01',
      '1',
      '12',
      '2024',
      '1714557600000',
      'May 1 2024 10:30',
      '2024-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-05-01T24:00:00Z',
      '2024-05-01T10:30:00.1234567891Z',
      '',
    ]) {
      expect([text, timeOf(text)]).toEqual([text, null]);
    }
  });

  it('an invalid time contributes nothing, like a missing one', () => {
    const metric = compiled();
    expect(starts(metric, { ts: '2024-05-01T10:30:00', region: 'eu', amt: 1 })).toEqual([]);
    expect(starts(metric, { ts: '2024-02-30T00:00:00Z', region: 'eu', amt: 1 })).toEqual([]);
    expect(starts(metric, { region: 'eu', amt: 1 })).toEqual([]);
    expect(starts(metric, { ts: '2024-05-01T10:30:00Z', region: 'eu', amt: 1 })).toEqual([Date.UTC(2024, 4, 1, 10)]);
  });

  it('epoch ms and Dates outside the Date range (|ms| > 8.64e15) are invalid', () => {
    expect(timeOf(8.64e15)).toBe(8.64e15);
    expect(timeOf(-8.64e15)).toBe(-8.64e15);
    expect(timeOf(8.64e15 + 1)).toBeNull();
    expect(timeOf(-8.64e15 - 1)).toBeNull();
    expect(timeOf(1e17)).toBeNull();
    expect(timeOf(new Date(8.64e15 + 1))).toBeNull();
    const metric = compiled();
    expect(starts(metric, { ts: 1e17, region: 'eu', amt: 1 })).toEqual([]);
    expect(starts(metric, { ts: 8.64e15, region: 'eu', amt: 1 })).toEqual([8.64e15]);
    const byChange = compiled({ time: { changeTime: true } });
    expect(starts(byChange, { region: 'eu', amt: 1 }, 1e17)).toEqual([]);
    expect(starts(byChange, { region: 'eu', amt: 1 }, 3_600_001)).toEqual([3_600_000]);
    // Every bucket start is a Date.
    for (const ms of [8.64e15, -8.64e15]) for (const start of starts(metric, { ts: ms, amt: 1 })) expect(new Date(start).toISOString()).toMatch(/Z$/);
  });
});
