import { GraphQLError } from 'graphql';
import { ErrorCode, type AppError } from '../../errors';

/**
 * How a refusal raised before execution reaches the client: its HTTP status, the challenge a 401
 * carries, and the GraphQLError over HTTP (Apollo) and websockets (graphql-ws).
 */
/** HTTP status of a refusal raised before execution. */
export function httpStatusOf(code: string): number {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return 413;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.OPERATION_TIMEOUT:
      return 504;
    default:
      return 400;
  }
}

/** Apollo's `extensions.http` of a refusal: its status, and the challenge a 401 carries (RFC 9110 §11.6.1), as the HTTP guards send it. */
function httpOf(code: string): { status: number; headers?: Map<string, string> } {
  const status = httpStatusOf(code);
  return status === 401 ? { status, headers: new Map([['www-authenticate', BEARER_CHALLENGE]]) } : { status };
}

/** The `WWW-Authenticate` challenge of every 401. */
export const BEARER_CHALLENGE = 'Bearer realm="canonql"';

/** The AppError as the GraphQLError a client receives (`extensions.code`, `details` when structured). */
export function toGraphQLError(error: AppError, options: { http?: boolean } = {}): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: {
      code: error.code,
      ...(error.details !== undefined ? { details: error.details } : {}),
      ...(options.http ? { http: httpOf(error.code) } : {}),
    },
  });
}
