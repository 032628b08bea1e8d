import { GraphQLBoolean, GraphQLList, GraphQLNonNull, GraphQLString, type GraphQLFieldConfigMap } from 'graphql';
import type { CanonicalEvent } from '../events/canonical-event';
import type { StoredEntity } from '../state/entity-store';
import type { SubscriptionFieldsFactory } from './build-api-schema';
import { requireSubjectRead } from './access';
import type { ApiContext } from './context';
import { changePayload, type ChangePayload } from './subject/change-payload';
import { compileWhere, type WhereClause } from './subject/where-filter';
import { matchesClause } from './subject/where-matcher';

/**
 * `<subject>Changed(where, ops, after, includeSnapshot)`: the live change feed of a subject,
 * from the process's change feed (every API replica reads every canonical event from Kafka).
 */
export type FeedItem =
  | { kind: 'event'; event: CanonicalEvent; cursor: string }
  | { kind: 'snapshot'; key: string; data: Record<string, unknown>; version: number; cursor: string; meta?: StoredEntity['_meta'] }
  | { kind: 'resync'; code: string; reason: string; cursor: string };

export interface FeedSource {
  subscribe(
    subject: string,
    options: {
      after?: string | null;
      includeSnapshot?: boolean;
      filter?: (event: CanonicalEvent) => boolean;
      snapshotFilter?: (data: Record<string, unknown>, key: string) => boolean;
    },
  ): AsyncIterableIterator<FeedItem>;
}

interface ChangedArgs {
  where?: Record<string, unknown> | null;
  ops?: string[] | null;
  after?: string | null;
  includeSnapshot?: boolean;
}

export function subscriptionFields(feed: FeedSource): SubscriptionFieldsFactory {
  return (subjects, shared) => {
    const fields: GraphQLFieldConfigMap<unknown, ApiContext> = {};
    for (const types of subjects) {
      fields[types.names.changed] = {
        type: new GraphQLNonNull(types.change),
        description:
          `Live changes of ${types.names.type} entities. Every payload has a \`cursor\`: resubscribe with ` +
          '`after: <last cursor>` to receive exactly the changes missed, in order (or a RESYNC when they are no longer retained). ' +
          '`includeSnapshot`: the matching entities first (op SNAPSHOT), then the changes after them, none lost or repeated.',
        args: {
          where: {
            type: types.where,
            description:
              'Matched against the entity after the change (before it, for a DELETE). An UPDATE is also sent when the entity matched before it: one that leaves the filter, so a client holding the matching entities sees it go.',
          },
          ops: { type: new GraphQLList(new GraphQLNonNull(shared.ChangeOp)) },
          after: { type: GraphQLString },
          includeSnapshot: { type: GraphQLBoolean, defaultValue: false },
        },
        subscribe: (_root, args: ChangedArgs, ctx: ApiContext) => {
          requireSubjectRead(ctx.principal, types.subject);
          const ops = args.ops && args.ops.length > 0 ? new Set(args.ops) : null;
          // Compiled once: a bad filter is refused at subscribe time, and events only run the matcher.
          const where = compileWhere(args.where, types.fields);
          const items = feed.subscribe(types.subject, {
            after: args.after ?? null,
            includeSnapshot: args.includeSnapshot ?? false,
            filter: (event) => (!ops || ops.has(event.op)) && changeMatches(where, event),
            snapshotFilter: (data, key) => matchesClause(where, data, key),
          });
          return mapIterator(items, toPayload);
        },
        // Each event's execution reads related entities afresh (the context is the subscription's).
        resolve: (payload: unknown, _args: unknown, ctx: ApiContext) => {
          ctx.loaders.clear();
          return payload as ChangePayload;
        },
      };
    }
    return fields;
  };
}

/**
 * Whether a subscription filtered by `where` receives the change: the entity after it matches (a
 * DELETE: before it), or, for an UPDATE, the entity before it did. A change that moves an entity
 * out of the filter is sent too: a client that took the matching entities (a snapshot, then the
 * stream) would otherwise keep one that no longer matches, never told it left.
 */
export function changeMatches(where: WhereClause, event: Pick<CanonicalEvent, 'op' | 'key' | 'before' | 'after'>): boolean {
  if (matchesClause(where, event.after ?? event.before, event.key)) return true;
  return event.op === 'UPDATE' && event.before !== null && matchesClause(where, event.before, event.key);
}

/** For printing the SDL without a running feed. */
export const subscriptionFieldsForSdl = subscriptionFields({
  subscribe: () => {
    throw new Error('no change feed in SDL mode');
  },
});

function toPayload(item: FeedItem): ChangePayload {
  switch (item.kind) {
    case 'event':
      return changePayload(item.event, item.cursor);
    case 'snapshot':
      return {
        eventId: null,
        op: 'SNAPSHOT',
        key: item.key,
        version: item.version,
        cursor: item.cursor,
        node: { _id: item.key, data: item.data, _meta: item.meta ?? snapshotMeta(item.version) },
        previous: null,
        changedFields: [],
        source: null,
        sourceTs: null,
        ingestedAt: null,
      };
    case 'resync':
      return {
        eventId: null,
        op: 'RESYNC',
        key: null,
        version: null,
        cursor: item.cursor,
        node: null,
        previous: null,
        changedFields: [],
        source: { reason: item.reason },
        sourceTs: null,
        ingestedAt: null,
        resyncReason: item.code,
      };
  }
}

function snapshotMeta(version: number): StoredEntity['_meta'] {
  const now = new Date();
  return {
    version,
    positions: {},
    position: '',
    specId: '',
    specVersion: 0,
    sourceTsMs: null,
    createdAt: now,
    updatedAt: now,
    deleted: false,
    lastEventId: '',
  };
}

/** Maps an async iterator, passing `return()` through so an unsubscribe reaches the feed. */
function mapIterator<T, U>(source: AsyncIterableIterator<T>, map: (item: T) => U): AsyncIterableIterator<U> {
  return {
    async next() {
      const result = await source.next();
      return result.done ? { done: true, value: undefined } : { done: false, value: map(result.value) };
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      if (source.throw) await source.throw(error);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
