import type { CanonicalEvent } from '../events/canonical-event';

/**
 * The canonical event in a Kafka message value, or null when the value is not one (an empty or
 * foreign message on the topic). Only the fields the feed relies on are checked: the rest is what
 * the publisher wrote and is passed on as is.
 */
export function parseCanonicalMessage(value: Buffer | null): CanonicalEvent | null {
  if (value === null || value.length === 0) return null;
  // A subject published in the registry wire format (CANONQL_WIRE_FORMAT_SUBJECTS): magic byte 0
  // and a 4-byte schema id before the JSON, which never starts with a 0 byte.
  const json = value[0] === 0 && value.length > 5 ? value.subarray(5) : value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const event = parsed as Partial<CanonicalEvent>;
  if (typeof event.id !== 'string' || typeof event.key !== 'string' || typeof event.version !== 'number') return null;
  return parsed as CanonicalEvent;
}
