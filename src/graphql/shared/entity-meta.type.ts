import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars';

/** Bookkeeping of one canonical entity, on every entity as `_meta`. */
@ObjectType('EntityMeta', { description: 'Where an entity state came from and when.' })
export class EntityMetaType {
  @Field(() => Int, { description: 'Increments with every applied change.' })
  version!: number;

  @Field(() => DateTimeScalar, { description: 'When canonql applied the latest change.' })
  updatedAt!: Date;

  @Field(() => DateTimeScalar, { description: 'When canonql first stored the entity.' })
  createdAt!: Date;

  @Field(() => String, { description: 'Source position of the latest change (LSN, oplog time, binlog or Kafka offset).' })
  position!: string;

  @Field(() => String, { description: 'Mapping spec that produced the latest change.' })
  specId!: string;

  @Field(() => Int)
  specVersion!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Commit time of the latest change at the source.' })
  sourceTs!: Date | null;

  @Field(() => Boolean, { description: 'True once the source deleted the entity (soft delete).' })
  deleted!: boolean;
}
