import { ErrorCode, isAppError } from '../errors';

/**
 * Which dependency a failure came from, for the store and Kafka error counters: our own coded
 * errors say it (STORE_UNAVAILABLE, STORE_TIMEOUT, KAFKA_UNAVAILABLE); driver errors by their class family
 * (MongoServerError, MongoNetworkError…; KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded…),
 * also when wrapped as a `cause`. Anything else (a bug, a bad input) is neither.
 */
export type FailureKind = 'store' | 'kafka';

export function classifyFailure(error: unknown): FailureKind | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    if (isAppError(current)) {
      if (current.code === ErrorCode.STORE_UNAVAILABLE || current.code === ErrorCode.STORE_TIMEOUT) return 'store';
      if (current.code === ErrorCode.KAFKA_UNAVAILABLE) return 'kafka';
    }
    if (current instanceof Error) {
      if (current.name.startsWith('Mongo')) return 'store';
      if (current.name.startsWith('KafkaJS')) return 'kafka';
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return null;
}
