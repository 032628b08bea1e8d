import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { RawRecord } from './debezium/decoded-record';

/**
 * A kafkajs message as the decoder's input, headers included: Debezium's
 * ExtractNewRecordState/ExtractNewDocumentState `add.headers` puts a change's metadata (`__op`,
 * `__lsn`, …) there, which the decoder reads when the value does not carry it. A header repeated
 * in one record counts with its last value (the one a later transform wrote).
 */
export function rawRecordOf(topic: string, partition: number, message: KafkaMessage): RawRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    timestamp: message.timestamp,
    ...(message.headers ? { headers: plainHeaders(message.headers) } : {}),
  };
}

function plainHeaders(headers: IHeaders): Record<string, Buffer | string | undefined> {
  const out: Record<string, Buffer | string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.at(-1) : value;
  return out;
}
