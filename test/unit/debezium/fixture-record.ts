import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodedChange, DecodedRecord, RawRecord } from '../../../src/ingestion/debezium/decode-record';
import { parseJsonLossless } from '../../../src/ingestion/debezium/parse-json-lossless';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'debezium');

/**
 * A fixture file is `{topic?, key, value, headers?}` where key and value are the JSON messages a
 * Debezium connector wrote to Kafka (null for a null key/tombstone). The key and value are turned
 * back into bytes WITHOUT a JSON.parse round trip, so int64 literals beyond 2^53 (a BIGINT id,
 * `ts_ns`) reach the decoder with every digit, as they would from Kafka.
 */
export function fixtureRecord(name: string, overrides: Partial<RawRecord> = {}): RawRecord {
  const parsed = parseJsonLossless(readFileSync(join(FIXTURES, name), 'utf8')).value as {
    topic?: string;
    key: unknown;
    value: unknown;
    headers?: Record<string, string>;
  };
  return {
    topic: parsed.topic ?? 'src1.public.customers',
    partition: 0,
    offset: '42',
    timestamp: '1795436367999',
    key: parsed.key === null ? null : Buffer.from(toJsonText(parsed.key)),
    value: parsed.value === null ? null : Buffer.from(toJsonText(parsed.value)),
    ...(parsed.headers ? { headers: parsed.headers } : {}),
    ...overrides,
  };
}

/** The fixture's value message as a JS object (numbers beyond 2^53 as marker strings). */
export function fixtureJson(name: string): { topic?: string; key: unknown; value: unknown } {
  return parseJsonLossless(readFileSync(join(FIXTURES, name), 'utf8')).value as { topic?: string; key: unknown; value: unknown };
}

/** A record from literal key/value objects (serialized with JSON.stringify). */
export function rawRecord(value: unknown, key: unknown = { id: 1 }, overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    topic: 'src1.public.customers',
    partition: 0,
    offset: '42',
    timestamp: '1795436367999',
    key: key === null ? null : Buffer.from(toJsonText(key)),
    value: value === null ? null : Buffer.from(toJsonText(value)),
    ...overrides,
  };
}

/** JSON.stringify, with exact-number markers written back as the number literals they stand for. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000#num:([-+.\deE]+)"/g, '$1');
}

/** The decoded record as a change; fails the test with what it was otherwise. */
export function change(record: DecodedRecord): DecodedChange {
  if (record.kind !== 'change') throw new Error(`expected a change, got ${JSON.stringify(record)}`);
  return record;
}
