import { dateTimeFractionDigits } from './date-time';
import { higherDec, toDec } from './decimal';
import { isKeyedScalar, keyOf, type KeyedScalar } from './order-key';

/**
 * How the values of one field are grouped by value, as `eq` compares: the groups of a
 * `<plural>Aggregate` `groupBy` field, and the rows of a metric query keeping a dimension (a
 * dimension reads a field of the subject: graphql/metrics/metric-where.ts types it).
 * A Decimal, Int, Long or Float is one value however it is written ("12.5", "12.50", 12.5), a
 * DateTime one instant whatever its offset or fractional digits: the identity of such a value
 * is its order key (values/order-key.ts, what `eq` and `in` compare). Any other value (String,
 * Boolean, enum, JSON, or a value of a numeric or DateTime field that has no key) is its JSON text.
 */
export interface GroupValues {
  /** Whether values group by value (a Decimal, Int, Long, Float or DateTime field); false: each by its JSON text. */
  readonly byValue: boolean;
  /** The group identity of a stored value (null or absent read as null). */
  identity(value: unknown): string;
  /**
   * Of two values with one identity, the one the group shows. For a numeric field, the spelling
   * with the larger scale ("12.50" of "12.5"), as min and max choose among equal values
   * (`higherDec`); for a DateTime, the one with more fractional digits; then the first in
   * code-unit order of its JSON text. So a group shows one spelling its entities hold, the same
   * whatever order the store returns them in.
   */
  shown(a: unknown, b: unknown): unknown;
}

const byText: GroupValues = {
  byValue: false,
  identity: (value) => `v${JSON.stringify(value ?? null)}`,
  shown: (a) => a,
};

/** The grouping of a field of GraphQL scalar `scalar` (`Decimal`, `String`, …; null or any other name: by JSON text). */
export function groupValuesOf(scalar: string | null): GroupValues {
  if (scalar === null || !isKeyedScalar(scalar)) return byText;
  return {
    byValue: true,
    identity(value) {
      const key = value === null || value === undefined ? null : keyOf(scalar, value);
      return key === null ? byText.identity(value) : `k${key}`;
    },
    shown: (a, b) => (a === b ? a : shownOfEqual(scalar, a, b)),
  };
}

function shownOfEqual(scalar: KeyedScalar, a: unknown, b: unknown): unknown {
  if (scalar === 'DateTime') {
    const x = typeof a === 'string' ? dateTimeFractionDigits(a) : null;
    const y = typeof b === 'string' ? dateTimeFractionDigits(b) : null;
    if (x !== null && y !== null && x !== y) return x > y ? a : b;
  } else {
    const x = toDec(a);
    const y = toDec(b);
    // Equal values: higherDec picks the larger scale, as for min and max.
    if (x && y && x.scale !== y.scale) return higherDec(x, y) === x ? a : b;
  }
  return JSON.stringify(a) <= JSON.stringify(b) ? a : b;
}
