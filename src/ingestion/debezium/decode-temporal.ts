/**
 * Connect/Debezium temporal logical types rendered as ISO-8601 strings, exactly.
 *
 * Arithmetic is done on BigInt, not `Date`: `NanoTimestamp` values exceed 2^53, `Date` only keeps
 * milliseconds, and PostgreSQL's `infinity` arrives as 9223372036825200000 µs, far outside the
 * range of `Date`. Fractions are always printed with the full precision of the type (3, 6 or 9
 * digits) so that strings of one column sort in time order.
 */

/** Unit of an epoch or time-of-day count, named after the Debezium semantic type that uses it. */
export type TimeUnit = 'ms' | 'us' | 'ns';

const PER_SECOND: Record<TimeUnit, bigint> = { ms: 1_000n, us: 1_000_000n, ns: 1_000_000_000n };
const FRACTION_DIGITS: Record<TimeUnit, number> = { ms: 3, us: 6, ns: 9 };
const SECONDS_PER_DAY = 86_400n;

/**
 * `org.apache.kafka.connect.data.Date` / `io.debezium.time.Date`: days since 1970-01-01 (negative
 * before it) as `"YYYY-MM-DD"`.
 */
export function formatEpochDay(days: bigint): string {
  return civilFromDays(days);
}

/**
 * `org.apache.kafka.connect.data.Timestamp` / `io.debezium.time.Timestamp` (ms),
 * `MicroTimestamp` (µs), `NanoTimestamp` (ns) since the epoch, as `"YYYY-MM-DDTHH:MM:SS.fffZ"`.
 * Debezium converts a TIMESTAMP WITHOUT TIME ZONE as if it were UTC, so `Z` is faithful to it.
 */
export function formatEpochTimestamp(value: bigint, unit: TimeUnit): string {
  const perDay = SECONDS_PER_DAY * PER_SECOND[unit];
  const days = floorDiv(value, perDay);
  return `${civilFromDays(days)}T${formatTimeOfDay(value - days * perDay, unit)}Z`;
}

/**
 * `io.debezium.time.Time` / `org.apache.kafka.connect.data.Time` (ms of day), `MicroTime` (µs),
 * `NanoTime` (ns) as `"HH:MM:SS.fff"`. PostgreSQL allows `24:00:00`, which is kept as such.
 * MySQL/MariaDB `TIME` is a signed duration (-838:59:59 to 838:59:59, Debezium's value is the
 * signed count): hours go beyond 24 with as many digits as needed, and a negative value is the
 * same text after a minus sign (`-01:00:00.000000`, `-00:00:00.000001`).
 */
export function formatTimeOfDay(value: bigint, unit: TimeUnit): string {
  if (value < 0n) return `-${formatTimeOfDay(-value, unit)}`;
  const perSecond = PER_SECOND[unit];
  const seconds = value / perSecond;
  const fraction = (value % perSecond).toString().padStart(FRACTION_DIGITS[unit], '0');
  const hh = pad2(seconds / 3600n);
  const mm = pad2((seconds / 60n) % 60n);
  const ss = pad2(seconds % 60n);
  return `${hh}:${mm}:${ss}.${fraction}`;
}

function pad2(value: bigint): string {
  return value.toString().padStart(2, '0');
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * Proleptic Gregorian date of an epoch day (Howard Hinnant's `civil_from_days`), so years before
 * 1970, before year 1 and after 9999 all work. Years outside 0000–9999 use ISO-8601's expanded
 * form with a sign and six digits, as `Date#toISOString` does.
 */
function civilFromDays(epochDay: bigint): string {
  const z = epochDay + 719_468n;
  const era = floorDiv(z, 146_097n);
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1_460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  const year = yoe + era * 400n + (month <= 2n ? 1n : 0n);
  const yearText =
    year >= 0n && year <= 9999n ? year.toString().padStart(4, '0') : `${year < 0n ? '-' : '+'}${(year < 0n ? -year : year).toString().padStart(6, '0')}`;
  return `${yearText}-${pad2(month)}-${pad2(day)}`;
}
