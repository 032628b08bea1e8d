import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { RawRecord } from './debezium/decoded-record';

/**
 * A kafkajs message as the decoder's input, headers included: Debezium's
 * ExtractNewRecordState/ExtractNewDocumentState `add.headers` puts a change's metadata (`__op`,
 * `__lsn`, …) there, which the decoder reads when the value does not carry it. A header repeated
 * in one record counts with its last value (the one a later transform wrote).
 */
export function rawRecordOf(topic: string, partition: number, message: KafkaMessage): RawRecord {
  const { offset, key, value, timestamp, headers } = message;
  // Two literals rather than a spread of an optional part: this runs for every record.
  return headers ? { topic, partition, offset, key, value, timestamp, headers: plainHeaders(headers) } : { topic, partition, offset, key, value, timestamp };
}

function plainHeaders(headers: IHeaders): Record<string, Buffer | string | undefined> {
  const out: Record<string, Buffer | string | undefined> = {};
  for (const name in headers) {
    const value = headers[name];
    out[name] = Array.isArray(value) ? value.at(-1) : value;
  }
  return out;
}
