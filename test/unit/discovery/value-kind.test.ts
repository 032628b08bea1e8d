import { formatOf, instantOf, kindOf } from '../../../src/discovery/value-kind';

describe('value kinds and string formats', () => {
  it('names JSON types like JSON Schema', () => {
    expect([1, 1.5, 10n, 's', true, null, {}, [], undefined].map(kindOf)).toEqual([
      'integer',
      'number',
      'integer',
      'string',
      'boolean',
      'null',
      'object',
      'array',
      null,
    ]);
  });

  it.each([
    ['2024-05-01T10:00:00.000Z', 'date-time'],
    ['2024-05-01T10:00:00+02:00', 'date-time'],
    ['2024-05-01T10:00:00', null],
    ['2024-05-01', 'date'],
    ['2024-13-45', null],
    ['10:15:30.5Z', 'time'],
    ['ann@example.com', 'email'],
    ['not an @ email', null],
    ['123e4567-e89b-12d3-a456-426614174000', 'uuid'],
    ['https://example.com/a?b=c', 'uri'],
    ['192.168.0.1', 'ipv4'],
    ['-12.50', 'decimal'],
    ['42', 'decimal'],
    ['hello', null],
    ['', null],
  ])('%s is %s', (text, format) => {
    expect(formatOf(text)).toBe(format);
  });

  it('gives instants of dates and date-times only', () => {
    expect(instantOf('2024-05-01', 'date')).toBe(Date.UTC(2024, 4, 1));
    expect(instantOf('2024-05-01T10:00:00+02:00', 'date-time')).toBe(Date.UTC(2024, 4, 1, 8));
    expect(instantOf('ann@example.com', 'email')).toBeNull();
  });
});
