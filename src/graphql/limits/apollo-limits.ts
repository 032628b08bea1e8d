import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../../errors';
import type { ApiContext } from '../context';
import { checkOperation, type OperationLimits } from './operation-limits';
import { toGraphQLError } from './refusal';

/**
 * The limits as an Apollo Server plugin: `didResolveOperation` runs after parsing and
 * validation and before execution, with the variables and the caller at hand. A refusal is a
 * GraphQLError with its code and HTTP status (400, or 401/403 for a mutation without the role).
 */
export function limitsPlugin(limits: OperationLimits): ApolloServerPlugin<ApiContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(request) {
          const error = checkOperation(
            {
              schema: request.schema,
              document: request.document,
              operationName: request.request.operationName,
              variables: request.request.variables,
              principal: request.contextValue.principal,
            },
            limits,
          );
          if (error) throw toGraphQLError(error, { http: true });
        },
      };
    },
  };
}

/** The codes of refusals made before execution; they reach clients as they are. */
export const REFUSAL_CODES: ReadonlySet<string> = new Set([
  ErrorCode.DEPTH_LIMIT_EXCEEDED,
  ErrorCode.COST_LIMIT_EXCEEDED,
  ErrorCode.ALIAS_LIMIT_EXCEEDED,
  ErrorCode.BATCH_LIMIT_EXCEEDED,
  ErrorCode.BATCHING_DISABLED,
  ErrorCode.PAYLOAD_TOO_LARGE,
  ErrorCode.INVALID_JSON,
  ErrorCode.CSRF_BLOCKED,
  ErrorCode.RATE_LIMITED,
  ErrorCode.TOO_MANY_SUBSCRIPTIONS,
  ErrorCode.INTROSPECTION_DISABLED,
  ErrorCode.OPERATION_TIMEOUT,
]);

/** Apollo's CSRF prevention answers BAD_REQUEST with this message; it gets a code of its own. */
const CSRF_MESSAGE = /Cross-Site Request Forgery/i;

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * Wraps the endpoint's formatError: refusal codes pass with their message and details (the
 * inner formatter would hide unknown codes as INTERNAL_SERVER_ERROR), a CSRF block becomes
 * CSRF_BLOCKED, everything else is the inner formatter's.
 */
export function withRefusalCodes(inner: FormatError): FormatError {
  return (formatted, error) => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && REFUSAL_CODES.has(code)) {
      const details = formatted.extensions?.details;
      return { message: formatted.message, extensions: { code, ...(details !== undefined ? { details } : {}) } };
    }
    if (code === 'BAD_REQUEST' && CSRF_MESSAGE.test(formatted.message)) {
      return { message: formatted.message, extensions: { code: ErrorCode.CSRF_BLOCKED } };
    }
    return inner(formatted, error);
  };
}
