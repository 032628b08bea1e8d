import { GraphQLEnumType, GraphQLInputObjectType, GraphQLNonNull, type GraphQLEnumValueConfig } from 'graphql';
import type { FieldModel } from '../../catalog/field-model';
import { fieldName } from '../naming';

/**
 * The sort input of a subject (`OrderOrderBy { field: OrderSortField!, direction }`): by `id`,
 * `updatedAt`, or any scalar or enum field of the top level but JSON ones.
 */
export function orderByInput(typeName: string, fields: readonly FieldModel[], SortDirection: GraphQLEnumType): GraphQLInputObjectType {
  const sortField = new GraphQLEnumType({ name: `${typeName}SortField`, values: sortFieldValues(fields) });
  return new GraphQLInputObjectType({
    name: `${typeName}OrderBy`,
    fields: { field: { type: new GraphQLNonNull(sortField) }, direction: { type: SortDirection, defaultValue: 'ASC' } },
  });
}

function sortFieldValues(fields: readonly FieldModel[]): Record<string, GraphQLEnumValueConfig> {
  const fixed: [string, GraphQLEnumValueConfig][] = [
    ['id', { value: 'id' }],
    ['updatedAt', { value: 'updatedAt', description: 'When canonql last applied a change.' }],
  ];
  const sortable = fields
    .filter((f) => f.kind === 'enum' || (f.kind === 'scalar' && f.scalar !== 'JSON'))
    .map((f) => fieldName(f.jsonKey))
    .filter((name) => name !== 'id' && name !== 'updatedAt');
  return Object.fromEntries([...fixed, ...sortable.map((name): [string, GraphQLEnumValueConfig] => [name, { value: name }])]);
}
