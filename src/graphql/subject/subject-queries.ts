import { GraphQLBoolean, GraphQLError, GraphQLID, GraphQLInt, GraphQLNonNull, GraphQLString, type GraphQLFieldConfigMap } from 'graphql';
import { eventOfLogged } from '../../events/event-log';
import type { StoredEntity } from '../../state/entity-store';
import { decodeOpaqueCursor, encodeOpaqueCursor } from '../../infra/opaque-cursor';
import { requireSubjectRead } from '../access';
import type { ApiContext } from '../context';
import { DateTimeScalar } from '../scalars';
import { aggregateQuery } from './aggregate-query';
import { changePayload, entityFromEvent } from './change-payload';
import { afterCursor, decodeCursor, encodeCursor, mongoSort, sortOf, valueAt, whereToMongo, type Filter } from './list-query';
import { entityFieldPaths, entityProjection, pageProjection } from './page-projection';
import { selectsField } from './selects-field';
import type { SubjectTypes } from './subject-schema';

/**
 * Query fields of one subject, in this order: `order(id, asOf)`, `orders(where, orderBy, first,
 * after, includeDeleted)`, `orderHistory(id, first, after)` and `ordersAggregate`.
 */
export function subjectQueries(types: SubjectTypes): GraphQLFieldConfigMap<unknown, ApiContext> {
  const { subject, names, fields } = types;
  const fieldPaths = entityFieldPaths(fields);
  return {
    [names.single]: {
      type: types.entity,
      description: `One ${names.type} by id. \`asOf\`: its state as of that instant of source time (the last change committed at the source at or before it, from the event log).`,
      args: {
        id: { type: new GraphQLNonNull(GraphQLID) },
        asOf: { type: DateTimeScalar },
        includeDeleted: { type: GraphQLBoolean, defaultValue: false },
      },
      resolve: async (_root, args: { id: string; asOf?: string; includeDeleted: boolean }, ctx, info) => {
        requireSubjectRead(ctx.principal, subject);
        if (args.asOf) return stateAsOf(ctx, subject, args.id, args.asOf);
        // Only what the query shows, and what deciding whether to show it reads.
        const projection = entityProjection(info, info.fieldNodes, fieldPaths, VISIBILITY_PATHS);
        const entity = await ctx.loaders.entity(subject, projection ?? undefined).load(args.id);
        // A hard-deleted entity's marker has no data to show, deleted or not.
        return entity && (!entity._meta.deleted || (args.includeDeleted && !entity._meta.purged)) ? entity : null;
      },
    },
    [names.list]: {
      type: new GraphQLNonNull(types.connection),
      description: `${names.type} entities, filtered, ordered and paginated by cursor.`,
      args: {
        where: { type: types.where },
        orderBy: { type: types.orderBy },
        first: { type: GraphQLInt, defaultValue: 20 },
        after: { type: GraphQLString },
        includeDeleted: { type: GraphQLBoolean, defaultValue: false },
      },
      resolve: async (_root, args: ListArgs, ctx, info) => {
        requireSubjectRead(ctx.principal, subject);
        const first = pageSize(args.first, ctx.services.maxPageSize);
        const sort = sortOf(args.orderBy, fields);
        const base: Filter[] = [whereToMongo(args.where, fields)];
        base.push(args.includeDeleted ? { '_meta.purged': { $ne: true } } : { '_meta.deleted': false });
        const matching = combine(base);
        const page = combine(args.after ? [...base, afterCursor(sort, decodeCursor(args.after, sort))] : base);
        const collection = ctx.services.store.collection(subject);
        const projection = pageProjection(info, fieldPaths, [sort.path]);
        const [rows, totalCount] = await Promise.all([
          collection
            .find(page, projection ? { projection } : {})
            .sort(mongoSort(sort))
            .limit(first + 1)
            .toArray(),
          // Counting scans every matching document: only when the query asks for it.
          selectsField(info, 'totalCount') ? collection.countDocuments(matching) : null,
        ]);
        const edges = rows.slice(0, first).map((node) => ({ node, cursor: encodeCursor(sort, valueAt(node as never, sort.path), node._id) }));
        return { edges, totalCount, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
      },
    },
    [names.history]: {
      type: new GraphQLNonNull(types.changeConnection),
      description: `Every change of one ${names.type}, oldest first, from the event log.`,
      args: { id: { type: new GraphQLNonNull(GraphQLID) }, first: { type: GraphQLInt, defaultValue: 20 }, after: { type: GraphQLString } },
      resolve: async (_root, args: { id: string; first: number; after?: string }, ctx, info) => {
        requireSubjectRead(ctx.principal, subject);
        const first = pageSize(args.first, ctx.services.maxPageSize);
        const afterVersion = args.after ? decodeVersionCursor(args.after) : 0;
        const filter = await appliedEvents(ctx, subject, args.id);
        if (!filter) return { edges: [], totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null } };
        const events = ctx.services.eventLog.collection;
        const [docs, totalCount] = await Promise.all([
          events
            .find({ $and: [filter, { version: { $gt: afterVersion } }] })
            .sort({ version: 1 })
            .limit(first + 1)
            .toArray(),
          selectsField(info, 'totalCount') ? events.countDocuments(filter) : null,
        ]);
        const edges = docs.slice(0, first).map((doc) => {
          const cursor = encodeOpaqueCursor({ h: doc.version });
          return { cursor, node: changePayload(eventOfLogged(doc), cursor) };
        });
        return { edges, totalCount, pageInfo: { hasNextPage: docs.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
      },
    },
    ...aggregateQuery(types),
  };
}

/** What `order(id)` reads to decide whether the entity is shown (deleted, hard-deleted). */
const VISIBILITY_PATHS = ['_meta.deleted', '_meta.purged'];

interface ListArgs {
  where?: Record<string, unknown>;
  orderBy?: { field: string; direction: 'ASC' | 'DESC' };
  first: number;
  after?: string;
  includeDeleted: boolean;
}

function pageSize(first: number | null | undefined, max: number): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 0 || size > max) {
    throw new GraphQLError(`first must be between 0 and ${max}`, { extensions: { code: 'BAD_USER_INPUT', max } });
  }
  return size;
}

function combine(filters: Filter[]): Filter {
  const parts = filters.filter((f) => Object.keys(f).length > 0);
  return parts.length === 0 ? {} : parts.length === 1 ? parts[0]! : { $and: parts };
}

function decodeVersionCursor(cursor: string): number {
  const payload = decodeOpaqueCursor(cursor) as { h?: unknown } | null;
  const version = typeof payload === 'object' && payload !== null ? payload.h : undefined;
  if (!Number.isSafeInteger(version) || (version as number) < 0) {
    throw new GraphQLError('after: invalid history cursor', { extensions: { code: 'BAD_USER_INPUT', argument: 'after', value: cursor } });
  }
  return version as number;
}

/**
 * The state as of source time `asOf`: the `after` of the last change committed at the source at
 * or before it; null when the entity did not exist yet or was deleted then. Source time, not
 * canonql's apply time: changes applied in one batch share an apply time, while each source
 * commit has its own, and "as of 10:00" means the business's 10:00.
 */
async function stateAsOf(ctx: ApiContext, subject: string, key: string, asOf: string): Promise<StoredEntity | null> {
  const applied = await appliedEvents(ctx, subject, key);
  if (!applied) return null;
  const [doc] = await ctx.services.eventLog.collection
    .find({ $and: [applied, { sourceTsMs: { $lte: Date.parse(asOf) } }] })
    .sort({ version: -1 })
    .limit(1)
    .toArray();
  const event = doc ? eventOfLogged(doc) : null;
  if (!event?.after) return null;
  return entityFromEvent(event, event.after, event.version, false);
}

/**
 * The event-log filter of one entity's applied changes; null when none is applied yet. An event
 * is logged before its state write (the log is the outbox), so for a few milliseconds the log can
 * hold an event whose write is still in flight (a version above the state's) or lost a race to
 * another writer's event of the same version (it is discarded right after). Neither happened, so
 * history and as-of reads stop at the state's version, and at that version take only the event
 * the state names.
 */
async function appliedEvents(ctx: ApiContext, subject: string, key: string): Promise<Filter | null> {
  const state = await ctx.loaders.entity(subject).load(key);
  if (!state) return null;
  const { version, lastEventId } = state._meta;
  return { subject, key, version: { $lte: version }, $nor: [{ version, _id: { $ne: lastEventId } }] };
}
