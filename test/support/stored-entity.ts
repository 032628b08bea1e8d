import type { StoredEntity } from '../../src/state/entity-store';

/**
 * The first version of an entity as the store keeps it, for tests that write entities straight
 * into the real store because no demo feed carries the values they need (Decimal text in several
 * scales, one instant in several offsets).
 */
export function firstStoredEntity(
  id: string,
  data: Record<string, unknown>,
  at: { readonly time: Date; readonly position: string; readonly eventId: string },
): StoredEntity {
  return {
    _id: id,
    data,
    _meta: {
      version: 1,
      positions: {},
      position: at.position,
      specId: 't',
      specVersion: 1,
      sourceTsMs: at.time.getTime(),
      createdAt: at.time,
      updatedAt: at.time,
      deleted: false,
      lastEventId: at.eventId,
    },
  };
}
