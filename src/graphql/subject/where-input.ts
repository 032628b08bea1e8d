import {
  GraphQLBoolean,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLString,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
} from 'graphql';
import type { FieldModel, ScalarKind } from '../../catalog/field-model';
import { fieldName, nestedTypeName } from '../naming';
import { SCALAR_TYPES, type EnumTypes } from './field-types';

/**
 * The `where` input of a subject (`OrderWhere`): a filter per scalar or enum field
 * (`StringFilter`, `OrderStatusFilter`), a nested `where` per object field, `id`, and `and`/`or`
 * at the top. Scalar filters are shared by every subject of one schema build (`filters`, one
 * instance per name). What each operator means: where-filter.ts, which compiles this input.
 */
type FilterOp = 'eq' | 'ne' | 'in' | 'lt' | 'lte' | 'gt' | 'gte' | 'contains' | 'exists' | 'isNull';

/** Filter operators per scalar: every comparison compares by value (order keys, values/order-key.ts). */
const FILTER_OPS: Record<ScalarKind, readonly FilterOp[]> = {
  String: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'contains', 'exists', 'isNull'],
  Int: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  Long: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  Float: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  Boolean: ['eq', 'ne', 'exists', 'isNull'],
  DateTime: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  Decimal: ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'exists', 'isNull'],
  JSON: ['exists', 'isNull'],
};
const ID_OPS: readonly FilterOp[] = ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte'];
const ENUM_OPS: readonly FilterOp[] = ['eq', 'ne', 'in', 'exists', 'isNull'];

const OP_DESCRIPTIONS: Record<FilterOp, string> = {
  eq: 'Equal by value ("12.5" equals "12.50"; a DateTime equals the same instant in another offset). A null or absent field equals nothing; `eq: null` means `isNull: true`.',
  ne: 'Not equal by value; a null or absent field matches. `ne: null` means `isNull: false`.',
  in: 'Equal by value to one of the list.',
  lt: 'Less than, by value; null and absent never match.',
  lte: 'Less than or equal, by value; null and absent never match.',
  gt: 'Greater than, by value; null and absent never match.',
  gte: 'Greater than or equal, by value; null and absent never match.',
  exists: 'true: the field is present in the entity (its value may be null); false: it is absent.',
  isNull: 'true: the field has no value (null or absent); false: it has one.',
  contains: 'Substring match (case-sensitive).',
};

type ScalarFilters = Map<string, GraphQLInputObjectType>;

export function whereInput(typeName: string, fields: readonly FieldModel[], filters: ScalarFilters, enumTypes: EnumTypes): GraphQLInputObjectType {
  const where: GraphQLInputObjectType = new GraphQLInputObjectType({
    name: `${typeName}Where`,
    fields: () => ({
      id: { type: scalarFilter(filters, 'ID', GraphQLID, ID_OPS) },
      ...fieldFilters(typeName, fields, filters, enumTypes),
      and: { type: new GraphQLList(new GraphQLNonNull(where)) },
      or: { type: new GraphQLList(new GraphQLNonNull(where)) },
    }),
  });
  return where;
}

/** The `where` of a nested object field (`OrderShippingWhere`): its fields only. */
function nestedWhereInput(typeName: string, fields: readonly FieldModel[], filters: ScalarFilters, enumTypes: EnumTypes): GraphQLInputObjectType {
  return new GraphQLInputObjectType({ name: `${typeName}Where`, fields: () => fieldFilters(typeName, fields, filters, enumTypes) });
}

/** One input per filterable field; lists are not filterable. */
function fieldFilters(owner: string, fields: readonly FieldModel[], filters: ScalarFilters, enumTypes: EnumTypes): GraphQLInputFieldConfigMap {
  const inputs: GraphQLInputFieldConfigMap = {};
  for (const field of fields) {
    const name = fieldName(field.jsonKey);
    if (field.kind === 'scalar') {
      inputs[name] = { type: scalarFilter(filters, field.scalar, SCALAR_TYPES[field.scalar], FILTER_OPS[field.scalar]) };
    } else if (field.kind === 'enum') {
      const type = enumTypes(nestedTypeName(owner, field.jsonKey), field.values);
      inputs[name] = { type: scalarFilter(filters, type.name, type, ENUM_OPS) };
    } else if (field.kind === 'object') {
      inputs[name] = { type: nestedWhereInput(nestedTypeName(owner, field.jsonKey), field.fields, filters, enumTypes) };
    }
  }
  return inputs;
}

/** `<name>Filter` with one input per operator, created once per schema build. */
function scalarFilter(filters: ScalarFilters, name: string, type: GraphQLInputType, ops: readonly FilterOp[]): GraphQLInputObjectType {
  const key = `${name}Filter`;
  let filter = filters.get(key);
  if (!filter) {
    const fields: GraphQLInputFieldConfigMap = {};
    for (const op of ops) fields[op] = { type: operandType(op, type), description: OP_DESCRIPTIONS[op] };
    filter = new GraphQLInputObjectType({ name: key, fields });
    filters.set(key, filter);
  }
  return filter;
}

function operandType(op: FilterOp, type: GraphQLInputType): GraphQLInputType {
  switch (op) {
    case 'in':
      return new GraphQLList(new GraphQLNonNull(type));
    case 'exists':
    case 'isNull':
      return GraphQLBoolean;
    case 'contains':
      return GraphQLString;
    default:
      return type;
  }
}
