import {
  Kind,
  TypeInfo,
  getOperationAST,
  separateOperations,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { AppError, ErrorCode } from '../../errors';
import { adminOnlyOf, requireAdmin, type Principal } from '../access';
import { checkDocument, type DocumentLimits } from './document-limits';
import { costOf, costUsesVariables, type CostLimits } from './operation-cost';

/**
 * The checks every operation passes after validation and before execution, over HTTP (Apollo
 * plugin) and websockets (graphql-ws onSubscribe) alike: the admin role (mutations, admin-only
 * fields), introspection, aliases, depth, cost. Each refusal has its own code. The checks that depend only on
 * the document are cached per parsed document and operation (Apollo reuses the parsed document of
 * a repeated query), so a busy client pays for them once.
 *
 * Hostile documents: every check is linear in the document's size however its fragments fan out
 * (`fragment F2 on Query { ...F1 ...F1 }` doubles per level): the depth walk memoises each
 * fragment (document-limits.ts), and the cost estimator stops at a bound of expanded fields, which
 * is a refusal (operation-cost.ts). Any failure of a check refuses: a limit that cannot be
 * computed is never a pass. How a refusal reaches the client: refusal.ts.
 */
export interface OperationLimits extends DocumentLimits, CostLimits {}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = { maxDepth: 12, maxCost: 20_000, maxAliases: 50, maxPageSize: 100, introspection: true };

export interface OperationToCheck {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operationName?: string | null | undefined;
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
  readonly principal: Principal;
}

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
