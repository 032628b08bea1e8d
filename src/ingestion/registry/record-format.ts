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
      if (!isTopicPattern(topic) || !isRecordFormat(format)) {
        problems.push(`CANONQL_RECORD_FORMATS entry ${index + 1} must be <topic>=<format> or <prefix>*=<format>, format one of ${RECORD_FORMATS.join(', ')}`);
        return;
      }
      formats.push({ topic, format });
    });
  return { formats, problems };
}

/** A topic name, or a prefix ending in its only `*` (the empty prefix `*` matches every topic). */
export function isTopicPattern(pattern: string): boolean {
  return pattern !== '' && (!pattern.includes('*') || pattern.indexOf('*') === pattern.length - 1);
}

/**
 * A setting per topic: an exact entry, else the longest matching prefix, else the fallback. The
 * record format (CANONQL_RECORD_FORMATS) and the source registry (CANONQL_SOURCE_REGISTRIES) of a
 * topic are found alike.
 */
export function byTopicPattern<T>(entries: readonly { readonly topic: string; readonly value: T }[], fallback: T): (topic: string) => T {
  const exact = new Map(entries.filter((e) => !e.topic.endsWith('*')).map((e) => [e.topic, e.value]));
  const prefixes = entries
    .filter((e) => e.topic.endsWith('*'))
    .map((e) => ({ prefix: e.topic.slice(0, -1), value: e.value }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return (topic) => (exact.has(topic) ? exact.get(topic)! : (prefixes.find((p) => topic.startsWith(p.prefix))?.value ?? fallback));
}

/** The format of a topic: an exact entry, else the longest matching prefix, else the default. */
export function recordFormatOf(formats: readonly TopicFormat[], fallback: RecordFormat): (topic: string) => RecordFormat {
  return byTopicPattern(
    formats.map((f) => ({ topic: f.topic, value: f.format })),
    fallback,
  );
}
