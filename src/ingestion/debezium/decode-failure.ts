import { isUtf8 } from 'node:buffer';
import { AppError, ErrorCode, isAppError, isProgrammingError } from '../../errors';

/**
 * The two ways a record can fail to decode. Both are final (not retriable): the same bytes will
 * never decode, so the consumer dead-letters them with this message.
 */

/**
 * The bytes are not what they claim: bad JSON, a Decimal that is not base64, a wrong type, text
 * that is not UTF-8 (a key or value, an Avro string), a MongoDB number or date beyond its BSON type.
 */
export function decodeFailed(message: string, cause?: unknown): AppError {
  return new AppError(ErrorCode.DECODE_FAILED, message, cause === undefined ? {} : { cause });
}

/**
 * The UTF-8 text of a record's key or value. Bytes that are not UTF-8 are refused (DECODE_FAILED)
 * rather than read with U+FFFD in place of each bad sequence: that would store a value the source
 * never held, and the dead letter keeps the bytes as they came.
 */
export function utf8Text(bytes: Buffer, part: string): string {
  if (!isUtf8(bytes)) throw decodeFailed(`${part} is not valid UTF-8 text`);
  return bytes.toString('utf8');
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
