import { transformValue as t, appErrorOf } from './mapping-test-helpers';

const decimal = (value: unknown, args: Record<string, unknown> = { scale: 2 }) => t({ name: 'decimal', args }, value);

describe('the decimal transform (money never passes through a float)', () => {
  it('returns a decimal string with exactly `scale` fractional digits', () => {
    expect(decimal('10.5')).toBe('10.50');
    expect(decimal('10.50')).toBe('10.50');
    expect(decimal(7)).toBe('7.00');
    expect(decimal('0')).toBe('0.00');
    expect(decimal('1e3')).toBe('1000.00');
    expect(decimal('  +3.1 ')).toBe('3.10');
  });

  it('rounds ties half-even by default and half-up (away from zero) on request', () => {
    expect(decimal('0.005')).toBe('0.00');
    expect(decimal('0.015')).toBe('0.02');
    expect(decimal('0.0051')).toBe('0.01');
    expect(decimal('0.005', { scale: 2, rounding: 'half-up' })).toBe('0.01');
    expect(decimal('-0.005', { scale: 2, rounding: 'half-up' })).toBe('-0.01');
    expect(decimal('2.5', { scale: 0 })).toBe('2');
    expect(decimal('3.5', { scale: 0 })).toBe('4');
  });

  it('keeps negative values exact and never produces "-0.00"', () => {
    expect(decimal('-12.345')).toBe('-12.34');
    expect(decimal('-12.355')).toBe('-12.36');
    expect(decimal(-0.001)).toBe('0.00');
    expect(decimal('-0')).toBe('0.00');
  });

  it('is exact beyond 2^53, for strings and bigints', () => {
    expect(decimal('123456789012345678901234567890.125')).toBe('123456789012345678901234567890.12');
    expect(decimal('9007199254740993.99')).toBe('9007199254740993.99');
    expect(decimal(9007199254740993n)).toBe('9007199254740993.00');
  });

  it('reads a JS number beyond 2^53 as its shortest decimal string: its lost digits cannot come back', () => {
    expect(decimal(2 ** 60, { scale: 0 })).toBe('1152921504606847000');
    // biome-ignore lint/correctness/noPrecisionLoss: the literal is past 2^53 on purpose: the number already lost the digit
    expect(decimal(9007199254740993, { scale: 0 })).toBe('9007199254740992');
  });

  it('reads JS numbers through their shortest decimal string, not their binary value', () => {
    // 10.1 is 10.0999999999999996447... as a double; 1.005 is 1.00499999999999989...
    expect(decimal(10.1)).toBe('10.10');
    expect(decimal(1.005)).toBe('1.00');
    expect(decimal(1.005, { scale: 2, rounding: 'half-up' })).toBe('1.01');
    expect(decimal(0.1 + 0.2, { scale: 2 })).toBe('0.30');
    expect(decimal(1e21)).toBe('1000000000000000000000.00');
    expect(decimal(1.5e-7, { scale: 7 })).toBe('0.0000002');
  });

  it('keeps the digits it was given when no scale is set', () => {
    expect(decimal('10.500', {})).toBe('10.500');
    expect(decimal(10.1, {})).toBe('10.1');
    expect(decimal('007', {})).toBe('7');
  });

  it('rejects what is not a finite decimal', () => {
    for (const bad of ['abc', '', '1.2.3', '--1', NaN, Infinity, true, {}, '1e99999']) {
      const error = appErrorOf(() => decimal(bad));
      expect(error.code).toBe('MAPPING_FAILED');
      expect(error.message).toContain('decimal: expected a number or a numeric string');
    }
  });
});
