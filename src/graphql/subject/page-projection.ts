import type { GraphQLResolveInfo } from 'graphql';
import { SHOWN_META_PATHS } from './entity-type';
import { selectedFields } from './selects-field';

/**
 * The projection a list query reads a page with: only what the query's `edges { node { … } }`
 * shows, instead of whole stored documents. A stored entity is mostly bookkeeping the page does
 * not show (`_meta`'s claims and positions, order keys): the demo order is 918 bytes of BSON, its
 * `id order_id currency` under a hundred, and decoding the rest was most of a page's CPU.
 *
 * Read: `_id`; each selected field's stored path (`fieldPaths`: entity-type.ts); the parts of
 * `_meta` that `_meta` shows when it is selected; and `extra` (the sort's path, for the cursors).
 * Null — read the whole documents — when the entity's paths cannot be projected, or a selected
 * name is not one of the entity's fields.
 */
export function pageProjection(info: GraphQLResolveInfo, fieldPaths: ReadonlyMap<string, string> | null, extra: readonly string[]): Record<string, 1> | null {
  if (!fieldPaths) return null;
  const edges = selectedFields(info, info.fieldNodes).filter((field) => field.name.value === 'edges');
  const nodes = selectedFields(info, edges).filter((field) => field.name.value === 'node');
  const projection: Record<string, 1> = { _id: 1 };
  for (const field of selectedFields(info, nodes)) {
    const name = field.name.value;
    if (name === '__typename') continue;
    // The entity type's own `_meta` comes after the canonical fields, so it is the one served.
    if (name === '_meta') {
      for (const path of SHOWN_META_PATHS) projection[path] = 1;
      continue;
    }
    // A canonical field named `id` replaces the entity's `id` (entity-type.ts), so it is looked up first.
    const path = fieldPaths.get(name);
    if (path !== undefined) projection[path] = 1;
    else if (name !== 'id') return null;
  }
  for (const path of extra) projection[path] = 1;
  return projection;
}
