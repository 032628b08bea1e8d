import type { IncomingMessage } from 'node:http';
import { HeaderMap, type ApolloServerPlugin, type HTTPGraphQLResponse } from '@apollo/server';
import {
  execute,
  getOperationAST,
  isLeafType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type TypeNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
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
 *
 * The operation runs as code compiled for it (graphql-jit), made on its first run here (the
 * document's second: Apollo ran the first) and kept with the document, instead of graphql-js
 * walking the document and completing every field value on every request: a `metric(...)` answer
 * of 1,000 rows is 7,000 leaf values. The compiled code calls the same resolvers and the same
 * scalars' `serialize`, and builds the same `data`; only an answer without errors is sent from
 * here, so graphql-jit's error objects (no `extensions` unless the resolver's error had some,
 * variable errors without their node) never reach a client. Left to graphql-js's `execute`: an
 * operation with a variable of an input object type (graphql-jit compiles the coercion of a
 * recursive one, `…Where` with `and`/`or`, without end: its issue #81; input objects written in
 * the document compile) and a document graphql-jit does not compile.
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
/**
 * Compiled code grows with its query, about half a KiB of heap per character of query text
 * (measured on the served schema: 89 KiB for a 173-character `order(id)`, 0.93 MiB for 10 aliases
 * of it in 1,700 characters, 4.8 MiB for 50 aliases in 8,600), and so does compiling (3, 15 and
 * 83 ms). A longer document runs by graphql-js: one query within the operation limits must not
 * cost megabytes or stall the process for tens of milliseconds.
 */
export const MAX_COMPILED_DOCUMENT_CHARS = 2000;
/** The query characters whose compiled code is kept at once, least recently used dropped first: about 18 MiB of heap at most. */
export const MAX_COMPILED_CHARS = 32_000;

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
  /** Run operations as compiled code (the default) or always by graphql-js's `execute`. */
  readonly compile?: boolean;
}): AcceptedQueries {
  const documents = new LRUCache<string, Accepted>({ max: options.maxDocuments ?? MAX_ACCEPTED_DOCUMENTS });
  const compile = options.compile ?? true;
  // Which documents hold compiled code, bounded by their query characters; one dropped loses its code (compiled again on its next run).
  const holders = new LRUCache<Accepted, true>({
    maxSize: MAX_COMPILED_CHARS,
    sizeCalculation: (_held, accepted) => accepted.source.length,
    dispose: (_held, accepted) => {
      accepted.compiled = undefined;
    },
  });
  const mediaTypes = new Map<string, string | null>();
  let stopped = false;

  const plugin: ApolloServerPlugin<ApiContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ source, request, document, schema }) {
          // Only a document parsed from this very query text (not a persisted query's).
          if (stopped || request.query !== source || source.length > MAX_CACHED_DOCUMENT_CHARS) return;
          // Known already (a query that failed here runs through Apollo again): its compiled code is kept.
          const known = documents.peek(source);
          if (known?.schema === schema && known.document === document) return;
          documents.set(source, { source, schema, document });
        },
      };
    },
  };

  /** The operation's answer body when it passes the limits and executes without errors; null otherwise. */
  const run = async (
    accepted: Accepted,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | null | undefined,
    operationName: string | undefined,
    context: () => Promise<ApiContext>,
  ) => {
    const { schema, document } = accepted;
    const contextValue = await context();
    const started = process.hrtime.bigint();
    const variableValues = variables ?? undefined;
    const refused = checkOperation({ schema, document, operationName, variables: variableValues, principal: contextValue.principal }, options.limits);
    if (refused) return null;
    let compiled: CompiledQuery | null = null;
    if (compile && accepted.source.length <= MAX_COMPILED_DOCUMENT_CHARS) {
      if (!holders.get(accepted)) holders.set(accepted, true);
      compiled = compiledOf(accepted, operation, operationName);
    }
    const result: ExecutionResult = compiled
      ? await compiled.query(undefined, contextValue, variableValues)
      : await execute({ schema, document, contextValue, variableValues, operationName });
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
      const operation = getOperationAST(accepted.document, operationName ?? undefined);
      if (operation?.operation !== 'query') return null;
      const type = mediaTypeFor(mediaTypes, req.headers.accept);
      if (type === null) return null;

      // Anything that throws here (a context that cannot be made, a result that cannot be
      // serialized) is Apollo's to answer, the way it answers it.
      let answered: { contextValue: ApiContext; started: bigint; string: string } | null;
      try {
        answered = await run(accepted, operation, variables as Record<string, unknown> | null | undefined, operationName ?? undefined, context);
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

interface Accepted {
  readonly source: string;
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  /** By operation name ('' for none): the compiled operation, or null where it is left to graphql-js. */
  compiled?: Map<string, CompiledQuery | null>;
}

/** The operation's compiled code, made on its first run (null: run it with graphql-js). */
function compiledOf(accepted: Accepted, operation: OperationDefinitionNode, operationName: string | undefined): CompiledQuery | null {
  // Keys are names of the document's own operations (getOperationAST found this one), so few.
  accepted.compiled ??= new Map();
  const key = operationName ?? '';
  let compiled = accepted.compiled.get(key);
  if (compiled === undefined) {
    compiled = null;
    if ((operation.variableDefinitions ?? []).every((definition) => isLeafVariable(definition.type, accepted.schema))) {
      const result = compileQuery(accepted.schema, accepted.document, operationName);
      if (isCompiledQuery(result)) compiled = result;
    }
    accepted.compiled.set(key, compiled);
  }
  return compiled;
}

/** A variable of a scalar or enum type (in lists and non-null or not), which graphql-jit coerces as graphql-js does. */
function isLeafVariable(type: TypeNode, schema: GraphQLSchema): boolean {
  if (type.kind !== Kind.NAMED_TYPE) return isLeafVariable(type.type, schema);
  const named = schema.getType(type.name.value);
  return named !== undefined && isLeafType(named);
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
