import { AppError, ErrorCode, isAppError, isProgrammingError } from '../../errors';

/**
 * The two ways a record can fail to decode. Both are final (not retriable): the same bytes will
 * never decode, so the consumer dead-letters them with this message.
 */

/** The bytes are not what they claim: bad JSON, a Decimal that is not base64, a wrong type. */
export function decodeFailed(message: string, cause?: unknown): AppError {
  return new AppError(ErrorCode.DECODE_FAILED, message, cause === undefined ? {} : { cause });
}

/** Well-formed, but no Debezium shape we know (unknown `op`, an update without any image...). */
export function unsupportedEnvelope(message: string): AppError {
  return new AppError(ErrorCode.UNSUPPORTED_ENVELOPE, message);
}

/**
 * Runs a conversion of one value and turns a data error into DECODE_FAILED naming the field path;
 * a coded refusal (a decode limit) keeps its code and gets the path too. Bugs (TypeError...) are
 * rethrown as they are: they are ours, not the record's.
 */
export function atPath<T>(path: string, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (isProgrammingError(error)) throw error;
    if (isAppError(error)) throw new AppError(error.code, `${path}: ${error.message}`, { cause: error, details: error.details });
    const reason = error instanceof Error ? error.message : String(error);
    throw decodeFailed(`${path}: ${reason}`, error);
  }
}
