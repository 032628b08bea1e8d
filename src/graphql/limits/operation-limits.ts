import {
  Kind,
  TypeInfo,
  getOperationAST,
  separateOperations,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { AppError, ErrorCode } from '../../errors';
import { valueDepth } from '../../ingestion/debezium/decode-limits';
import { adminOnlyOf, requireAdmin, type AdminOnly, type Principal } from '../access';
import { checkDocument, type DocumentLimits } from './document-limits';
import { costOf, costUsesVariables, type CostLimits } from './operation-cost';

/**
 * The checks every operation passes after validation and before execution, over HTTP (Apollo
 * plugin) and websockets (graphql-ws onSubscribe) alike: the admin role (mutations, admin-only
 * fields), introspection, aliases, depth, cost. Each refusal has its own code. The checks that depend only on
 * the document are cached per parsed document and operation (Apollo reuses the parsed document of
 * a repeated query), so a busy client pays for them once; so is where the operation selects
 * admin-only fields, whose arguments alone are read again for each request's variables.
 *
 * Hostile documents: every check is linear in the document's size however its fragments fan out
 * (`fragment F2 on Query { ...F1 ...F1 }` doubles per level): the depth walk memoises each
 * fragment (document-limits.ts), and the cost estimator stops at a bound of expanded fields, which
 * is a refusal (operation-cost.ts). Any failure of a check refuses: a limit that cannot be
 * computed is never a pass. How a refusal reaches the client: refusal.ts.
 */
export interface OperationLimits extends DocumentLimits, CostLimits {}

/**
 * Deepest nesting of objects and lists in an operation's variables (the variables object is 1).
 * graphql-js coerces a variable recursively: a `where` nested 1,000 deep overflowed the stack
 * there, which reached the client as INTERNAL_SERVER_ERROR (HTTP) or closed the socket 4500
 * (graphql-ws). 100 is MongoDB's nesting limit, and a `where` at its own bound
 * (MAX_WHERE_NESTING, 32) takes 67 levels.
 */
export const MAX_VARIABLES_DEPTH = 100;

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
  /** The admin-only fields the operation selects (checked per request against its variables), once collected. */
  adminFields?: AdminField[];
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
  if (op.variables && valueDepth(op.variables, MAX_VARIABLES_DEPTH) > MAX_VARIABLES_DEPTH) {
    return new AppError(ErrorCode.BAD_USER_INPUT, `the variables nest objects and lists deeper than ${MAX_VARIABLES_DEPTH} levels`, {
      details: { maxDepth: MAX_VARIABLES_DEPTH },
    });
  }
  const operation = getOperationAST(op.document, op.operationName ?? undefined);
  if (!operation) return null; // graphql reports the unknown operation itself (execution never starts)

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
  const roleError = checkRole(op, operation, verdict);
  if (roleError) return roleError;
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
function checkRole(op: OperationToCheck, operation: OperationDefinitionNode, verdict: Verdict): AppError | null {
  if (op.principal.role === 'admin' && op.principal.authenticated) return null;
  let needed: string | null = 'this operation';
  if (operation.operation !== 'mutation') {
    verdict.adminFields ??= adminFieldsOf(op, operation);
    needed = firstAdminField(verdict.adminFields, op.variables);
  }
  if (needed === null) return null;
  try {
    requireAdmin(op.principal, needed);
    return null;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

/** An admin-only field where an operation selects it: always (`rule` true), or when an argument is true. */
interface AdminField {
  /** `Type.field` */
  readonly where: string;
  readonly rule: AdminOnly;
  readonly field: GraphQLField<unknown, unknown>;
  readonly node: FieldNode;
}

/**
 * The admin-only fields the operation selects, in document order, through the fragments it
 * spreads (transitively), each visited once; below a field that always needs the role nothing is
 * collected (the first one found decides). The same for every request of one parsed document and
 * schema, so it is collected once (in the verdict); only the arguments are read per request.
 */
function adminFieldsOf(op: OperationToCheck, operation: OperationDefinitionNode): AdminField[] {
  const own = separateOperations(op.document)[operation.name?.value ?? ''] ?? { kind: Kind.DOCUMENT, definitions: [operation] };
  const typeInfo = new TypeInfo(op.schema);
  const found: AdminField[] = [];
  let always = false;
  visit(
    own,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (always) return false;
        const field = typeInfo.getFieldDef();
        const rule = field ? adminOnlyOf(field) : undefined;
        if (!field || !rule) return undefined;
        found.push({ where: `${typeInfo.getParentType()?.name ?? ''}.${field.name}`, rule, field, node });
        if (rule === true) {
          always = true;
          return false;
        }
        return undefined;
      },
    }),
  );
  return found;
}

/** The first admin-only field (`Type.field`, or `Type.field(argument: true)`) these variables make the operation select, or null. */
function firstAdminField(fields: readonly AdminField[], variables: OperationToCheck['variables']): string | null {
  for (const { where, rule, field, node } of fields) {
    if (rule === true) return where;
    // Coerced as execution will (a variable or a default counts); values that do not coerce are execution's to refuse.
    try {
      if (getArgumentValues(field, node, (variables ?? {}) as Record<string, unknown>)[rule.whenArgument] === true)
        return `${where}(${rule.whenArgument}: true)`;
    } catch {
      // not coercible: refused by execution
    }
  }
  return null;
}
