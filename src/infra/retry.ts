import { MongoNetworkError, MongoServerSelectionError, MongoError } from 'mongodb';
import { isAppError, isProgrammingError } from '../errors';
import type { Logger } from '../logger';

/**
 * Retry with capped exponential backoff and full jitter, for the store and Kafka calls canonql
 * makes itself (outside the retries kafkajs runs around its own fetches and commits).
 *
 * Only transient failures are retried (`isTransient`): a broker or store that is down, restarting
 * or failing over. A programming error (TypeError, RangeError...) or any error that says it is not
 * retriable is rethrown at once: retrying a bug only repeats it, and a poison input is the
 * dead-letter path's business, not a retry loop's. When the attempts run out the last error is
 * rethrown, so the caller's own recovery takes over (for ingestion: kafkajs retries the whole
 * batch, which a replay makes safe, then restarts the consumer).
 */
export interface RetryPolicy {
  /** Tries in all, the first included (1 = no retry). */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Growth of the delay cap per attempt. */
  readonly factor: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 6, initialDelayMs: 200, maxDelayMs: 5000, factor: 2 };

export interface RetryOptions {
  readonly policy?: RetryPolicy;
  readonly logger?: Logger;
  /** Called before each wait, e.g. to send a consumer heartbeat while a batch is held up. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>;
  /** Which errors to retry; defaults to {@link isTransient}. */
  readonly retriable?: (error: unknown) => boolean;
  /** Stops waiting (the last error is rethrown) when aborted, e.g. on shutdown. */
  readonly signal?: AbortSignal;
  /** Source of randomness for the jitter (tests pass a fixed one). */
  readonly random?: () => number;
}

/**
 * The wait before retry number `attempt` (1 = first retry): uniform in [0, cap], cap growing
 * `factor`× per attempt up to `maxDelayMs` ("full jitter": retrying clients spread out instead of
 * hammering a recovering broker in step).
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(cap * random());
}

const TRANSIENT_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** Mongo driver labels of errors the same operation may survive (network, failover, pool reset). */
const TRANSIENT_MONGO_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'ResetPool', 'PoolRequestedRetry'];

/**
 * True for failures of the infrastructure that a later try may not see: retriable AppErrors,
 * MongoDB network / server-selection errors, retriable kafkajs errors (including "retries
 * exhausted" over a retriable cause, e.g. a broker down longer than kafkajs' own retries), and
 * socket-level system errors. Never for programming errors, whatever wraps them.
 */
export function isTransient(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  if (isProgrammingError(error)) return false;
  if (isAppError(error)) return error.retriable;
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true;
  if (error instanceof MongoError) return TRANSIENT_MONGO_LABELS.some((label) => error.hasErrorLabel(label));
  const e = error as { name?: unknown; retriable?: unknown; code?: unknown; originalError?: unknown; cause?: unknown };
  if (typeof e.name === 'string' && e.name.startsWith('KafkaJS')) {
    // kafkajs gave up after its own retries: what counts is why.
    if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSNonRetriableError') {
      const cause = e.originalError ?? e.cause;
      return cause !== undefined && cause !== error && isTransient(cause);
    }
    return (
      e.retriable === true ||
      e.name === 'KafkaJSConnectionError' ||
      e.name === 'KafkaJSConnectionClosedError' ||
      e.name === 'KafkaJSRequestTimeoutError' ||
      e.name === 'KafkaJSBrokerNotFound' ||
      e.name === 'KafkaJSNoBrokerAvailableError' ||
      // kafkajs calls this non-retriable, but it is what its coordinator lookup throws when no
      // broker answered it (each refusal swallowed): a broker stopping or restarting, not a bug.
      e.name === 'KafkaJSGroupCoordinatorNotFound'
    );
  }
  return typeof e.code === 'string' && TRANSIENT_SYSTEM_CODES.has(e.code);
}

/** Runs `work`, retrying transient failures with backoff; `what` names it in logs. */
export async function withRetry<T>(what: string, work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const retriable = options.retriable ?? isTransient;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= policy.attempts || isProgrammingError(error) || !retriable(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, policy, options.random);
      options.logger?.warn({ err: error, attempt, delayMs, what }, `${what} failed (transient); retrying`);
      await options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
