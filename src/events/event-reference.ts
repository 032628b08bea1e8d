import type { CanonicalEvent } from './canonical-event';
import type { EventLog } from './event-log';

/**
 * References: what the canonical topic carries for an event over the topic's message limit.
 *
 * The entity's state is applied and its event logged either way; a reference (the event without
 * `before` and `after`, `bodyOmitted: true`, same id and version) takes the event's place on the
 * topic, so every consumer of the topic still sees the change, in its order: canonql's own
 * consumers (the change feed of every API process, the metric rollups) read the whole event from
 * the event log by id. A stock consumer of the topic sees the marker and reads the entity through
 * the API. The event stays dead-lettered (EVENT_TOO_LARGE) until the topic's limit is raised and
 * the letter replayed, which publishes the whole event under the same id (a re-send, dropped by
 * version like any other). See docs/design-notes.md.
 */
export function referenceOf(event: CanonicalEvent): CanonicalEvent {
  return { ...event, before: null, after: null, bodyOmitted: true };
}

export const isReference = (event: CanonicalEvent): boolean => event.bodyOmitted === true;

/**
 * The events with every reference replaced by the whole event from the log; a reference whose
 * event the log no longer has is returned as null at its place (the caller skips it: applying a
 * reference as it is would read as an entity without data).
 */
export async function resolveReferences(log: Pick<EventLog, 'findMany'>, events: readonly CanonicalEvent[]): Promise<(CanonicalEvent | null)[]> {
  const ids = events.filter(isReference).map((e) => e.id);
  if (ids.length === 0) return [...events];
  const found = await log.findMany(ids);
  return events.map((event) => {
    if (!isReference(event)) return event;
    const whole = found.get(event.id)?.event;
    return whole ?? null;
  });
}
