/**
 * How a raw topic's records are encoded: `json` (Kafka Connect's JSON converter, with or without
 * schemas), or the registry wire format with an Avro (`avro`) or JSON Schema (`json-schema`)
 * writer schema. Set per topic (`CANONQL_RECORD_FORMATS`, a topic or a `prefix*` pattern) over a
 * default (`CANONQL_RECORD_FORMAT`).
 */
export const RECORD_FORMATS = ['json', 'avro', 'json-schema'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

export interface TopicFormat {
  /** A topic name, or a prefix ending in `*`. */
  readonly topic: string;
  readonly format: RecordFormat;
}

export function isRecordFormat(value: unknown): value is RecordFormat {
  return typeof value === 'string' && (RECORD_FORMATS as readonly string[]).includes(value);
}

/** `topic=format,prefix*=format`; every problem listed. */
export function parseTopicFormats(text: string): { formats: TopicFormat[]; problems: string[] } {
  const formats: TopicFormat[] = [];
  const problems: string[] = [];
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const at = entry.lastIndexOf('=');
      const topic = at > 0 ? entry.slice(0, at).trim() : '';
      const format = at > 0 ? entry.slice(at + 1).trim() : '';
      if (topic === '' || !isRecordFormat(format) || (topic.includes('*') && topic.indexOf('*') !== topic.length - 1)) {
        problems.push(`CANONQL_RECORD_FORMATS entry ${index + 1} must be <topic>=<format> or <prefix>*=<format>, format one of ${RECORD_FORMATS.join(', ')}`);
        return;
      }
      formats.push({ topic, format });
    });
  return { formats, problems };
}

/** The format of a topic: an exact entry, else the longest matching prefix, else the default. */
export function recordFormatOf(formats: readonly TopicFormat[], fallback: RecordFormat): (topic: string) => RecordFormat {
  const exact = new Map(formats.filter((f) => !f.topic.endsWith('*')).map((f) => [f.topic, f.format]));
  const prefixes = formats
    .filter((f) => f.topic.endsWith('*'))
    .map((f) => ({ prefix: f.topic.slice(0, -1), format: f.format }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return (topic) => exact.get(topic) ?? prefixes.find((p) => topic.startsWith(p.prefix))?.format ?? fallback;
}
