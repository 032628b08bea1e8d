import { Arg, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { AppError, ErrorCode } from '../../errors';
import { requireSubjectRead } from '../access';
import { unknownServedSubject } from '../shared/catalog.resolver';
import type { ApiContext } from '../context';
import { DateTimeScalar } from '../scalars';

@ObjectType('SubjectStatusSpec', { description: 'An active mapping spec version feeding the subject.' })
export class SubjectStatusSpecType {
  @Field(() => String)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => [String], { description: 'Raw Kafka topics the spec reads.' })
  topics!: string[];
}

@ObjectType('SubjectStatus', { description: 'Freshness and counts of a subject, read at query time: freshness as data, not only a dashboard.' })
export class SubjectStatusType {
  @Field(() => String)
  subject!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the newest canonical event was ingested; null before the first.' })
  lastIngestedAt!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Source commit time of the newest canonical event; null when the source did not say.' })
  lastSourceTime!: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Raw messages of the topics feeding the subject not yet ingested (consumer lag of the ingestion group); null when Kafka did not answer.',
  })
  lag!: number | null;

  @Field(() => Int, { description: 'Live (not deleted) entities.' })
  liveEntities!: number;

  @Field(() => Int, { description: 'Soft-deleted entities (hard deletes leave nothing to count).' })
  deletedEntities!: number;

  @Field(() => Int, { description: 'Canonical events in the event log.' })
  events!: number;

  @Field(() => Int, { description: 'Dead letters not yet replayed, of the specs feeding the subject.' })
  openDeadLetters!: number;

  @Field(() => [SubjectStatusSpecType], { description: 'Active spec versions feeding the subject.' })
  specs!: SubjectStatusSpecType[];
}

@Resolver()
export class SubjectStatusResolver {
  @Query(() => SubjectStatusType, {
    description: "Freshness (last event time, ingestion lag) and counts of a subject. NOT_FOUND for an unknown subject; FORBIDDEN outside a reader's scope.",
  })
  async subjectStatus(@Arg('subject', () => String) subject: string, @Ctx() ctx: ApiContext): Promise<SubjectStatusType> {
    const reader = ctx.services.status;
    if (!reader) throw new AppError(ErrorCode.INTERNAL, 'subject status is not available in this process');
    requireSubjectRead(ctx.principal, subject);
    const status = await reader.status(subject);
    if (!status) throw unknownServedSubject(ctx, 'subject', subject);
    return { ...status, specs: status.specs.map((spec) => ({ ...spec, topics: [...spec.topics] })) };
  }
}
