import { civilFromDays } from '../../values/date-time';

/**
 * ISO-8601 UTC text of an epoch-ms instant, by integer arithmetic: `Date#toISOString` costs
 * several times the rest of a datetime mapping, and timestamps are in nearly every CDC event.
 * Valid for years 0000–9999 (parseInstant's range).
 */
const MS_PER_DAY = 86_400_000;

/** "YYYY-MM-DDTHH:mm:ss.sssZ" */
export function formatDateTimeUtc(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const millis = rest - second * 1000;
  return `${formatCivilDate(days)}T${two(hour)}:${two(minute)}:${two(second)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** "YYYY-MM-DD" of the UTC day containing the instant. */
export function formatDateUtc(ms: number): string {
  return formatCivilDate(Math.floor(ms / MS_PER_DAY));
}

function formatCivilDate(daysSinceEpoch: number): string {
  const { year, month, day } = civilFromDays(daysSinceEpoch);
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
