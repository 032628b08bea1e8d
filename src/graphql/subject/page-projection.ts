import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import type { FieldModel } from '../../catalog/field-model';
import { fieldName } from '../naming';
import { selectedFields } from './selects-field';

/** The parts of a stored `_meta` the `_meta` field shows (metaOf reads only these). */
export const SHOWN_META_PATHS = [
  '_meta.version',
  '_meta.updatedAt',
  '_meta.createdAt',
  '_meta.position',
  '_meta.specId',
  '_meta.specVersion',
  '_meta.sourceTsMs',
  '_meta.deleted',
] as const;

/**
 * The stored path each top-level field of the entity type reads, by GraphQL field name: a
 * canonical field its `data.<key>`, a relation field the `data.<key>` it refers by. Null when a
 * key cannot be a projection path (a `.` or a leading `$` in it): such an entity is read whole.
 */
export function entityFieldPaths(fields: readonly FieldModel[]): ReadonlyMap<string, string> | null {
  const paths = new Map<string, string>();
  for (const field of fields) {
    if (field.jsonKey === '' || field.jsonKey.includes('.') || field.jsonKey.startsWith('$')) return null;
    const named = [fieldName(field.jsonKey), ...(field.relation ? [fieldName(field.relation.as)] : [])];
    // Two keys under one GraphQL name: which one the field reads is not this function's to guess.
    if (named.some((name) => paths.has(name))) return null;
    for (const name of named) paths.set(name, `data.${field.jsonKey}`);
  }
  return paths;
}

/** A store projection: the document paths read, each `1`. */
export type Projection = Record<string, 1>;

/**
 * The projection a list query reads a page with: only what the query's `edges { node { … } }`
 * shows, instead of whole stored documents. A stored entity is mostly bookkeeping the page does
 * not show (`_meta`'s claims and positions, order keys): the demo order is 918 bytes of BSON, its
 * `id order_id currency` under a hundred, and decoding the rest was most of a page's CPU.
 *
 * `extra`: paths read besides what the nodes show (the sort's path, for the cursors). Null — read
 * the whole documents — as for {@link entityProjection}.
 */
export function pageProjection(info: GraphQLResolveInfo, fieldPaths: ReadonlyMap<string, string> | null, extra: readonly string[]): Projection | null {
  if (!fieldPaths) return null;
  const edges = selectedFields(info, info.fieldNodes).filter((field) => field.name.value === 'edges');
  const nodes = selectedFields(info, edges).filter((field) => field.name.value === 'node');
  return entityProjection(info, nodes, fieldPaths, extra);
}

/**
 * The projections made by {@link entityProjectionOnce}, by the request's variables (a `@skip` or
 * `@include` may read them: one object per execution) and then the field's nodes.
 */
const madeFor = new WeakMap<object, WeakMap<readonly FieldNode[], Projection | null>>();

/**
 * {@link entityProjection} of the field being resolved, made once per request for each of its
 * selections: a relation field resolves once per parent (a page's 20 orders, each its customer),
 * always with the same nodes and variables, so the 19 after the first take the first's.
 */
export function entityProjectionOnce(info: GraphQLResolveInfo, fieldPaths: ReadonlyMap<string, string> | null, extra: readonly string[]): Projection | null {
  const variables: unknown = info.variableValues;
  if (typeof variables !== 'object' || variables === null) return entityProjection(info, info.fieldNodes, fieldPaths, extra);
  let byNodes = madeFor.get(variables);
  if (!byNodes) {
    byNodes = new WeakMap();
    madeFor.set(variables, byNodes);
  }
  let projection = byNodes.get(info.fieldNodes);
  if (projection === undefined) {
    projection = entityProjection(info, info.fieldNodes, fieldPaths, extra);
    byNodes.set(info.fieldNodes, projection);
  }
  return projection;
}

/**
 * What the entity fields selected below `parents` read of a stored entity: `_id`; each selected
 * field's stored path (`fieldPaths`: entity-type.ts); the parts of `_meta` that `_meta` shows when
 * it is selected; and `extra`. Null — read the whole documents — when the entity's paths cannot be
 * projected, or a selected name is not one of the entity's fields.
 */
export function entityProjection(
  info: GraphQLResolveInfo,
  parents: readonly FieldNode[],
  fieldPaths: ReadonlyMap<string, string> | null,
  extra: readonly string[],
): Projection | null {
  if (!fieldPaths) return null;
  const projection: Projection = { _id: 1 };
  for (const field of selectedFields(info, parents)) {
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
  for (const path of extra) addPath(projection, path);
  return projection;
}

/**
 * Adds `path` unless a path above it is read already, and drops the paths below it: a store
 * refuses a projection naming a path and one inside it (a relation by `contact.email` beside the
 * selected `contact`).
 */
function addPath(projection: Projection, path: string): void {
  for (let dot = path.indexOf('.'); dot !== -1; dot = path.indexOf('.', dot + 1)) {
    if (projection[path.slice(0, dot)] === 1) return;
  }
  const below = `${path}.`;
  for (const other of Object.keys(projection)) if (other.startsWith(below)) delete projection[other];
  projection[path] = 1;
}
