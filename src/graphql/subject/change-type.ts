import { GraphQLID, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString, type GraphQLEnumType } from 'graphql';
import { DateTimeScalar, JSONScalar } from '../scalars';

/** The enums of the fixed schema a change type refers to. */
export interface ChangeEnums {
  readonly ChangeOp: GraphQLEnumType;
  readonly ResyncReason: GraphQLEnumType;
}

/** `<Type>Change`: one change of one entity, as an entry of its history and of the live change feed. */
export function changeType(typeName: string, entity: GraphQLObjectType, enums: ChangeEnums): GraphQLObjectType {
  return new GraphQLObjectType({
    name: `${typeName}Change`,
    description: `One change of one ${typeName} entity: an entry of its history or of the live change feed.`,
    fields: {
      eventId: { type: GraphQLID, description: 'Deterministic id of the canonical event (null for SNAPSHOT and RESYNC).' },
      op: { type: new GraphQLNonNull(enums.ChangeOp) },
      key: { type: GraphQLID, description: 'Entity key.' },
      version: { type: GraphQLInt },
      cursor: { type: GraphQLString, description: 'Resume position: pass as `after` to continue after this change.' },
      node: { type: entity, description: 'The entity after the change (null for DELETE and RESYNC).' },
      previous: { type: entity, description: 'The entity before the change (null for CREATE).' },
      changedFields: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))) },
      source: { type: JSONScalar, description: 'Source coordinates: topic, partition, offset, position, connector, op.' },
      sourceTs: { type: DateTimeScalar },
      ingestedAt: { type: DateTimeScalar },
      resyncReason: { type: enums.ResyncReason, description: 'Why a RESYNC was sent (null for every other op); `source.reason` says it in words.' },
    },
  });
}
