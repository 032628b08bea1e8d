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

/** Days since 1970-01-01 → proleptic Gregorian date (H. Hinnant's civil_from_days). */
function formatCivilDate(daysSinceEpoch: number): string {
  const z = daysSinceEpoch + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
