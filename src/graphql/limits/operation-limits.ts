import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import {
  GraphQLError,
  Kind,
  TypeInfo,
  getOperationAST,
  getVariableValues,
  separateOperations,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { AppError, ErrorCode } from '../../errors';
import { adminOnlyOf, requireAdmin, type Principal } from '../access';

/**
 * The checks every operation passes after validation and before execution, over HTTP (Apollo
 * plugin) and websockets (graphql-ws onSubscribe) alike: the admin role (mutations, admin-only
 * fields), introspection, aliases, depth, cost. Each refusal has its own code. The checks that depend only on
 * the document are cached per parsed document and operation (Apollo reuses the parsed document of
 * a repeated query), so a busy client pays for them once.
 *
 * Hostile documents: every check is linear in the document's size however its fragments fan out
 * (`fragment F2 on Query { ...F1 ...F1 }` doubles per level): the depth walk memoises each
 * fragment, and the cost estimator stops at {@link MAX_EXPANDED_NODES} expanded fields, which is a
 * refusal. Any failure of a check refuses: a limit that cannot be computed is never a pass.
 */
export interface OperationLimits {
  /** Deepest field nesting, introspection included (`ofType` chains excepted). */
  readonly maxDepth: number;
  /** Highest estimated cost: 1 per field, a list's children times its `first`. */
  readonly maxCost: number;
  /** Most aliased fields in one document. */
  readonly maxAliases: number;
  /** Largest `first` (CANONQL_MAX_PAGE_SIZE): a larger one is costed at this size, and refused by the field's resolver. */
  readonly maxPageSize: number;
  /** False: `__schema` / `__type` are refused (`__typename` always works). */
  readonly introspection: boolean;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = { maxDepth: 12, maxCost: 20_000, maxAliases: 50, maxPageSize: 100, introspection: true };

export interface OperationToCheck {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operationName?: string | null | undefined;
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
  readonly principal: Principal;
}

/**
 * Fields the cost estimator expands (fragments spread where they are used) before it gives up; a
 * document beyond it is refused (COST_LIMIT_EXCEEDED). graphql-query-complexity's own default.
 */
export const MAX_EXPANDED_NODES = 10_000;

interface Verdict {
  readonly limits: OperationLimits;
  readonly schema: GraphQLSchema;
  /** The document-wide checks' refusal (introspection, aliases, depth). */
  readonly error: AppError | null;
  /** The operation's cost verdict, once computed, when no variable can change it. */
  cost?: { readonly error: AppError | null };
  costVaries?: boolean;
}

/**
 * Verdicts per parsed document (and per limits, per schema), then per operation name: a document
 * may hold a cheap and a costly operation, and each is checked on its own.
 */
const verdicts = new WeakMap<DocumentNode, Map<string, Verdict>>();

/**
 * The first limit the operation breaks, or null. Never throws: a check that fails refuses
 * (INTERNAL, logged by the endpoint's error formatter like any bug).
 */
export function checkOperation(op: OperationToCheck, limits: OperationLimits): AppError | null {
  try {
    return check(op, limits);
  } catch (error) {
    return new AppError(ErrorCode.INTERNAL, 'the operation could not be checked against the limits', { cause: error });
  }
}

function check(op: OperationToCheck, limits: OperationLimits): AppError | null {
  const operation = getOperationAST(op.document, op.operationName ?? undefined);
  if (!operation) return null; // graphql reports the unknown operation itself (execution never starts)
  const roleError = checkRole(op, operation);
  if (roleError) return roleError;

  let byOperation = verdicts.get(op.document);
  if (!byOperation) {
    byOperation = new Map();
    verdicts.set(op.document, byOperation);
  }
  const operationKey = op.operationName ?? '';
  let verdict = byOperation.get(operationKey);
  if (!verdict || verdict.limits !== limits || verdict.schema !== op.schema) {
    verdict = { limits, schema: op.schema, error: checkDocument(op.document, limits) };
    byOperation.set(operationKey, verdict);
  }
  if (verdict.error) return verdict.error;
  // Cost and page sizes depend on variables only where one feeds a `first` (a page size) or an
  // `if` (@skip/@include); otherwise the cost is as static as the rest and computed once per document.
  verdict.costVaries ??= (operation.variableDefinitions?.length ?? 0) > 0 && costUsesVariables(operation);
  if (!verdict.costVaries && verdict.cost) return verdict.cost.error;
  const result = costOf(op, operation, limits);
  // Not costed (variables that do not coerce): nothing to remember.
  if (result.cost !== null && !verdict.costVaries) verdict.cost = { error: result.error };
  return result.error;
}

/**
 * The admin role, checked before anything runs (401 without a credential, 403 with a reader's):
 * every mutation needs it, and so does a query or subscription that selects an admin-only field
 * (`adminOnlyOf`: `catalog { deadLetters }`, `schemaSubjects(includeDeleted: true)`), through
 * fragments too. A missing or insufficient credential is a property of the request, so it gets the
 * request's HTTP status whatever else the operation selects. Resolvers check again (defence in
 * depth, and for callers that execute without this check).
 */
function checkRole(op: OperationToCheck, operation: OperationDefinitionNode): AppError | null {
  if (op.principal.role === 'admin' && op.principal.authenticated) return null;
  const needed = operation.operation === 'mutation' ? 'this operation' : adminFieldOf(op, operation);
  if (needed === null) return null;
  try {
    requireAdmin(op.principal, needed);
    return null;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

/** The first admin-only field the operation selects (`Type.field`), or null. */
function adminFieldOf(op: OperationToCheck, operation: OperationDefinitionNode): string | null {
  // The operation with the fragments it spreads (transitively), each visited once.
  const own = separateOperations(op.document)[operation.name?.value ?? ''] ?? { kind: Kind.DOCUMENT, definitions: [operation] };
  const typeInfo = new TypeInfo(op.schema);
  let found: string | null = null;
  visit(
    own,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (found !== null) return false;
        const field = typeInfo.getFieldDef();
        const rule = field ? adminOnlyOf(field) : undefined;
        if (!field || !rule) return undefined;
        const where = `${typeInfo.getParentType()?.name ?? ''}.${field.name}`;
        if (rule === true) {
          found = where;
          return false;
        }
        // Coerced as execution will (a variable or a default counts); values that do not coerce are execution's to refuse.
        try {
          if (getArgumentValues(field, node, (op.variables ?? {}) as Record<string, unknown>)[rule.whenArgument] === true)
            found = `${where}(${rule.whenArgument}: true)`;
        } catch {
          // not coercible: refused by execution
        }
        return undefined;
      },
    }),
  );
  return found;
}

export function checkDocument(document: DocumentNode, limits: OperationLimits): AppError | null {
  let aliases = 0;
  let introspection: string | null = null;
  visit(document, {
    Field(node) {
      if (node.alias) aliases += 1;
      if (introspection === null && (node.name.value === '__schema' || node.name.value === '__type')) introspection = node.name.value;
    },
  });
  if (introspection !== null && !limits.introspection) {
    return new AppError(ErrorCode.INTROSPECTION_DISABLED, `introspection (${introspection as string}) is disabled on this server (CANONQL_INTROSPECTION)`);
  }
  if (aliases > limits.maxAliases) {
    return new AppError(ErrorCode.ALIAS_LIMIT_EXCEEDED, `the document has ${aliases} aliased fields; at most ${limits.maxAliases} are allowed`, {
      details: { aliases, max: limits.maxAliases },
    });
  }
  const depth = documentDepth(document);
  if (depth > limits.maxDepth) {
    return new AppError(ErrorCode.DEPTH_LIMIT_EXCEEDED, `the operation nests fields deeper than the maximum depth of ${limits.maxDepth}`, {
      details: { max: limits.maxDepth },
    });
  }
  return null;
}

/**
 * Fields along the deepest path of any operation (`{ a { b } }`: 2), fragments followed.
 * Introspection fields count: `__schema { types { fields { type { fields …` is the classic depth
 * bomb (graphql-depth-limit skips `__` fields, hence this walk). `ofType` does not count: the
 * standard introspection query nests it to unwrap list and non-null types, and its depth is
 * bounded by the schema's wrappers. Each fragment's depth is computed once (a fragment's depth
 * does not depend on where it is spread), so the walk is linear in the document's size.
 */
export function documentDepth(document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const known = new Map<string, number>();
  const visiting = new Set<string>();
  const fragmentDepth = (name: string): number => {
    const memo = known.get(name);
    if (memo !== undefined) return memo;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return 0; // unknown fragments and cycles are validation errors already
    visiting.add(name);
    const depth = depthOf(fragment.selectionSet);
    visiting.delete(name);
    known.set(name, depth);
    return depth;
  };
  const depthOf = (set: SelectionSetNode): number => {
    let deepest = 0;
    for (const selection of set.selections) {
      let depth: number;
      if (selection.kind === Kind.FIELD) {
        depth = (selection.name.value === 'ofType' ? 0 : 1) + (selection.selectionSet ? depthOf(selection.selectionSet) : 0);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        depth = depthOf(selection.selectionSet);
      } else {
        depth = fragmentDepth(selection.name.value);
      }
      deepest = Math.max(deepest, depth);
    }
    return deepest;
  };
  let deepest = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) deepest = Math.max(deepest, depthOf(definition.selectionSet));
  }
  return deepest;
}

/**
 * Estimated cost: every field 1 plus its children; a field with a `first` argument (lists,
 * connections, histories) costs its children `first` times, because that is how many the store
 * may return. A `first` beyond the page size is costed at the page size: its resolver refuses it
 * as a field error (BAD_USER_INPUT with the field's path), like any argument value outside its
 * rules (a cursor, a filter operand).
 */
function costOf(op: OperationToCheck, operation: OperationDefinitionNode, limits: OperationLimits): { cost: number | null; error: AppError | null } {
  // Variables that do not coerce: execution refuses them (BAD_USER_INPUT) before any resolver
  // runs, so there is nothing to cost. Every other failure of the estimator is a refusal.
  const coerced = getVariableValues(op.schema, operation.variableDefinitions ?? [], (op.variables ?? {}) as Record<string, unknown>);
  if (coerced.errors) return { cost: null, error: null };
  const pageEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
    if (!('first' in args)) return undefined;
    // A page its resolver refuses (BAD_USER_INPUT, a field error) is costed at the largest allowed.
    const first: unknown = args.first;
    const page = typeof first === 'number' && Number.isInteger(first) && first >= 0 && first <= limits.maxPageSize ? first : limits.maxPageSize;
    return 1 + page * Math.max(1, childComplexity);
  };
  let cost: number;
  try {
    cost = getComplexity({
      schema: op.schema,
      query: op.document,
      ...(op.variables ? { variables: op.variables as Record<string, unknown> } : {}),
      ...(op.operationName ? { operationName: op.operationName } : {}),
      estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })],
      maxQueryNodes: MAX_EXPANDED_NODES,
    });
  } catch (error) {
    return {
      cost: Number.POSITIVE_INFINITY,
      error: new AppError(
        ErrorCode.COST_LIMIT_EXCEEDED,
        `the operation's cost cannot be estimated within ${MAX_EXPANDED_NODES} fields once its fragments are expanded`,
        {
          cause: error,
          details: { maxExpandedFields: MAX_EXPANDED_NODES, max: limits.maxCost },
        },
      ),
    };
  }
  if (cost > limits.maxCost) {
    return {
      cost,
      error: new AppError(
        ErrorCode.COST_LIMIT_EXCEEDED,
        `the operation's estimated cost ${cost} is above the maximum of ${limits.maxCost} (lists cost their children times \`first\`)`,
        {
          details: { cost, max: limits.maxCost },
        },
      ),
    };
  }
  return { cost, error: null };
}

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

/** True when a variable is the value (or part of it) of a `first` or an `if` argument. */
function costUsesVariables(operation: OperationDefinitionNode): boolean {
  let uses = false;
  visit(operation, {
    Argument(node) {
      if (node.name.value !== 'first' && node.name.value !== 'if') return false;
      visit(node.value, {
        Variable() {
          uses = true;
        },
      });
      return false;
    },
  });
  return uses;
}
