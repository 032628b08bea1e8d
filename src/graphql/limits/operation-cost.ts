import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { getVariableValues, visit, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { AppError, ErrorCode } from '../../errors';

/** The cost limits of an operation (with operation-limits.ts's other limits, OperationLimits). */
export interface CostLimits {
  /** Highest estimated cost: 1 per field, a list's children times its `first`. */
  readonly maxCost: number;
  /** Largest `first` (CANONQL_MAX_PAGE_SIZE): a larger one is costed at this size, and refused by the field's resolver. */
  readonly maxPageSize: number;
}

/** What costing reads of an operation to check. */
interface CostedOperation {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operationName?: string | null | undefined;
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/**
 * Fields the cost estimator expands (fragments spread where they are used) before it gives up; a
 * document beyond it is refused (COST_LIMIT_EXCEEDED). graphql-query-complexity's own default.
 */
export const MAX_EXPANDED_NODES = 10_000;

/**
 * Estimated cost: every field 1 plus its children; a field with a `first` argument (lists,
 * connections, histories) costs its children `first` times, because that is how many the store
 * may return. A `first` beyond the page size is costed at the page size: its resolver refuses it
 * as a field error (BAD_USER_INPUT with the field's path), like any argument value outside its
 * rules (a cursor, a filter operand).
 */
export function costOf(op: CostedOperation, operation: OperationDefinitionNode, limits: CostLimits): { cost: number | null; error: AppError | null } {
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

/** True when a variable is the value (or part of it) of a `first` or an `if` argument. */
export function costUsesVariables(operation: OperationDefinitionNode): boolean {
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
