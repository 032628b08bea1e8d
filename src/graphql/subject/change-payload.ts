import type { CanonicalEvent } from '../../events/canonical-event';
import type { StoredEntity } from '../../state/entity-store';

/** The object a `<Type>Change` resolves from: a canonical event seen as entity states. */
export interface ChangePayload {
  readonly eventId: string | null;
  readonly op: string;
  readonly key: string | null;
  readonly version: number | null;
  readonly cursor: string | null;
  readonly node: StoredEntity | null;
  readonly previous: StoredEntity | null;
  readonly changedFields: readonly string[];
  readonly source: unknown;
  readonly sourceTs: Date | null;
  readonly ingestedAt: Date | null;
  /** Why a RESYNC was sent (feed-item.ts ResyncCode); absent for every other op. */
  readonly resyncReason?: string | null;
}

export function changePayload(event: CanonicalEvent, cursor: string | null): ChangePayload {
  return {
    eventId: event.id,
    op: event.op,
    key: event.key,
    version: event.version,
    cursor,
    node: event.after ? entityFromEvent(event, event.after, event.version, false) : null,
    previous: event.before ? entityFromEvent(event, event.before, event.version - 1, false) : null,
    changedFields: event.changedFields,
    source: event.source,
    sourceTs: event.sourceTsMs === null ? null : new Date(event.sourceTsMs),
    ingestedAt: new Date(event.ingestedAt),
  };
}

/** An entity state carried by an event, shaped like a stored entity for the entity type. */
export function entityFromEvent(event: CanonicalEvent, data: Record<string, unknown>, version: number, deleted: boolean): StoredEntity {
  const at = new Date(event.ingestedAt);
  return {
    _id: event.key,
    data,
    _meta: {
      version,
      positions: {},
      position: event.source.position,
      specId: event.spec.id,
      specVersion: event.spec.version,
      sourceTsMs: event.sourceTsMs,
      createdAt: at,
      updatedAt: at,
      deleted,
      lastEventId: event.id,
    },
  };
}
