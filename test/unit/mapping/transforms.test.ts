import { listTransforms } from '../../../src/mapping/transforms/transform-registry';
import { appErrorOf, compile, transformValue as t } from './mapping-test-helpers';

const failure = (run: () => unknown) => appErrorOf(run);

describe('transforms', () => {
  describe('the registry', () => {
    it('lists every transform the spec format names, each argument declared for a UI', () => {
      const names = listTransforms().map((d) => d.name);
      expect(names.sort()).toEqual(
        [
          'boolean',
          'coalesce',
          'concat',
          'date',
          'datetime',
          'decimal',
          'default',
          'enum',
          'epoch',
          'identity',
          'integer',
          'lowercase',
          'number',
          'round',
          'split',
          'string',
          'trim',
          'uppercase',
        ].sort(),
      );
      for (const d of listTransforms()) {
        expect(d.description.length).toBeGreaterThan(10);
        for (const arg of d.args) {
          expect(arg).toEqual(
            expect.objectContaining({ name: expect.any(String), type: expect.any(String), required: expect.any(Boolean), description: expect.any(String) }),
          );
        }
      }
      expect(
        listTransforms()
          .find((d) => d.name === 'enum')!
          .args.map((a) => [a.name, a.required]),
      ).toEqual([
        ['map', true],
        ['default', false],
        ['caseInsensitive', false],
      ]);
    });
  });

  describe('null and absent inputs', () => {
    const converting = [
      'identity',
      'string',
      'lowercase',
      'uppercase',
      'trim',
      'number',
      'integer',
      'boolean',
      'decimal',
      'date',
      'datetime',
      'epoch',
      'split',
      'round',
    ];

    it.each(converting)('%s passes null through as null', (name) => {
      expect(t(name, null)).toBeNull();
    });

    it.each(converting)('%s leaves an absent source absent', (name) => {
      expect(compile([{ src: '$.v', dst: '$.out', transform: name }]).map({})).toEqual({});
    });

    it('enum passes null through even with a default (the default is for unknown values)', () => {
      expect(t({ name: 'enum', args: { map: { a: 'A' }, default: 'Z' } }, null)).toBeNull();
    });

    it('default, coalesce and concat see null and absent values: they exist to supply one', () => {
      expect(t({ name: 'default', args: { value: 'X' } }, null)).toBe('X');
      expect(t({ name: 'default', args: { value: 'X' } }, undefined)).toBe('X');
      expect(t({ name: 'coalesce', args: { srcs: ['$.w'] } }, null)).toBeNull();
      expect(compile([{ src: '$.v', dst: '$.out', transform: { name: 'coalesce', args: { srcs: ['$.w'] } } }]).map({ v: null, w: 3 })).toEqual({ out: 3 });
    });
  });

  describe('identity, string and text', () => {
    it('identity copies objects and arrays unchanged', () => {
      expect(t('identity', { a: [1, { b: 2 }] })).toEqual({ a: [1, { b: 2 }] });
    });

    it('string renders scalars, numbers in their shortest form, and rejects objects', () => {
      expect(t('string', 1001)).toBe('1001');
      expect(t('string', 10.1)).toBe('10.1');
      expect(t('string', true)).toBe('true');
      expect(t('string', 'x')).toBe('x');
      expect(failure(() => t('string', { a: 1 })).message).toContain('string: expected a scalar, got an object');
    });

    it('lowercase, uppercase and trim work on strings and reject other types', () => {
      expect(t('lowercase', 'ÄDA@Example.COM')).toBe('äda@example.com');
      expect(t('uppercase', 'gold')).toBe('GOLD');
      expect(t('trim', '  a b \n')).toBe('a b');
      expect(t(['trim', 'lowercase'], '  X@Y.COM ')).toBe('x@y.com');
      expect(failure(() => t('lowercase', 42)).message).toContain('lowercase: expected a string, got number 42');
    });

    it('split cuts on a separator, trims and drops empty parts by default', () => {
      expect(t('split', 'a, b,,c ')).toEqual(['a', 'b', 'c']);
      expect(t({ name: 'split', args: { separator: '|', trim: false, removeEmpty: false } }, 'a| b||')).toEqual(['a', ' b', '', '']);
    });
  });

  describe('number, integer and boolean', () => {
    it('number accepts numbers and numeric strings and rejects anything else', () => {
      expect(t('number', 3.5)).toBe(3.5);
      expect(t('number', ' -12.5e2 ')).toBe(-1250);
      expect(t('number', '.5')).toBe(0.5);
      for (const bad of ['abc', '', '12abc', '0x10', true, [1], { n: 1 }]) {
        expect(failure(() => t('number', bad)).code).toBe('MAPPING_FAILED');
      }
    });

    it('number and round refuse a value beyond the range of a double rather than give Infinity (stored as null)', () => {
      for (const [name, huge] of [
        ['number', '1e400'],
        ['number', '-1e400'],
        ['number', 10n ** 400n],
        ['round', '1e400'],
        ['round', `-${'9'.repeat(400)}`],
      ] as const) {
        const error = failure(() => t(name, huge));
        expect(error.code).toBe('MAPPING_FAILED');
        expect(error.message).toContain('beyond the range of a double');
      }
      expect(failure(() => t('number', Number.POSITIVE_INFINITY)).code).toBe('MAPPING_FAILED');
      expect(t('number', '1.7976931348623157e308')).toBe(Number.MAX_VALUE);
      expect(t('number', '1e-400')).toBe(0);
    });

    it('integer accepts whole values and rejects fractions and values a double cannot hold', () => {
      expect(t('integer', 42)).toBe(42);
      expect(t('integer', '42')).toBe(42);
      expect(t('integer', '42.000')).toBe(42);
      expect(t('integer', '-7')).toBe(-7);
      expect(failure(() => t('integer', 4.5)).message).toContain('has a fractional part');
      expect(failure(() => t('integer', '9007199254740993')).message).toContain('beyond ±(2^53−1)');
      expect(failure(() => t('integer', 'seven')).code).toBe('MAPPING_FAILED');
    });

    it('boolean accepts true/false, 1/0, "true"/"false", "yes"/"no" and nothing else', () => {
      const cases: [unknown, boolean][] = [
        [true, true],
        [false, false],
        [1, true],
        [0, false],
        ['true', true],
        ['FALSE', false],
        ['yes', true],
        [' No ', false],
        ['1', true],
        ['0', false],
      ];
      for (const [input, expected] of cases) expect(t('boolean', input)).toBe(expected);
      for (const bad of [2, 'maybe', '', {}]) expect(failure(() => t('boolean', bad)).code).toBe('MAPPING_FAILED');
    });

    it('round rounds on the decimal digits, half-even by default', () => {
      expect(t({ name: 'round', args: { scale: 2 } }, 1.005)).toBe(1);
      expect(t({ name: 'round', args: { scale: 2, rounding: 'half-up' } }, 1.005)).toBe(1.01);
      expect(t('round', 2.5)).toBe(2);
      expect(t('round', 3.5)).toBe(4);
      expect(t({ name: 'round', args: { rounding: 'half-up' } }, -2.5)).toBe(-3);
      expect(t({ name: 'round', args: { scale: 1 } }, '12.345')).toBe(12.3);
    });
  });

  describe('date, datetime and epoch', () => {
    it('datetime normalizes ISO-8601 strings to UTC, keeping microseconds and nanoseconds', () => {
      expect(t('datetime', '2024-03-01T10:00:00.123456Z')).toBe('2024-03-01T10:00:00.123456Z');
      expect(t('datetime', '2024-03-01T10:00:00.000001+01:00')).toBe('2024-03-01T09:00:00.000001Z');
      expect(t('datetime', '2024-03-01T10:00:00.123456789Z')).toBe('2024-03-01T10:00:00.123456789Z');
      expect(t('datetime', '2024-03-01T10:00:00.1234567891Z')).toBe('2024-03-01T10:00:00.123456789Z');
      expect(t('datetime', '2024-03-01T10:00:00.120000Z')).toBe('2024-03-01T10:00:00.120Z');
      expect(t('datetime', '2024-03-01T10:00:00+05:30')).toBe('2024-03-01T04:30:00.000Z');
      expect(t('datetime', '2024-03-01 10:00:00-0200')).toBe('2024-03-01T12:00:00.000Z');
      expect(t('datetime', '2024-03-01T10:00')).toBe('2024-03-01T10:00:00.000Z');
      expect(t('datetime', '2024-03-01')).toBe('2024-03-01T00:00:00.000Z');
    });

    it('datetime reads epoch numbers in the declared unit, keeping microseconds and nanoseconds', () => {
      expect(t({ name: 'datetime', args: { format: 'epoch-ms' } }, 1709287200123)).toBe('2024-03-01T10:00:00.123Z');
      expect(t({ name: 'datetime', args: { format: 'epoch-s' } }, 1709287200)).toBe('2024-03-01T10:00:00.000Z');
      expect(t({ name: 'datetime', args: { format: 'epoch-s' } }, '1709287200.5')).toBe('2024-03-01T10:00:00.500Z');
      expect(t({ name: 'datetime', args: { format: 'epoch-us' } }, 1709287200123999)).toBe('2024-03-01T10:00:00.123999Z');
      expect(t({ name: 'datetime', args: { format: 'epoch-ns' } }, '1709287200123999999')).toBe('2024-03-01T10:00:00.123999999Z');
      expect(t({ name: 'datetime', args: { format: 'epoch-us' } }, -1)).toBe('1969-12-31T23:59:59.999999Z');
      expect(t({ name: 'epoch', args: { format: 'epoch-us' } }, -1)).toBe(-1);
    });

    it('datetime rejects impossible dates, free text and numbers without a declared format', () => {
      expect(failure(() => t('datetime', '2024-02-30T00:00:00Z')).message).toContain('is not an ISO-8601 date or date-time');
      expect(failure(() => t('datetime', 'March 1, 2024')).code).toBe('MAPPING_FAILED');
      expect(failure(() => t('datetime', '2024-01-01T24:00:00Z')).code).toBe('MAPPING_FAILED');
      expect(failure(() => t('datetime', 1709287200123)).message).toContain('set args.format for epoch numbers');
    });

    it('date gives the UTC calendar date, also from Debezium epoch days', () => {
      expect(t('date', '2024-03-01T23:30:00-05:00')).toBe('2024-03-02');
      expect(t('date', '2024-02-29')).toBe('2024-02-29');
      expect(t({ name: 'date', args: { format: 'epoch-days' } }, 19783)).toBe('2024-03-01');
      expect(failure(() => t('date', '2023-02-29')).code).toBe('MAPPING_FAILED');
    });

    it('epoch gives milliseconds since the epoch', () => {
      expect(t('epoch', '2024-03-01T10:00:00.123Z')).toBe(1709287200123);
      expect(t({ name: 'epoch', args: { format: 'epoch-s' } }, 1)).toBe(1000);
    });
  });

  describe('enum', () => {
    const tier = { name: 'enum', args: { map: { gold: 'GOLD', silver: 'SILVER' }, default: 'STANDARD' } };

    it('maps known values, compared as strings, and unknown ones to the default', () => {
      expect(t(tier, 'gold')).toBe('GOLD');
      expect(t(tier, 'platinum')).toBe('STANDARD');
      expect(t({ name: 'enum', args: { map: { '1': 'ONE' } } }, 1)).toBe('ONE');
      expect(t({ name: 'enum', args: { map: { gold: 'GOLD' }, caseInsensitive: true } }, 'Gold')).toBe('GOLD');
    });

    it('fails an unknown value when there is no default, naming the value and the map', () => {
      const error = failure(() => t({ name: 'enum', args: { map: { gold: 'GOLD' } } }, 'constructor'));
      expect(error.code).toBe('MAPPING_FAILED');
      expect(error.message).toContain('enum: string "constructor" is not in map (gold) and no default is set');
    });
  });

  describe('concat, coalesce and default', () => {
    it('concat joins src and srcs, skipping null and absent parts', () => {
      const spec = compile([{ src: '$.first', dst: '$.name', transform: { name: 'concat', args: { srcs: ['$.middle', '$.last'], separator: ' ' } } }]);
      expect(spec.map({ first: 'Ada', middle: null, last: 'Lovelace' })).toEqual({ name: 'Ada Lovelace' });
      expect(spec.map({ first: null, middle: null })).toEqual({ name: null });
      expect(spec.map({})).toEqual({});
    });

    it('concat and coalesce work without src, from srcs alone', () => {
      expect(compile([{ dst: '$.code', transform: { name: 'concat', args: { srcs: ['$.a', '$.n'], separator: '-' } } }]).map({ a: 'X', n: 7 })).toEqual({
        code: 'X-7',
      });
      const coalesce = compile([{ dst: '$.phone', transform: { name: 'coalesce', args: { srcs: ['$.mobile', '$.home'] } } }]);
      expect(coalesce.map({ mobile: null, home: '123' })).toEqual({ phone: '123' });
      expect(coalesce.map({ mobile: null })).toEqual({ phone: null });
      expect(coalesce.map({})).toEqual({});
    });

    it('default writes a constant when there is no src, and each document gets its own copy', () => {
      const spec = compile([{ dst: '$.tags', transform: { name: 'default', args: { value: ['new'] } } }]);
      const a = spec.map({});
      const b = spec.map({});
      expect(a).toEqual({ tags: ['new'] });
      expect(a.tags).not.toBe(b.tags);
      expect(t({ name: 'default', args: { value: 0 } }, 5)).toBe(5);
    });
  });
});
