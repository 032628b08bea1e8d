/**
 * DateTime values at full source precision. A canonical DateTime is ISO-8601 text with an offset
 * ("2024-05-01T10:00:00.123456Z", "…+02:00") and 0 to 9 fractional digits: microseconds
 * (Debezium MicroTimestamp, ZonedTimestamp) and nanoseconds (NanoTimestamp) are kept as written
 * and compared exactly; more than 9 digits is refused. The instant is what is compared: the same
 * instant written with another offset or another number of trailing zeros is equal.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** An instant: whole seconds since the epoch (UTC) and nanoseconds within that second. */
export interface Instant {
  readonly epochSeconds: number;
  readonly nanos: number;
}

/** Years 0000–9999 in UTC: what ISO-8601 without an expanded year can spell. */
const MIN_SECONDS = -62_167_219_200;
const MAX_SECONDS = 253_402_300_799;

/** Parses canonical DateTime text; null when it is not one (or its instant is outside years 0000–9999 UTC). */
export function parseDateTime(text: string): Instant | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  const zone = m[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const days = daysFromCivil(year, month, day);
  const epochSeconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  if (epochSeconds < MIN_SECONDS || epochSeconds > MAX_SECONDS) return null;
  return { epochSeconds, nanos: Number((m[7] ?? '').padEnd(9, '0')) };
}

/** The number of fractional second digits canonical DateTime text is written with (0 to 9); null when it is not one. */
export function dateTimeFractionDigits(text: string): number | null {
  const m = DATE_TIME.exec(text);
  return m ? (m[7] ?? '').length : null;
}

/** The instant of a Date (BSON dates from MongoDB sources): millisecond precision. */
export function instantOfDate(date: Date): Instant | null {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) return null;
  const epochSeconds = Math.floor(ms / 1000);
  if (epochSeconds < MIN_SECONDS || epochSeconds > MAX_SECONDS) return null;
  return { epochSeconds, nanos: (ms - epochSeconds * 1000) * 1_000_000 };
}

/**
 * UTC text of an instant with as many fractional digits as it needs, in steps of three:
 * ".sss" for whole milliseconds (also for none), ".ssssss" for whole microseconds, else nine.
 */
export function formatInstant(instant: Instant): string {
  const n = instant.nanos;
  const fraction =
    n % 1_000_000 === 0 ? String(n / 1_000_000).padStart(3, '0') : n % 1000 === 0 ? String(n / 1000).padStart(6, '0') : String(n).padStart(9, '0');
  return `${civilText(instant.epochSeconds)}.${fraction}Z`;
}

/** Fixed-width UTC text with nine fractional digits: its string order is the instant order. */
export function instantKey(instant: Instant): string {
  return `${civilText(instant.epochSeconds)}.${String(instant.nanos).padStart(9, '0')}Z`;
}

function civilText(epochSeconds: number): string {
  const days = Math.floor(epochSeconds / 86_400);
  let rest = epochSeconds - days * 86_400;
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const minute = Math.floor(rest / 60);
  const second = rest - minute * 60;
  const { year, month, day } = civilFromDays(days);
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}`;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Days since 1970-01-01 → proleptic Gregorian date (H. Hinnant's civil_from_days). */
export function civilFromDays(daysSinceEpoch: number): { year: number; month: number; day: number } {
  const z = daysSinceEpoch + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
