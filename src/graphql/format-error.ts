import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isAppError } from '../errors';
import { literalInputError } from './literal-input-error';
import type { Logger } from '../logger';

/**
 * Every error a client sees carries `extensions.code`. Errors we raised on purpose (GraphQL
 * validation, BAD_USER_INPUT, AppError codes) pass with their message; anything else is a bug or
 * an infrastructure failure: logged with its stack, shown to the client as INTERNAL_SERVER_ERROR
 * with no detail.
 */
const PUBLIC_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
]);

export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isAppError(original)) {
      // `details` (every problem of a rejected input, as strings) reaches clients as well.
      const details = Array.isArray(original.details) ? { details: original.details } : {};
      return { ...formatted, message: original.message, extensions: { code: original.code, ...details } };
    }
    const code = formatted.extensions?.code;
    // A malformed Decimal/DateTime literal answers like the same value in a variable.
    const literal = code === 'GRAPHQL_VALIDATION_FAILED' && original instanceof GraphQLError ? literalInputError(original) : null;
    if (literal) {
      return { message: literal.message, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions: literal.extensions };
    }
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      return {
        message: formatted.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { ...formatted.extensions, code },
      };
    }
    if (isClientRequestError(original)) {
      // Apollo refused the request itself (a persisted query of an unsupported version, a hash
      // that does not match its query) with a 4xx status but no code: the client's mistake.
      logger.debug({ message: formatted.message }, 'request refused by Apollo Server');
      return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected GraphQL error');
    return { message: 'Internal server error', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** A GraphQLError Apollo raised with an HTTP 4xx status and no code of its own. */
function isClientRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError !== undefined) return false;
  const { code, http } = error.extensions as { code?: unknown; http?: { status?: unknown } };
  const status = http?.status;
  return code === undefined && typeof status === 'number' && status >= 400 && status < 500;
}
