import { Arg, Ctx, Field, Float, FieldResolver, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { requireAdmin, requireRawRead } from '../access';
import { AppError, ErrorCode, unknownName } from '../../errors';
import type { DiscoveryReader, RawTopicSummary, SchemaVersion } from '../../discovery/discovery-reader';
import { stampToDate } from '../../discovery/profile-doc';
import { typesOf } from '../../discovery/schema-drift';
import { STRING_FORMATS } from '../../discovery/value-kind';
import type { ApiContext } from '../context';
import { DateTimeScalar, JSONScalar } from '../scalars';
import { RawFieldStatsType, RawOpCountsType, RawSampleType, RawSchemaVersionType, RawTopicType } from './discovery.types';

/** Largest `samples(last:)` a query may ask for. */
export const MAX_SAMPLES_QUERY = 500;

@ObjectType('RawTopicCounts', { description: 'What a topic profile is made of.' })
class RawTopicCountsType {
  @Field(() => Float, { description: 'Full row images profiled.' }) images!: number;
  @Field(() => Float, { description: 'Partial updates profiled (only the fields they carry count).' }) patches!: number;
  @Field(() => Int, { description: 'Profile documents merged (one per ingestion process run).' }) processes!: number;
  @Field(() => Float, { description: 'Values not profiled because the topic reached its field limit (1000 paths).' }) droppedPaths!: number;
}

@ObjectType('SourceTopic', { description: 'A topic of the Kafka cluster, and how canonql reads it.' })
class SourceTopicType {
  @Field(() => String) topic!: string;
  @Field(() => [String], { description: 'Active mapping specs reading it (they profile it too).' }) readBySpecs!: string[];
  @Field(() => Boolean, { description: 'Profiled on request although no active spec reads it (profileRawTopic).' }) profiledOnly!: boolean;
}

/**
 * Queries of raw-schema discovery; readers not limited to some subjects may call them (requireRawRead). The two mutations (admin) choose raw
 * topics to profile before any spec reads them.
 */
@Resolver(() => RawTopicType)
export class DiscoveryResolver {
  @Query(() => [RawTopicType], { description: 'Raw topics profiled by ingestion, with their current raw schema version.' })
  async rawTopics(@Ctx() ctx: ApiContext): Promise<RawTopicType[]> {
    requireRawRead(ctx.principal);
    const reader = ctx.services.discovery;
    return reader ? (await reader.topics()).map(topicOf) : [];
  }

  @Query(() => [SourceTopicType], {
    description:
      "Topics of the Kafka cluster that can be raw sources (Kafka's internal topics and canonql's own canonical and dead-letter topics left out), " +
      'with the specs reading each and whether it is profiled on request.',
  })
  async sourceTopics(@Ctx() ctx: ApiContext): Promise<SourceTopicType[]> {
    requireRawRead(ctx.principal);
    const admin = adminOf(ctx);
    const [topics, profiled, specs] = await Promise.all([admin.kafkaTopics(), admin.profiledTopics.list(), admin.specs.active()]);
    const readers = (topic: string) => specs.filter((v) => v.body.source.topic === topic || (v.body.source.topics ?? []).includes(topic)).map((v) => v.id);
    return topics.map((topic) => ({ topic, readBySpecs: readers(topic), profiledOnly: profiled.includes(topic) }));
  }

  @Mutation(() => Boolean, {
    description:
      'Profiles a raw topic no spec reads yet (fields, types, samples for previews), from its beginning, with a consumer group of its own: ingestion offsets are untouched. False when already profiled.',
  })
  async profileRawTopic(@Arg('topic', () => String) topic: string, @Ctx() ctx: ApiContext): Promise<boolean> {
    requireAdmin(ctx.principal);
    const admin = adminOf(ctx);
    if (!(await admin.kafkaTopics()).includes(topic)) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `topic "${topic}" is not a source topic of the Kafka cluster (it does not exist, or it is canonql's own)`, {
        details: [`topic: "${topic}" does not exist or is canonql's own`],
      });
    }
    const added = await admin.profiledTopics.add(topic);
    await admin.refresh();
    return added;
  }

  @Mutation(() => Boolean, { description: 'Stops profiling a topic on request (a topic an active spec reads stays profiled). False when it was not listed.' })
  async stopProfilingRawTopic(@Arg('topic', () => String) topic: string, @Ctx() ctx: ApiContext): Promise<boolean> {
    requireAdmin(ctx.principal);
    const removed = await adminOf(ctx).profiledTopics.remove(topic);
    await adminOf(ctx).refresh();
    return removed;
  }

  @Query(() => RawTopicType, {
    nullable: true,
    description:
      'One raw topic: its inferred schema, field statistics, versions, drift and samples. NOT_FOUND for a topic not profiled (`profileRawTopic` profiles one no spec reads).',
  })
  async rawTopic(@Arg('topic', () => String) topic: string, @Ctx() ctx: ApiContext): Promise<RawTopicType> {
    requireRawRead(ctx.principal);
    const reader = ctx.services.discovery;
    if (!reader) throw new AppError(ErrorCode.INTERNAL, 'raw-topic discovery is not available in this process');
    const topics = await reader.topics();
    const found = topics.find((t) => t.topic === topic);
    if (!found)
      throw unknownName(
        'profiled raw topic',
        'topic',
        topic,
        topics.map((t) => t.topic),
      );
    return topicOf(found);
  }

  @FieldResolver(() => RawOpCountsType)
  async ops(@Root() topic: RawTopicType, @Ctx() ctx: ApiContext): Promise<RawOpCountsType> {
    const ops = (await profileOf(topic, ctx))?.ops ?? { c: 0, u: 0, d: 0, r: 0 };
    return { create: ops.c, update: ops.u, delete: ops.d, read: ops.r };
  }

  @FieldResolver(() => RawTopicCountsType)
  async counts(@Root() topic: RawTopicType, @Ctx() ctx: ApiContext): Promise<RawTopicCountsType> {
    const profile = await profileOf(topic, ctx);
    return { images: profile?.images ?? 0, patches: profile?.patches ?? 0, processes: profile?.processes ?? 0, droppedPaths: profile?.droppedPaths ?? 0 };
  }

  @FieldResolver(() => [RawFieldStatsType], { description: 'Field statistics, sorted by path; `path` selects one field.' })
  async fields(
    @Root() topic: RawTopicType,
    @Ctx() ctx: ApiContext,
    @Arg('path', () => String, { nullable: true }) path?: string | null,
    @Arg('includeRemoved', () => Boolean, { defaultValue: true }) includeRemoved?: boolean,
  ): Promise<RawFieldStatsType[]> {
    const reader = readerOf(ctx);
    const profile = await profileOf(topic, ctx);
    if (!profile) return [];
    if (path !== undefined && path !== null && !profile.fields.some((field) => field.path === path)) {
      throw unknownName(
        'raw field',
        'path',
        path,
        profile.fields.map((field) => field.path),
      );
    }
    return profile.fields
      .filter((field) => path === undefined || path === null || field.path === path)
      .map((field) => {
        const current = !reader.isRemoved(profile, field.path);
        return {
          path: field.path,
          present: field.present,
          presence: field.presence,
          inPartialUpdates: field.patched,
          values: field.values,
          types: { ...field.types },
          typeSet: typesOf(field),
          nullRate: field.nullRate,
          minNumber: field.minNumber,
          maxNumber: field.maxNumber,
          minDate: field.minInstant,
          maxDate: field.maxInstant,
          formats: STRING_FORMATS.filter((f) => field.formats[f] > 0).map((f) => ({ format: f, count: field.formats[f] })),
          distinct: field.distinct,
          distinctExact: field.distinctExact,
          examples: [...field.examples],
          firstSeen: stampToDate(field.firstSeen),
          lastSeen: stampToDate(field.lastSeen),
          current,
        };
      })
      .filter((field) => includeRemoved || field.current);
  }

  @FieldResolver(() => JSONScalar, { nullable: true, description: 'The JSON Schema inferred from the current statistics (removed fields left out).' })
  async schema(@Root() topic: RawTopicType, @Ctx() ctx: ApiContext): Promise<Record<string, unknown> | null> {
    const profile = await profileOf(topic, ctx);
    return profile ? readerOf(ctx).schema(profile) : null;
  }

  @FieldResolver(() => [RawSchemaVersionType], { description: 'Every recorded raw schema version up to `currentVersion`, oldest first.' })
  async versions(@Root() topic: RawTopicType, @Ctx() ctx: ApiContext): Promise<RawSchemaVersionType[]> {
    return (await readerOf(ctx).versions(topic.topic, asRead(topic))).map(versionOf);
  }

  @FieldResolver(() => [RawSchemaVersionType], {
    description: 'Drift history: the versions up to `currentVersion` recorded at or after `since` (all when omitted), oldest first.',
  })
  async drift(
    @Root() topic: RawTopicType,
    @Ctx() ctx: ApiContext,
    @Arg('since', () => DateTimeScalar, { nullable: true }) since?: string | null,
  ): Promise<RawSchemaVersionType[]> {
    return (await readerOf(ctx).versions(topic.topic, since ? { ...asRead(topic), since: new Date(since) } : asRead(topic))).map(versionOf);
  }

  @FieldResolver(() => [RawSampleType], { description: 'The last raw records ingestion read from the topic, oldest first.' })
  async samples(@Root() topic: RawTopicType, @Ctx() ctx: ApiContext, @Arg('last', () => Int, { defaultValue: 10 }) last: number): Promise<RawSampleType[]> {
    if (!Number.isInteger(last) || last < 0 || last > MAX_SAMPLES_QUERY) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `samples(last:) must be 0..${MAX_SAMPLES_QUERY} (got ${last})`);
    }
    return (await readerOf(ctx).samples(topic.topic, last)).map((raw) => ({
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
      key: raw.key ? raw.key.toString('utf8') : null,
      value: raw.value ? raw.value.toString('utf8') : null,
      timestamp: raw.timestamp ?? null,
    }));
  }
}

function readerOf(ctx: ApiContext): DiscoveryReader {
  const reader = ctx.services.discovery;
  // RawTopic objects only exist when a reader produced them.
  if (!reader) throw new AppError(ErrorCode.INTERNAL, 'raw-schema discovery is not configured in this process');
  return reader;
}

function profileOf(topic: RawTopicType, ctx: ApiContext) {
  topic.profile ??= readerOf(ctx).profile(topic.topic);
  return topic.profile;
}

/**
 * One answer is one snapshot: a version recorded after the topic's summary was read (between the
 * summary and its version lists) is left out, so `versions` and `drift` never go past `currentVersion`.
 */
function asRead(topic: RawTopicType): { upToVersion: number } {
  return { upToVersion: topic.currentVersion ?? 0 };
}

function topicOf(summary: RawTopicSummary): RawTopicType {
  return Object.assign(new RawTopicType(), {
    topic: summary.topic,
    currentVersion: summary.currentVersion,
    sampled: summary.sampled,
    firstSeen: summary.firstSeen > 0 ? stampToDate(summary.firstSeen) : null,
    lastSeen: summary.lastSeen > 0 ? stampToDate(summary.lastSeen) : null,
  });
}

export function versionOf(version: SchemaVersion): RawSchemaVersionType {
  return {
    topic: version.topic,
    version: version.version,
    sequence: version.sequence,
    recordedAt: version.recordedAt,
    schema: version.schema,
    fields: version.fields.map((f) => ({ path: f.path, types: [...f.types] })),
    changes: {
      added: [...version.changes.added],
      removed: [...version.changes.removed],
      typeChanged: version.changes.typeChanged.map((c) => ({ path: c.path, from: [...c.from], to: [...c.to] })),
    },
    writerSchemaIds: [...version.writerSchemaIds],
  };
}

function adminOf(ctx: ApiContext) {
  if (!ctx.services.admin) throw new AppError(ErrorCode.INTERNAL, 'admin services are not available in this process');
  return ctx.services.admin;
}
