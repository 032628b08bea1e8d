/** Error code of a subscriber ended because it fell too far behind the live stream. */
export const SUBSCRIBER_TOO_SLOW = 'SUBSCRIBER_TOO_SLOW';

/** Undelivered live items a subscriber may have before it is ended as too slow, unless configured (CANONQL_MAX_SUBSCRIBER_BACKLOG). */
export const DEFAULT_MAX_SUBSCRIBER_BACKLOG = 1000;

/**
 * Ends a subscriber whose buffer of undelivered live items outgrew its limit. The feed would
 * otherwise hold an unbounded backlog in memory for one slow client; the client can resume with
 * the cursor of the last item it processed and lose nothing (Kafka still has the events).
 */
export class SubscriberTooSlowError extends Error {
  readonly code = SUBSCRIBER_TOO_SLOW;

  constructor(
    readonly subject: string,
    readonly limit: number,
  ) {
    super(`subscriber of "${subject}" fell more than ${limit} items behind the live stream; resume with the last cursor received`);
    this.name = 'SubscriberTooSlowError';
  }
}
