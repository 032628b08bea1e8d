import { modelObject, type ScalarKind } from '../../../src/catalog/field-model';
import { groupValuesOf } from '../../../src/values/group-value';
import { seededRandom } from '../../support/seeded-random';
import { VALUE_FIELDS, VALUE_SCHEMA, compareValues, randomValue } from '../../support/value-oracle';

/**
 * `<plural>Aggregate` and a metric query keeping a dimension group a field's values by value, as
 * `eq` compares, and show one spelling per group whatever the order its entities (or buckets)
 * arrive in (the integration twins: test/integration/graphql/aggregate-group-by-value.test.ts,
 * test/integration/metrics/metric-dimension-by-value.test.ts).
 */
const scalarOf = Object.fromEntries(modelObject(VALUE_SCHEMA).map((f) => [f.jsonKey, f.kind === 'scalar' ? f.scalar : null])) as Record<
  (typeof VALUE_FIELDS)[number],
  ScalarKind
>;

describe('group values', () => {
  it('one identity for equal values, by the oracle comparing by value, for random values of every ordered type and strings', () => {
    const rng = seededRandom(4242);
    let equalPairs = 0;
    for (const field of VALUE_FIELDS) {
      const values = groupValuesOf(scalarOf[field]);
      const drawn = Array.from({ length: 80 }, () => randomValue(rng, field));
      for (const [i, a] of drawn.entries()) {
        for (const b of drawn.slice(i + 1)) {
          const equal = compareValues(field, a, b) === 0;
          if (equal && a !== b) equalPairs += 1;
          if ((values.identity(a) === values.identity(b)) !== equal) expect({ field, a, b, sameGroup: !equal }).toEqual({ field, a, b, sameGroup: equal });
        }
      }
    }
    // Equal values written differently did occur ("12.5" and "12.50", one instant in two offsets).
    expect(equalPairs).toBeGreaterThan(10);
  });

  it('keeps text, enum and JSON values apart by their text, and null (or absent) as its own group', () => {
    const text = groupValuesOf('String');
    expect(text.identity('12.5')).not.toBe(text.identity('12.50'));
    expect(text.identity('007')).not.toBe(text.identity('7'));
    const decimal = groupValuesOf('Decimal');
    expect(decimal.identity('12.5')).toBe(decimal.identity('12.50'));
    expect(decimal.identity(12.5)).toBe(decimal.identity('12.500'));
    expect(decimal.identity(null)).toBe(decimal.identity(undefined));
    expect(decimal.identity(null)).not.toBe(decimal.identity('0'));
    // A value with no key (not a number) is its own group by its text, never another value's.
    expect(decimal.identity('n/a')).not.toBe(decimal.identity('0'));
    expect(groupValuesOf(null).identity({ a: 1 })).toBe(groupValuesOf('JSON').identity({ a: 1 }));
    // Which fields group by value: the ordered scalars only (enums, Booleans and JSON by their text).
    expect(['Decimal', 'Int', 'Long', 'Float', 'DateTime', 'String', 'Boolean', 'JSON', 'enum', null].filter((s) => groupValuesOf(s).byValue)).toEqual([
      'Decimal',
      'Int',
      'Long',
      'Float',
      'DateTime',
    ]);
  });

  it.each([
    ['Decimal', ['12.5', '12.50', '12.500', '12.50'], '12.500'],
    ['Decimal', ['-0', '0.00', '0', '-0.00'], '-0.00'],
    ['Long', [5, '5'], '5'],
    ['Float', [2.5, '2.50'], '2.50'],
    [
      'DateTime',
      ['2024-03-01T12:00:00+02:00', '2024-03-01T10:00:00Z', '2024-03-01T10:00:00.000Z', '2024-03-01T04:30:00.000-05:30'],
      '2024-03-01T04:30:00.000-05:30',
    ],
    ['DateTime', ['2024-03-01T10:00:00.123456789Z', '2024-03-01T11:00:00.123456789+01:00'], '2024-03-01T10:00:00.123456789Z'],
  ] as const)('shows one spelling of a %s group, whatever the arrival order: %j → %j', (scalar, spellings, shown) => {
    const values = groupValuesOf(scalar);
    expect(new Set(spellings.map((s) => values.identity(s))).size).toBe(1);
    const permutations = (list: readonly unknown[]): unknown[][] =>
      list.length <= 1 ? [[...list]] : list.flatMap((x, i) => permutations([...list.slice(0, i), ...list.slice(i + 1)]).map((rest) => [x, ...rest]));
    for (const order of permutations(spellings)) expect(order.reduce((a, b) => values.shown(a, b))).toEqual(shown);
  });
});
