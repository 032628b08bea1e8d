/**
 * Exact decimal arithmetic for metric measures: a value is a BigInt of units at a scale
 * (`12.50` = 1250n at scale 2). Sums of money must not depend on the order in which changes
 * arrive or are retracted, which float addition cannot promise; integer addition can. JS numbers
 * enter through their shortest decimal text (0.1 is exactly "0.1"), as the `decimal` transform does.
 */
export interface Dec {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** The exact decimal of a number or decimal string; null for anything else (absent, text, NaN). */
export function toDec(value: unknown): Dec | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    text = String(value);
  } else if (typeof value === 'bigint') {
    return { units: value, scale: 0 };
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return null;
  }
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = '', exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  let digits = `${whole}${fraction}`;
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const units = BigInt(digits) * (sign === '-' ? -1n : 1n);
  return normalize({ units, scale });
}

/** Drops trailing fractional zeros, so equal values have one representation. */
export function normalize(d: Dec): Dec {
  let { units, scale } = d;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

export function addDec(a: Dec, b: Dec): Dec {
  const [x, y, scale] = align(a, b);
  return normalize({ units: x + y, scale });
}

export function mulDec(a: Dec, b: Dec): Dec {
  return normalize({ units: a.units * b.units, scale: a.scale + b.scale });
}

export function compareDec(a: Dec, b: Dec): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const ZERO: Dec = { units: 0n, scale: 0 };

/** Plain decimal text, no exponent: "1250.5", "-0.03", "7". */
export function formatDec(d: Dec): string {
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString();
  if (d.scale === 0) return `${negative ? '-' : ''}${digits}`;
  const padded = digits.padStart(d.scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -d.scale)}.${padded.slice(-d.scale)}`;
}

/** Parses text this module wrote (stored sums, minima, maxima). */
export function parseDec(text: string): Dec {
  const d = toDec(text);
  if (!d) throw new Error(`not a decimal: ${text}`);
  return d;
}

/** A float approximation, for averages only (which are not exact in any base anyway). */
export function decToNumber(d: Dec): number {
  return Number(formatDec(d));
}
