import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  execute,
  GraphQLError,
  Kind,
  type Source,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type TypeNode,
  isLeafType,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { MAX_CACHED_DOCUMENT_CHARS } from './limits/document-store';

/**
 * Query operations executed by code compiled once per document (graphql-jit) instead of
 * graphql-js walking the document on every request. Apollo Server hands its gateway's executor
 * the parsed, validated document after every plugin (limits, admin fields) accepted it.
 *
 * - Only `query` operations of documents Apollo's document store keeps (the same parsed object
 *   comes back for the same text) are compiled, on their second execution: a document seen once
 *   costs no compilation. Mutations, documents that do not compile and everything else run on
 *   graphql-js's `execute`, as without this executor.
 * - Only operations whose variables are all scalars or enums (lists and non-null of them
 *   included): graphql-jit generates the coercion of an input object variable inline, and for a
 *   recursive input type (`…Where` with `and`/`or`) that never ends (its open issue #81); input
 *   objects written in the document itself compile.
 * - Variables that do not coerce: graphql-jit answers before any resolver ran, without the
 *   variable's node on the error, which Apollo needs to answer BAD_USER_INPUT; such a request is
 *   answered by graphql-js's `execute` instead, so the answer is graphql-js's to the byte.
 * - Field errors: graphql-jit's own error objects have no `extensions` unless the resolver's
 *   error had some (Apollo and canonql's error formatting read `extensions.code` of every error),
 *   so each is answered as the graphql-js `GraphQLError` that graphql-js would have made: same
 *   message, locations, path, original error and extensions.
 * - At most `maxCompiled` compiled documents per schema, the least recently used dropped first.
 *   A schema change starts an empty cache (the compiled code is bound to the schema it was made for).
 */
export const MAX_COMPILED_DOCUMENTS = 500;

export interface CompiledExecutor {
  readonly executor: GatewayExecutor;
  /** Compiled documents held now (for tests). */
  size(): number;
}

type Entry = CompiledQuery | null;

export function compiledExecutor(options: { maxCompiled?: number; compileAfter?: number } = {}): CompiledExecutor {
  const maxCompiled = options.maxCompiled ?? MAX_COMPILED_DOCUMENTS;
  // Executions of a document on graphql-js before it is compiled (0: compiled on its first).
  const compileAfter = options.compileAfter ?? 1;
  let cacheSchema: GraphQLSchema | undefined;
  // Document → operation name ('' for the only one) → compiled query, or null where it did not compile.
  let compiled = new Map<DocumentNode, Map<string, Entry>>();
  let seen = new WeakSet<DocumentNode>();

  const compiledFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): Entry | undefined => {
    if (schema !== cacheSchema) {
      cacheSchema = schema;
      compiled = new Map();
      seen = new WeakSet();
    }
    const key = operationName ?? '';
    const operations = compiled.get(document);
    if (operations) {
      // Most recently used last: Map iteration order is insertion order.
      compiled.delete(document);
      compiled.set(document, operations);
      if (operations.has(key)) return operations.get(key);
    } else if (compileAfter > 0 && !seen.has(document)) {
      seen.add(document);
      return undefined;
    }
    const result = compileQuery(schema, document, operationName);
    const entry = isCompiledQuery(result) ? result : null;
    const entries = operations ?? new Map<string, Entry>();
    entries.set(key, entry);
    if (!operations) {
      compiled.set(document, entries);
      if (compiled.size > maxCompiled) compiled.delete(compiled.keys().next().value as DocumentNode);
    }
    return entry;
  };

  const executor: GatewayExecutor = async (requestContext: GatewayGraphQLRequestContext) => {
    const { schema, document, operation, context } = requestContext;
    const variables = requestContext.request.variables;
    const operationName = requestContext.request.operationName ?? undefined;
    if (isCompilable(document, operation, schema)) {
      const query = compiledFor(schema, document, operationName);
      if (query) {
        const result = (await query.query(undefined, context, variables)) as ExecutionResult;
        // No data at all: the variables did not coerce, and nothing was executed (see above).
        if (result.data !== undefined)
          return result.errors ? { ...result, errors: result.errors.map((error) => asGraphqlJsError(error, document.loc?.source)) } : result;
      }
    }
    return execute({ schema, document, contextValue: context, variableValues: variables, operationName });
  };

  return { executor, size: () => compiled.size };
}

function isCompilable(document: DocumentNode, operation: OperationDefinitionNode | undefined, schema: GraphQLSchema): boolean {
  if (operation?.operation !== 'query' || (document.loc?.end ?? Number.POSITIVE_INFINITY) > MAX_CACHED_DOCUMENT_CHARS) return false;
  return (operation.variableDefinitions ?? []).every((definition) => isLeafVariable(definition.type, schema));
}

function isLeafVariable(type: TypeNode, schema: GraphQLSchema): boolean {
  if (type.kind !== Kind.NAMED_TYPE) return isLeafVariable(type.type, schema);
  const named = schema.getType(type.name.value);
  return named !== undefined && isLeafType(named);
}

/** A graphql-jit field error as graphql-js makes it (`locatedError`): locations from the document's source, `extensions` always an object. */
function asGraphqlJsError(error: GraphQLError, source: Source | undefined): GraphQLError {
  const positions = source && error.locations ? error.locations.map((location) => offsetOf(source.body, location.line, location.column)) : undefined;
  const original = error.originalError ?? undefined;
  return new GraphQLError(error.message, {
    ...(positions ? { source, positions } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(original ? { originalError: original } : {}),
    ...(error.extensions ? { extensions: error.extensions } : {}),
  });
}

/** The character offset of a 1-based line and column, as graphql-js's `getLocation` counts lines (\r\n, \n or \r). */
function offsetOf(body: string, line: number, column: number): number {
  let offset = 0;
  for (let current = 1; current < line; current++) {
    const next = body.slice(offset).search(/\r\n|[\n\r]/);
    if (next < 0) break;
    offset += next + (body.startsWith('\r\n', offset + next) ? 2 : 1);
  }
  return offset + column - 1;
}
