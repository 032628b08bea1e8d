import { DEFAULT_MAX_SUBSCRIBER_BACKLOG } from '../../subscriptions/subscriber-too-slow-error';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './operation-limits';

/** Every abuse limit of the API (settings in src/config.ts, documented in docs/configuration.md and docs/operations.md). */
export interface ApiLimits extends OperationLimits {
  /** Largest request body; beyond: 413 PAYLOAD_TOO_LARGE before parsing. */
  readonly maxBodyBytes: number;
  /** Apollo's batched HTTP operations (a JSON array of operations); off: BATCHING_DISABLED. */
  readonly batching: boolean;
  readonly maxBatch: number;
  /** Operations per minute per credential (anonymous: per client address); 0: no limit. */
  readonly rateLimitPerMinute: number;
  readonly maxSubscriptionsPerConnection: number;
  /** An HTTP operation not answered by then gets OPERATION_TIMEOUT; 0: no timeout. */
  readonly operationTimeoutMs: number;
  /**
   * Websocket keep-alive (graphql-ws's): a ping every this many ms; a connection that has not
   * answered within the same time is terminated. 0: off.
   */
  readonly wsKeepAliveMs: number;
  /**
   * Live events a subscriber may have undelivered (a shared execution counts per websocket:
   * events handed to the socket and not yet written out) before it is ended with
   * SUBSCRIBER_TOO_SLOW and its connection closed 4413.
   */
  readonly maxSubscriberBacklog: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  ...DEFAULT_OPERATION_LIMITS,
  maxBodyBytes: 1024 * 1024,
  batching: false,
  maxBatch: 10,
  rateLimitPerMinute: 1200,
  maxSubscriptionsPerConnection: 100,
  operationTimeoutMs: 30_000,
  wsKeepAliveMs: 12_000,
  maxSubscriberBacklog: DEFAULT_MAX_SUBSCRIBER_BACKLOG,
};
