import type { CanonicalEvent } from '../events/canonical-event';

/**
 * Why a cursor cannot be honoured, for clients to act on (the `resyncReason` of a RESYNC payload):
 * RETENTION: the events after it were deleted by the topic's retention; MALFORMED_CURSOR: not a
 * cursor this service wrote; FOREIGN_CURSOR: a cursor of another subject's topic; TOPIC_RECREATED:
 * the topic was deleted and made again since the cursor was made (it names partitions or offsets the
 * topic does not have, or the record before its position is another one, feed-cursor.ts).
 */
export type ResyncCode = 'RETENTION' | 'MALFORMED_CURSOR' | 'FOREIGN_CURSOR' | 'TOPIC_RECREATED';

/**
 * What a change-feed subscriber receives. Every item carries the cursor *after* it: resuming with
 * the cursor of the last item a client processed delivers exactly what came next.
 */
export type FeedItem =
  | { readonly kind: 'event'; readonly event: CanonicalEvent; readonly cursor: string }
  /**
   * Current state of a matching, non-deleted entity (snapshot-then-stream subscriptions). Every
   * snapshot item carries the cursor where the change stream after the snapshot starts: resuming
   * from it yields the changes since, not the rest of the snapshot.
   */
  | { readonly kind: 'snapshot'; readonly key: string; readonly data: Record<string, unknown>; readonly version: number; readonly cursor: string }
  /**
   * The requested `after` cursor can no longer be honoured (Kafka's retention deleted events after
   * it, or it is malformed or of another subject), or the topic was deleted and made again while
   * the subscriber streamed: the client must refetch state. `cursor` is where the stream that
   * follows starts. First, or after the caught-up events read before retention deleted the rest
   * while the catch-up read them, or in the live stream where the topic was made again.
   */
  | { readonly kind: 'resync'; readonly code: ResyncCode; readonly reason: string; readonly cursor: string };

export interface SubscribeOptions {
  /** Resume after this cursor (from an item of an earlier subscription). */
  readonly after?: string | null;
  /** Start with the current matching entities (as `snapshot` items), then stream changes. */
  readonly includeSnapshot?: boolean;
  /** Which events this subscriber receives (cursors still move past the others). */
  readonly filter?: (event: CanonicalEvent) => boolean;
  /** Which entities the snapshot includes, by their canonical data. */
  readonly snapshotFilter?: (data: Record<string, unknown>, key: string) => boolean;
}
