import type { CanonicalEvent } from './canonical-event';

const encoded = new WeakMap<CanonicalEvent, string>();

/**
 * An event's JSON, computed once per event: the event log stores this text and the publisher sends
 * its bytes, so an event on its way from the pipeline to Kafka is encoded once. Events are never
 * changed once built, so the text stays the event's.
 */
export function eventJson(event: CanonicalEvent): string {
  let json = encoded.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    encoded.set(event, json);
  }
  return json;
}
