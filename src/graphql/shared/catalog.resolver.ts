import { Arg, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { type AppError, unknownName } from '../../errors';
import { canReadSubject, requireSubjectRead } from '../access';
import { subjectNames } from '../naming';
import type { ApiContext, CatalogView } from '../context';
import { EntityMetaType } from './entity-meta.type';
import { PageInfoType } from './page-info.type';

@ObjectType('Subject', { description: 'A canonical subject served by this API.' })
export class SubjectType {
  @Field(() => String)
  name!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { description: 'GraphQL type of its entities.' })
  typeName!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Int, { description: 'Live (not deleted) entities stored.' })
  count!: number;

  @Field(() => Boolean, { description: 'Deprecated in the schema registry: still served, but planned to go.' })
  deprecated!: boolean;
}

/** The fixed catalog queries; subject-specific fields are generated (subject-schema.ts). */
@Resolver()
export class CatalogResolver {
  @Query(() => [SubjectType], { description: "Canonical subjects served, with their schema version: those the caller may read (a reader's scope)." })
  subjects(@Ctx() ctx: ApiContext): Promise<SubjectType[]> {
    // A reader limited to some subjects is not told of the others (nor their counts).
    return Promise.all(
      ctx.services.catalog
        .list()
        .filter((entry) => canReadSubject(ctx.principal, entry.subject))
        .map((entry) => subjectView(ctx, entry)),
    );
  }

  @Query(() => SubjectType, {
    nullable: true,
    description: "One served subject by name. NOT_FOUND when none is served under it; FORBIDDEN outside a reader's scope.",
  })
  subject(@Arg('name', () => String) name: string, @Ctx() ctx: ApiContext): Promise<SubjectType> {
    // Scope first: a reader limited to some subjects learns nothing of others, not even whether they exist.
    requireSubjectRead(ctx.principal, name);
    const entry = ctx.services.catalog.list().find((e) => e.subject === name);
    if (!entry) throw unknownServedSubject(ctx, 'name', name);
    return subjectView(ctx, entry);
  }
}

/** NOT_FOUND for a name no served subject has, listing the served subjects the caller may read. */
export function unknownServedSubject(ctx: ApiContext, argument: string, name: string): AppError {
  const readable = ctx.services.catalog
    .list()
    .map((entry) => entry.subject)
    .filter((subject) => canReadSubject(ctx.principal, subject));
  return unknownName('served subject', argument, name, readable);
}

async function subjectView(ctx: ApiContext, entry: ReturnType<CatalogView['list']>[number]): Promise<SubjectType> {
  return {
    name: entry.subject,
    version: entry.version,
    typeName: subjectNames(entry.subject).type,
    description: typeof entry.schema.description === 'string' ? entry.schema.description : null,
    count: await ctx.services.store.collection(entry.subject).countDocuments({ '_meta.deleted': false }),
    deprecated: 'deprecated' in entry && entry.deprecated === true,
  };
}

/** Object types the generated part references, so they exist even before any subject does. */
export const SHARED_OBJECT_TYPES = [EntityMetaType, PageInfoType];
