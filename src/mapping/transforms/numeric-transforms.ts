import { formatDecimal, parseDecimal, ROUNDING_MODES, type DecimalValue, type RoundingMode } from '../../values/decimal';
import { describeValue, transformFailed, type TransformArg, type TransformDefinition } from './transform-definition';

const NUMERIC_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_SCALE = 100;

const scaleArg = (required: boolean, description: string): TransformArg => ({ name: 'scale', type: 'integer', required, description });
const roundingArg: TransformArg = {
  name: 'rounding',
  type: 'string',
  required: false,
  values: ROUNDING_MODES,
  default: 'half-even',
  description: "How ties round: half-even (to the even neighbour, banker's rounding) or half-up (away from zero).",
};

function checkScale(args: Readonly<Record<string, unknown>>): string[] {
  const scale = args.scale;
  return typeof scale === 'number' && (scale < 0 || scale > MAX_SCALE) ? [`scale must be between 0 and ${MAX_SCALE}, got ${scale}`] : [];
}

function decimalOf(value: unknown, name: string): DecimalValue {
  const parsed = parseDecimal(value);
  if (parsed === null) transformFailed(`${name}: expected a number or a numeric string, got ${describeValue(value)}`);
  return parsed;
}

/** Float conversion; for money use `decimal`. */
export const numberTransform: TransformDefinition = {
  name: 'number',
  description:
    'Converts a number or numeric string to a JS number (a double). Rejects anything non-numeric and values beyond the range of a double ("1e400"). Not for money: use decimal.',
  args: [],
  create: () => (value) => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) transformFailed(`number: ${String(value)} is not a finite number`);
      return value;
    }
    if (typeof value === 'bigint') return finiteNumber(Number(value), value, 'number');
    if (typeof value === 'string' && NUMERIC_TEXT.test(value.trim())) return finiteNumber(Number(value.trim()), value, 'number');
    return transformFailed(`number: expected a number or a numeric string, got ${describeValue(value)}`);
  },
};

/** A conversion's result, refused when the value is beyond the range of a double (it became ±Infinity). */
function finiteNumber(result: number, value: unknown, name: string): number {
  if (!Number.isFinite(result)) transformFailed(`${name}: ${describeValue(value)} is beyond the range of a double (±1.8e308); map it with decimal or string`);
  return result;
}

/** Integers only: a fraction is rejected rather than silently truncated. */
export const integerTransform: TransformDefinition = {
  name: 'integer',
  description:
    'Converts a number or numeric string with no fractional part ("42", 42.0) to an integer. Rejects fractions and values beyond ±(2^53−1), which a JS number cannot hold exactly (use decimal or string).',
  args: [],
  create: () => (value) => {
    const parsed = decimalOf(value, 'integer');
    const unscaled = parsed.exponent >= 0 ? null : parsed.digits % 10n ** BigInt(-parsed.exponent);
    if (unscaled !== null && unscaled !== 0n) transformFailed(`integer: ${describeValue(value)} has a fractional part (round it first)`);
    const text = formatDecimal(parsed, 0, 'half-even');
    const result = Number(text);
    if (!Number.isSafeInteger(result)) transformFailed(`integer: ${text} is beyond ±(2^53−1); map it with decimal or string`);
    return result;
  },
};

/** Rounds through the decimal digits, so 1.005 rounds as 1.005 and not as 1.00499999999999989. */
export const roundTransform: TransformDefinition = {
  name: 'round',
  description:
    'Rounds a number or numeric string to `scale` fractional digits and returns a JS number. Rounds on the decimal digits, never on the binary float. Rejects values beyond the range of a double.',
  args: [scaleArg(false, 'Fractional digits to keep (0–100). Default 0.'), roundingArg],
  check: checkScale,
  create: (args) => {
    const scale = (args.scale as number | undefined) ?? 0;
    const mode = (args.rounding as RoundingMode | undefined) ?? 'half-even';
    return (value) => finiteNumber(Number(formatDecimal(decimalOf(value, 'round'), scale, mode)), value, 'round');
  },
};

/** Money: a decimal string computed on BigInt, never a float. */
export const decimalTransform: TransformDefinition = {
  name: 'decimal',
  description:
    'Converts a number, numeric string or decimal string ("10.50") to an exact decimal STRING with `scale` fractional digits ("10.50"). Works on the digits with BigInt, never through a float; JS numbers are read through their shortest decimal string (10.1 is "10.1"). Without scale the digits are kept as given.',
  args: [scaleArg(false, 'Fractional digits of the result (0–100). Omitted: keep the digits the value has.'), roundingArg],
  check: checkScale,
  create: (args) => {
    const scale = args.scale as number | undefined;
    const mode = (args.rounding as RoundingMode | undefined) ?? 'half-even';
    return (value) => formatDecimal(decimalOf(value, 'decimal'), scale, mode);
  },
};
