import type http from 'node:http';
import { GraphQLError, parse, validate, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { AppError, ErrorCode } from '../../errors';
import { literalInputError } from '../literal-input-error';
import type { RateLimiter } from './rate-limit';
import type { AccessPolicy, Principal } from '../access';
import type { ApiLimits } from './api-limits';
import { PARSE_OPTIONS } from './document-limits';
import { createDocumentStore } from './document-store';
import { checkOperation } from './operation-limits';
import { toGraphQLError } from './refusal';

/**
 * The websocket side of authentication and limits, as graphql-ws hooks.
 *
 * - `connection_init`: the credential in its payload (`{ authorization: 'Bearer …' }`) is
 *   verified; a bad or missing-but-required one closes the socket with 4401, a token without a
 *   canonql role with 4403. graphql-ws itself closes 4401 for a subscribe before init, 4409 for a
 *   duplicate operation id, 4429 for a second init, 4408 when no init comes in time, 4400 for an
 *   unreadable message.
 * - `subscribe`: too many operations on the socket, the rate limit, parse, validation and the
 *   operation limits each answer an `error` message for that operation id; the socket stays open.
 *
 * A document that parsed and validated is kept per schema (bounded, as Apollo keeps the HTTP
 * side's): a thousand clients subscribing with the same text then share one syntax tree, which a
 * subscription holds for its whole life (about 5 KiB each, half of an idle subscription's heap
 * before), and skip parsing and validating it again. The operation limits still run every time:
 * they depend on the variables and the principal.
 */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
  principal?: Principal;
}

export type WsContext = Context<Record<string, unknown>, WsExtra>;

export const WS_CLOSE_UNAUTHORIZED = 4401;
export const WS_CLOSE_FORBIDDEN = 4403;

export function wsGuards(options: { access: AccessPolicy; limits: ApiLimits; rateLimiter: RateLimiter; schema: () => GraphQLSchema }) {
  const { access, limits, rateLimiter } = options;
  const validDocuments = new WeakMap<GraphQLSchema, ReturnType<typeof createDocumentStore>>();
  const documentsOf = (schema: GraphQLSchema) => {
    let store = validDocuments.get(schema);
    if (!store) validDocuments.set(schema, (store = createDocumentStore()));
    return store;
  };
  return {
    async onConnect(ctx: WsContext): Promise<boolean> {
      try {
        ctx.extra.principal = await access.authenticate(authorizationParam(ctx.connectionParams));
        return true;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const code = error.code === ErrorCode.FORBIDDEN ? WS_CLOSE_FORBIDDEN : WS_CLOSE_UNAUTHORIZED;
        // Closing first sets our code; graphql-ws's own close after `false` is then a no-op.
        ctx.extra.socket.close(code, closeReason(`${error.code}: ${error.message}`));
        return false;
      }
    },

    async onSubscribe(ctx: WsContext, _id: string, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> {
      const principal = ctx.extra.principal!;
      // This operation is already registered under its id, hence `>`.
      const open = Object.keys(ctx.subscriptions).length;
      if (open > limits.maxSubscriptionsPerConnection) {
        return [
          toGraphQLError(
            new AppError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `at most ${limits.maxSubscriptionsPerConnection} operations may be open on one connection`, {
              details: { max: limits.maxSubscriptionsPerConnection },
            }),
          ),
        ];
      }
      const key = principal.id ?? `ip:${ctx.extra.request.socket.remoteAddress ?? 'unknown'}`;
      const taken = rateLimiter.take(key);
      if (!taken.allowed) {
        const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
        return [
          toGraphQLError(
            new AppError(ErrorCode.RATE_LIMITED, `too many operations for this credential; retry after ${seconds} s`, {
              details: { retryAfterSeconds: seconds },
            }),
          ),
        ];
      }
      const schema = options.schema();
      const documents = documentsOf(schema);
      let document = await documents.get(payload.query);
      if (!document) {
        try {
          document = parse(payload.query, PARSE_OPTIONS);
        } catch (error) {
          return [new GraphQLError(error instanceof Error ? error.message : 'unreadable query', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const parsed = document;
        const errors = validate(schema, parsed);
        if (errors.length > 0) {
          return errors.map(
            (e) => literalInputError(e, parsed) ?? new GraphQLError(e.message, { nodes: e.nodes ?? null, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
          );
        }
        await documents.set(payload.query, document);
      }
      const refused = checkOperation({ schema, document, operationName: payload.operationName, variables: payload.variables, principal }, limits);
      if (refused) return [toGraphQLError(refused)];
      return {
        schema,
        document,
        ...(payload.operationName ? { operationName: payload.operationName } : {}),
        ...(payload.variables ? { variableValues: payload.variables } : {}),
      };
    },
  };
}

/** The credential a graphql-ws client sends in `connection_init` (`{ authorization: 'Bearer …' }`). */
export function authorizationParam(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/** A close reason is at most 123 bytes (RFC 6455). */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= 123
    ? text
    : `${bytes
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}...`;
}
