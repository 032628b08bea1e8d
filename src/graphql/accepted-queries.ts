import type { IncomingMessage } from 'node:http';
import { HeaderMap, type ApolloServerPlugin, type HTTPGraphQLResponse } from '@apollo/server';
import { execute, getOperationAST, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import Negotiator from 'negotiator';
import type { ApiContext } from './context';
import { MAX_CACHED_DOCUMENT_CHARS } from './limits/document-store';
import { checkOperation, type OperationLimits } from './limits/operation-limits';

/**
 * The plain JSON POST of a query Apollo Server has already accepted (parsed and validated against
 * the schema being served), answered without Apollo's per-request pipeline when nothing about it
 * can differ from Apollo's answer: the operation limits pass for this request's caller and
 * variables, and the operation executes without an error. Then the answer is the one Apollo gives
 * a successful query — status 200, `{"data":…}` and a newline, the media type it negotiates from
 * the Accept header, the endpoint's fixed headers (`cache-control: no-store`) — and the operation
 * is recorded as Apollo's plugins record it (`onSuccess`: latency histogram, debug line).
 *
 * Everything else returns null and goes through Apollo, which answers it as before: a document not
 * seen yet or served under another schema, a mutation or subscription, `extensions` (persisted
 * queries), a batch, an Accept header Apollo refuses, a limit refusal, variables that do not
 * coerce, and any execution error (the query runs again through Apollo, which formats, codes and
 * logs the errors; queries only read, so running one twice changes nothing but its cost).
 */
export interface AcceptedQueries {
  /** Records each document Apollo accepted (after validation, before the limits run). */
  readonly plugin: ApolloServerPlugin<ApiContext>;
  /** Apollo's answer to the request, or null: the request goes to Apollo. */
  answer(body: unknown, req: IncomingMessage, context: () => Promise<ApiContext>): Promise<HTTPGraphQLResponse | null>;
  /** From now on every request goes to Apollo (it refuses them once it stops). */
  stop(): void;
}

/** Documents kept, least recently used dropped (each at most {@link MAX_CACHED_DOCUMENT_CHARS} characters of query). */
export const MAX_ACCEPTED_DOCUMENTS = 1000;

export function acceptedQueries(options: {
  /** The schema Apollo serves now (the gateway's). */
  readonly schema: () => GraphQLSchema;
  /** The limits Apollo's limits plugin checks: the same object, so their per-document verdicts are shared. */
  readonly limits: OperationLimits;
  /** Headers Apollo's plugins add to every answer, in the order they add them. */
  readonly headers: readonly (readonly [string, string])[];
  /** What the plugins do after a successful operation (the metrics plugin's record and log line). */
  readonly onSuccess?: (context: ApiContext, operationName: string | undefined, seconds: number) => void;
  readonly maxDocuments?: number;
}): AcceptedQueries {
  const documents = new LRUCache<string, { schema: GraphQLSchema; document: DocumentNode }>({ max: options.maxDocuments ?? MAX_ACCEPTED_DOCUMENTS });
  const mediaTypes = new Map<string, string | null>();
  let stopped = false;

  const plugin: ApolloServerPlugin<ApiContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ source, request, document, schema }) {
          // Only a document parsed from this very query text (not a persisted query's).
          if (stopped || request.query !== source || source.length > MAX_CACHED_DOCUMENT_CHARS) return;
          documents.set(source, { schema, document });
        },
      };
    },
  };

  /** The operation's answer body when it passes the limits and executes without errors; null otherwise. */
  const run = async (
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Record<string, unknown> | null | undefined,
    operationName: string | undefined,
    context: () => Promise<ApiContext>,
  ) => {
    const contextValue = await context();
    const started = process.hrtime.bigint();
    const variableValues = variables ?? undefined;
    const refused = checkOperation({ schema, document, operationName, variables: variableValues, principal: contextValue.principal }, options.limits);
    if (refused) return null;
    const result = await execute({ schema, document, contextValue, variableValues, operationName });
    if (result.errors !== undefined || result.data === undefined) return null;
    return { contextValue, started, string: `${JSON.stringify({ data: result.data })}\n` };
  };

  return {
    plugin,
    stop() {
      stopped = true;
      documents.clear();
    },
    async answer(body, req, context) {
      if (stopped || typeof body !== 'object' || body === null || Array.isArray(body)) return null;
      const { query, variables, operationName, extensions } = body as Record<string, unknown>;
      if (typeof query !== 'string' || extensions !== undefined) return null;
      if (variables !== undefined && variables !== null && !isRecord(variables)) return null;
      if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
      const accepted = documents.get(query);
      if (!accepted || accepted.schema !== options.schema()) return null;
      const { schema, document } = accepted;
      const operation = getOperationAST(document, operationName ?? undefined);
      if (operation?.operation !== 'query') return null;
      const type = mediaTypeFor(mediaTypes, req.headers.accept);
      if (type === null) return null;

      // Anything that throws here (a context that cannot be made, a result that cannot be
      // serialized) is Apollo's to answer, the way it answers it.
      let answered: { contextValue: ApiContext; started: bigint; string: string } | null;
      try {
        answered = await run(schema, document, variables as Record<string, unknown> | null | undefined, operationName ?? undefined, context);
      } catch {
        return null;
      }
      if (!answered) return null;
      const seconds = Number(process.hrtime.bigint() - answered.started) / 1e9;
      // The name Apollo's plugins see: the operation's, else the request's.
      options.onSuccess?.(answered.contextValue, operation.name?.value || (operationName ?? undefined), seconds);
      const headers = new HeaderMap(options.headers.map(([name, value]) => [name, value]));
      headers.set('content-type', type);
      return { status: 200, headers, body: { kind: 'complete', string: answered.string } };
    },
  };
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const APPLICATION_JSON = 'application/json; charset=utf-8';
/** The media types Apollo Server answers a single result in, in its order of preference. */
const SINGLE_RESULT_TYPES = [APPLICATION_JSON, 'application/graphql-response+json; charset=utf-8', 'application/json; callbackSpec=1.0; charset=utf-8'];
const MAX_ACCEPT_VALUES = 100;

/** Apollo's choice of media type for a single result (null: it answers 406), remembered per Accept value. */
function mediaTypeFor(known: Map<string, string | null>, accept: string | undefined): string | null {
  if (!accept) return APPLICATION_JSON;
  let type = known.get(accept);
  if (type === undefined) {
    type = new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_TYPES) ?? null;
    if (known.size < MAX_ACCEPT_VALUES) known.set(accept, type);
  }
  return type;
}
