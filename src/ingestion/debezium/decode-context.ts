import type { ConnectSchema } from './decode-connect-value';
import type { DecodeLimits } from './decode-limits';
import type { RawRecord } from './decoded-record';
import { safeInteger } from './read-source';

/** What the envelope decoders need besides the value payload. */
export interface DecodeContext {
  readonly raw: RawRecord;
  /** The key's payload (the `{schema, payload}` wrapper removed), or null. */
  readonly keyPayload: unknown;
  readonly keySchema: ConnectSchema | null;
  /** `unavailable.value.placeholder` of the connector. */
  readonly placeholder: string;
  /** Bounds of every JSON text decoded, embedded documents included. */
  readonly limits: DecodeLimits;
}

/**
 * The change time: the source's commit time when known (`source.ts_ms`), else the time Debezium
 * processed the event (envelope `ts_ms`), else the Kafka record timestamp.
 */
export function changeTime(sourceTsMs: unknown, envelopeTsMs: unknown, raw: RawRecord): number | null {
  return safeInteger(sourceTsMs) ?? safeInteger(envelopeTsMs) ?? safeInteger(raw.timestamp) ?? null;
}

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
