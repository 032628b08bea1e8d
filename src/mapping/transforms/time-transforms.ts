import { formatInstant } from '../../values/date-time';
import { formatDateTimeUtc, formatDateUtc } from './format-instant';
import { INSTANT_FORMATS, parseInstant, parsePreciseInstant, type InstantFormat } from './parse-instant';
import type { TransformArg, TransformDefinition } from './transform-definition';

const formatArg: TransformArg = {
  name: 'format',
  type: 'string',
  required: false,
  values: INSTANT_FORMATS,
  default: 'iso',
  description:
    'How the source spells the instant: iso (ISO-8601 string; no offset means UTC), epoch-ms, epoch-s, epoch-us, epoch-ns (numbers or numeric strings since 1970-01-01T00:00:00Z) or epoch-days (Debezium io.debezium.time.Date).',
};

const formatOf = (args: Readonly<Record<string, unknown>>): InstantFormat => (args.format as InstantFormat | undefined) ?? 'iso';

export const dateTransform: TransformDefinition = {
  name: 'date',
  description: 'Converts an instant to its calendar date in UTC, "YYYY-MM-DD".',
  args: [formatArg],
  create: (args) => {
    const format = formatOf(args);
    return (value) => formatDateUtc(parseInstant(value, format, 'date'));
  },
};

export const datetimeTransform: TransformDefinition = {
  name: 'datetime',
  description:
    'Converts an instant to an ISO-8601 UTC string at the precision of the source: "YYYY-MM-DDTHH:mm:ss.sssZ" for whole milliseconds, ' +
    '6 fractional digits for microseconds (MicroTimestamp, ZonedTimestamp), 9 for nanoseconds (digits beyond 9 are truncated).',
  args: [formatArg],
  create: (args) => {
    const format = formatOf(args);
    return (value) => {
      const { ms, nanosOfMs } = parsePreciseInstant(value, format, 'datetime');
      if (nanosOfMs === 0) return formatDateTimeUtc(ms);
      const epochSeconds = Math.floor(ms / 1000);
      return formatInstant({ epochSeconds, nanos: (ms - epochSeconds * 1000) * 1_000_000 + nanosOfMs });
    };
  },
};

export const epochTransform: TransformDefinition = {
  name: 'epoch',
  description: 'Converts an instant to milliseconds since the epoch (a number).',
  args: [formatArg],
  create: (args) => {
    const format = formatOf(args);
    return (value) => parseInstant(value, format, 'epoch');
  },
};
