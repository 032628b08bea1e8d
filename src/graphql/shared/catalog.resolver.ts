import { Arg, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { subjectNames } from '../naming';
import type { ApiContext } from '../context';
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
  @Query(() => [SubjectType], { description: 'Canonical subjects served, with their schema version.' })
  async subjects(@Ctx() ctx: ApiContext): Promise<SubjectType[]> {
    return Promise.all(
      ctx.services.catalog.list().map(async (entry) => ({
        name: entry.subject,
        version: entry.version,
        typeName: subjectNames(entry.subject).type,
        description: typeof entry.schema.description === 'string' ? entry.schema.description : null,
        count: await ctx.services.store.collection(entry.subject).countDocuments({ '_meta.deleted': false }),
        deprecated: 'deprecated' in entry && entry.deprecated === true,
      })),
    );
  }

  @Query(() => SubjectType, { nullable: true, description: 'One served subject by name; null when none is served under it.' })
  async subject(@Arg('name', () => String) name: string, @Ctx() ctx: ApiContext): Promise<SubjectType | null> {
    return (await this.subjects(ctx)).find((s) => s.name === name) ?? null;
  }
}

/** Object types the generated part references, so they exist even before any subject does. */
export const SHARED_OBJECT_TYPES = [EntityMetaType, PageInfoType];
