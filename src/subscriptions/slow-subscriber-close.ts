import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from '../logger';
import { SUBSCRIBER_TOO_SLOW, SubscriberTooSlowError } from './subscriber-too-slow-error';

/**
 * Websocket close code of a connection ended because a subscription on it fell too far behind
 * (4000-4999 is the application range; graphql-ws uses 4400, 4401, 4403, 4406, 4408, 4409, 4429,
 * 4499, 4500 and 4504). 413 echoes HTTP's "content too large": the backlog outgrew its bound.
 */
export const WS_CLOSE_SUBSCRIBER_TOO_SLOW = 4413;

/** True for the too-slow ending, raised by the change feed or by a shared execution's fan-out. */
export function isSubscriberTooSlow(error: unknown): boolean {
  const original = (error as GraphQLError | undefined)?.originalError ?? error;
  return original instanceof SubscriberTooSlowError || (original as { code?: unknown } | undefined)?.code === SUBSCRIBER_TOO_SLOW;
}

/**
 * graphql-ws `onError`: a subscription ended as too slow gets its `error` message with
 * `extensions.code: SUBSCRIBER_TOO_SLOW`, then the whole connection is closed with
 * {@link WS_CLOSE_SUBSCRIBER_TOO_SLOW}. The connection, not just the operation: every operation of
 * a socket shares it, so one that is too slow means the socket is not being read fast enough, and
 * what it still holds (kernel and ws buffers) is freed only by closing it (ws destroys a socket
 * whose peer does not answer the close within 30 s). The client reconnects and resumes with the
 * `cursor` of the last payload it processed: nothing is lost.
 */
export function slowSubscriberOnError(logger: Logger) {
  return (ctx: { extra: unknown }, id: string, _payload: unknown, errors: readonly GraphQLError[]): readonly GraphQLFormattedError[] | undefined => {
    if (!errors.some(isSubscriberTooSlow)) return undefined;
    const socket = (ctx.extra as { socket?: { close(code: number, reason: string): void } }).socket;
    logger.warn({ operationId: id, code: SUBSCRIBER_TOO_SLOW }, 'subscriber too slow: closing its connection');
    // After graphql-ws has queued the error message (it sends right after this returns).
    setImmediate(() => socket?.close(WS_CLOSE_SUBSCRIBER_TOO_SLOW, SUBSCRIBER_TOO_SLOW));
    return errors.map((error) => {
      const formatted = error.toJSON();
      return isSubscriberTooSlow(error) ? { ...formatted, extensions: { ...formatted.extensions, code: SUBSCRIBER_TOO_SLOW } } : formatted;
    });
  };
}
