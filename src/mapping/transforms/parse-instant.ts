import { parseDecimal, toUnscaled } from '../../values/decimal';
import { describeValue, transformFailed } from './transform-definition';

/**
 * How a source spells an instant. Debezium's PostgreSQL connector sends `timestamptz` as an
 * ISO-8601 string (ZonedTimestamp), `timestamp` as epoch-ms or epoch-us numbers (Timestamp,
 * MicroTimestamp) and `date` as days since the epoch (Date), so every one is accepted.
 */
export const INSTANT_FORMATS = ['iso', 'epoch-ms', 'epoch-s', 'epoch-us', 'epoch-ns', 'epoch-days'] as const;
export type InstantFormat = (typeof INSTANT_FORMATS)[number];

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const MS_PER_DAY = 86_400_000;
/** Years 0000–9999: what "YYYY-MM-DD" and ISO-8601 without an expanded year can spell. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

/** Power-of-ten shift from each epoch unit to milliseconds. */
const EPOCH_SHIFT: Record<Exclude<InstantFormat, 'iso' | 'epoch-days'>, number> = {
  'epoch-ms': 0,
  'epoch-s': 3,
  'epoch-us': -3,
  'epoch-ns': -6,
};

/**
 * Milliseconds since the epoch (UTC) of a value in `format`. Sub-millisecond digits are
 * truncated toward the past (floor), so an instant never moves forward in time.
 */
export function parseInstant(value: unknown, format: InstantFormat, transform: string): number {
  return parsePreciseInstant(value, format, transform).ms;
}

/** An instant to the nanosecond: epoch milliseconds (floor) and the nanoseconds within that millisecond. */
export interface PreciseInstant {
  readonly ms: number;
  readonly nanosOfMs: number;
}

/**
 * The instant of a value in `format` to the nanosecond (ISO fractions beyond 9 digits are
 * truncated toward the past): microseconds of MicroTimestamp and ZonedTimestamp are kept.
 */
export function parsePreciseInstant(value: unknown, format: InstantFormat, transform: string): PreciseInstant {
  if (value instanceof Date) return { ms: checkRange(value.getTime(), value, transform), nanosOfMs: 0 };
  if (format === 'iso') {
    if (typeof value !== 'string') {
      return transformFailed(`${transform}: expected an ISO-8601 string, got ${describeValue(value)} (set args.format for epoch numbers)`);
    }
    const instant = parseIso(value.trim(), transform);
    return { ms: checkRange(instant.ms, value, transform), nanosOfMs: instant.nanosOfMs };
  }
  const parsed = typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? parseDecimal(value) : null;
  if (parsed === null) transformFailed(`${transform}: expected a number of ${format.slice(6)} since the epoch, got ${describeValue(value)}`);
  if (format === 'epoch-days') {
    if (parsed.exponent < 0 && parsed.digits % 10n ** BigInt(-parsed.exponent) !== 0n) {
      transformFailed(`${transform}: epoch-days must be a whole number of days, got ${describeValue(value)}`);
    }
    return { ms: checkRange(Number(toUnscaled(parsed, 0, 'floor')) * MS_PER_DAY, value, transform), nanosOfMs: 0 };
  }
  const nanos = toUnscaled({ ...parsed, exponent: parsed.exponent + EPOCH_SHIFT[format] + 6 }, 0, 'floor');
  // Floor division, so an instant before the epoch keeps a non-negative sub-millisecond part.
  let ms = nanos / 1_000_000n;
  if (nanos < 0n && ms * 1_000_000n !== nanos) ms -= 1n;
  return { ms: checkRange(Number(ms), value, transform), nanosOfMs: Number(nanos - ms * 1_000_000n) };
}

/**
 * A strict ISO-8601 reading. `Date.parse` is not used: it accepts "2024-02-30" (as March 1st),
 * free text, and reads an offset-less date-time as local time. Here an offset-less date-time is
 * UTC, a date alone is midnight UTC, and impossible dates are rejected.
 */
function parseIso(text: string, transform: string): PreciseInstant {
  const m = ISO.exec(text);
  if (!m) return notIso(text, transform);
  // The pattern fixes where each field sits; reading digits by char code avoids 7 substrings.
  const digit = (i: number): number => text.charCodeAt(i) - 48;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const month = digit(5) * 10 + digit(6);
  const day = digit(8) * 10 + digit(9);
  const hour = m[4] === undefined ? 0 : digit(11) * 10 + digit(12);
  const minute = m[5] === undefined ? 0 : digit(14) * 10 + digit(15);
  const second = m[6] === undefined ? 0 : digit(17) * 10 + digit(18);
  const fraction = m[7];
  const millis = fraction === undefined ? 0 : Number(fraction.length >= 3 ? fraction.slice(0, 3) : fraction.padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return notIso(text, transform);
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC reads years 0–99 as 1900–1999.
  if (year < 100) ms = new Date(ms).setUTCFullYear(year);
  return { ms: ms - offsetMinutes(m[8]) * 60_000, nanosOfMs: fraction !== undefined && fraction.length > 3 ? Number(fraction.slice(3, 9).padEnd(6, '0')) : 0 };
}

function notIso(text: string, transform: string): never {
  return transformFailed(`${transform}: ${describeValue(text)} is not an ISO-8601 date or date-time`);
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return zone[0] === '-' ? -minutes : minutes;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function checkRange(ms: number, value: unknown, transform: string): number {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) transformFailed(`${transform}: ${describeValue(value)} is outside years 0000–9999`);
  return ms;
}
