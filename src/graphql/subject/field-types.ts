import { GraphQLBoolean, GraphQLEnumType, GraphQLFloat, GraphQLInt, GraphQLString, type GraphQLInputType, type GraphQLOutputType } from 'graphql';
import type { ScalarKind } from '../../catalog/field-model';
import { enumValueName } from '../naming';
import { DateTimeScalar, DecimalScalar, JSONScalar, LongScalar } from '../scalars';

/** The GraphQL scalar of each scalar kind of the field model; the same type serves output and input. */
export const SCALAR_TYPES: Record<ScalarKind, GraphQLOutputType & GraphQLInputType> = {
  String: GraphQLString,
  Int: GraphQLInt,
  Long: LongScalar,
  Float: GraphQLFloat,
  Boolean: GraphQLBoolean,
  DateTime: DateTimeScalar,
  Decimal: DecimalScalar,
  JSON: JSONScalar,
};

/** The enum type of a given name, created on first use: one instance per name (a schema refuses two types of one name). */
export type EnumTypes = (typeName: string, values: readonly string[]) => GraphQLEnumType;

/**
 * The enums of one subject: its entity type and its `where` input both name the enum of a field
 * (`OrderStatus`), so both ask this one cache for it.
 */
export function subjectEnumTypes(): EnumTypes {
  const enums = new Map<string, GraphQLEnumType>();
  return (typeName, values) => {
    let type = enums.get(typeName);
    if (!type) {
      type = new GraphQLEnumType({ name: typeName, values: Object.fromEntries(values.map((v) => [enumValueName(v), { value: v }])) });
      enums.set(typeName, type);
    }
    return type;
  };
}
