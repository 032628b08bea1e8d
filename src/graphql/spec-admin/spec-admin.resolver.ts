import { Arg, Ctx, Extensions, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { AdminServices } from '../../admin/admin-services';
import type { BackfillJob } from '../../admin/backfill';
import type { DeadLetterFilter, DeadLetterView } from '../../admin/dead-letter-admin';
import type { DefinitionVersion } from '../../catalog/definition-registry';
import { AppError, ErrorCode, unknownName, unknownVersion } from '../../errors';
import { compileSpec } from '../../mapping/compile-spec';
import { subjectName } from '../../mapping/subject-name';
import type { MappingSpec } from '../../mapping/mapping-spec';
import { adminOnly, canReadSubject, requireAdmin, requireRawRead, requireSubjectRead } from '../access';
import type { ApiContext } from '../context';
import { readableVersions, registeredVersions, type DefinitionReads } from './registered-versions';
import { DateTimeScalar, JSONScalar } from '../scalars';
import {
  BackfillJobType,
  DeadLetterFilterInput,
  DeadLetterReplayType,
  DeadLetterType,
  MappingSpecVersionType,
  RawEventInput,
  MappingTransformType,
  SpecActivationType,
  SpecPreviewType,
} from './spec-admin.types';
import { listTransforms } from '../../mapping/transforms/transform-registry';

/**
 * The mapping-spec lifecycle over GraphQL. Reads (versions, history, preview, backfill progress)
 * are open to readers; every mutation and the dead letters (raw payloads) need an admin
 * credential. A mutation returns once the change is stored and applied to this process; other
 * processes follow within one catalog poll interval.
 */
const MAX_PREVIEW = 200;
const MAX_REPLAY = 10_000;

@Resolver()
export class SpecAdminResolver {
  @Query(() => [MappingSpecVersionType], { description: 'Registered mapping spec versions (of one spec, or all). NOT_FOUND when no spec has the `id`.' })
  async mappingSpecs(@Arg('id', () => String, { nullable: true }) id: string | undefined, @Ctx() ctx: ApiContext): Promise<MappingSpecVersionType[]> {
    const reads = specReads(ctx);
    return (id === undefined || id === null ? await readableVersions(reads, ctx.principal) : await registeredVersions(reads, ctx.principal, 'id', id)).map(
      specView,
    );
  }

  @Query(() => MappingSpecVersionType, {
    nullable: true,
    description: 'One version; without `version`, the active one (else the latest). NOT_FOUND when no spec has the `id`, or the spec has no such version.',
  })
  async mappingSpec(
    @Arg('id', () => String) id: string,
    @Arg('version', () => Int, { nullable: true }) version: number | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<MappingSpecVersionType> {
    const versions = await registeredVersions(specReads(ctx), ctx.principal, 'id', id);
    const found =
      version !== undefined && version !== null
        ? versions.find((v) => v.version === version)
        : (versions.find((v) => v.active) ?? versions[versions.length - 1]);
    if (!found) throw unknownVersion(`mapping spec "${id}"`, version!, versions);
    return specView(found);
  }

  @Query(() => [MappingTransformType], { description: 'The transforms of the mapping engine with their arguments (what specs may name).' })
  mappingTransforms(): MappingTransformType[] {
    return listTransforms().map((t) => ({
      name: t.name,
      description: t.description,
      args: t.args.map((a) => ({
        name: a.name,
        type: a.type,
        required: a.required,
        description: a.description,
        values: a.values ? [...a.values] : null,
        default: a.default ?? null,
      })),
    }));
  }

  @Query(() => [SpecActivationType], { description: 'Activations, deactivations and rollbacks of a spec, oldest first. NOT_FOUND when no spec has the `id`.' })
  async mappingSpecHistory(@Arg('id', () => String) id: string, @Ctx() ctx: ApiContext): Promise<SpecActivationType[]> {
    await registeredVersions(specReads(ctx), ctx.principal, 'id', id);
    return [...(await admin(ctx).specs.history(id))];
  }

  @Query(() => SpecPreviewType, {
    description:
      'Dry run of a spec on the latest sampled raw records of its topic, or on `events`. Writes nothing. ' +
      'With `schema`, records are checked against that draft canonical schema instead of the registered one: the subject need not be registered yet.',
  })
  async previewMappingSpec(
    @Arg('spec', () => JSONScalar) spec: unknown,
    @Arg('events', () => [RawEventInput], { nullable: true }) events: RawEventInput[] | undefined,
    @Arg('last', () => Int, { defaultValue: 20 }) last: number,
    @Arg('schema', () => JSONScalar, {
      nullable: true,
      description: "A draft canonical JSON Schema for the spec's subject, used instead of the registered one.",
    })
    schema: unknown,
    @Ctx() ctx: ApiContext,
  ): Promise<SpecPreviewType> {
    if (last < 1 || last > MAX_PREVIEW) throw badInput(`last must be between 1 and ${MAX_PREVIEW}`);
    // Without `events` the preview runs on the topic's sampled raw records.
    if (!events) requireRawRead(ctx.principal, "a topic's sampled raw records (give `events` to preview on)");
    const preview = await admin(ctx).preview(spec, { ...(events ? { events } : {}), ...(schema === undefined || schema === null ? {} : { schema }), last });
    return {
      ...preview,
      records: preview.records.map((r) => ({ ...r, unset: [...r.unset], errors: [...r.errors], fields: [...r.fields] })),
      coveredSourceFields: [...preview.coveredSourceFields],
      unmappedSourceFields: [...preview.unmappedSourceFields],
      missingSourceFields: [...preview.missingSourceFields],
      typeMismatches: preview.typeMismatches.map((m) => ({ ...m, sourceTypes: [...m.sourceTypes], targetTypes: [...m.targetTypes] })),
    };
  }

  @Mutation(() => MappingSpecVersionType, {
    description: 'Registers a new spec version (validated, inactive unless `activate`). Same id and version with another body: CONFLICT.',
  })
  async registerMappingSpec(
    @Arg('spec', () => JSONScalar) spec: unknown,
    @Arg('activate', () => Boolean, { defaultValue: false }) activate: boolean,
    @Ctx() ctx: ApiContext,
  ): Promise<MappingSpecVersionType> {
    requireAdmin(ctx.principal);
    const services = admin(ctx);
    if (spec && typeof spec === 'object' && !Array.isArray(spec) && !('version' in spec)) {
      throw badInput('version: required when registering through the API (the next version of the spec id)');
    }
    let registered = await services.specs.register(spec);
    if (activate) registered = await services.specs.activate(registered.id, registered.version);
    await services.refresh();
    return specView(registered);
  }

  @Mutation(() => MappingSpecVersionType, {
    description:
      'Makes a version the active one; ingestion switches without a restart. `expectedActiveVersion` guards against a concurrent change (CONFLICT). The version is checked again against its subject as it is now: a field the subject no longer has, or a deleted subject, is BAD_USER_INPUT.',
  })
  async activateMappingSpec(
    @Arg('id', () => String) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('expectedActiveVersion', () => Int, { nullable: true }) expectedActiveVersion: number | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<MappingSpecVersionType> {
    requireAdmin(ctx.principal);
    const services = admin(ctx);
    const activated = await services.specs.activate(id, version, expectedActiveVersion ?? undefined);
    await services.refresh();
    return specView(activated);
  }

  @Mutation(() => Boolean, {
    description: "Stops ingesting with this spec; its topic's records wait (committed offsets stay) until a version is active again.",
  })
  async deactivateMappingSpec(@Arg('id', () => String) id: string, @Ctx() ctx: ApiContext): Promise<boolean> {
    requireAdmin(ctx.principal);
    await admin(ctx).specs.deactivate(id);
    await admin(ctx).refresh();
    return true;
  }

  @Mutation(() => MappingSpecVersionType, { description: 'Activates the version that was active before the current one.' })
  async rollbackMappingSpec(@Arg('id', () => String) id: string, @Ctx() ctx: ApiContext): Promise<MappingSpecVersionType> {
    requireAdmin(ctx.principal);
    const version = await admin(ctx).specs.rollback(id);
    await admin(ctx).refresh();
    return specView(version);
  }

  @Mutation(() => BackfillJobType, {
    description:
      "Re-canonicalizes the subject from the spec's raw topics, from the beginning or from `fromTimestamp`. Live ingestion keeps flowing and always wins. Without `version`: the active version.",
  })
  async backfillMappingSpec(
    @Arg('id', () => String) id: string,
    @Arg('version', () => Int, { nullable: true }) version: number | undefined,
    @Arg('fromTimestamp', () => DateTimeScalar, { nullable: true }) fromTimestamp: string | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<BackfillJobType> {
    requireAdmin(ctx.principal);
    const services = admin(ctx);
    const versions = await services.specs.list(id);
    const chosen = version !== undefined && version !== null ? versions.find((v) => v.version === version) : versions.find((v) => v.active);
    if (!chosen) {
      throw new AppError(
        ErrorCode.NOT_FOUND,
        version ? `mapping spec "${id}" has no version ${version}` : `mapping spec "${id}" has no active version: name one`,
      );
    }
    const job = await services.backfills.start(chosen.body, fromTimestamp ? { timestamp: new Date(fromTimestamp) } : { beginning: true });
    return jobView(job);
  }

  @Query(() => BackfillJobType, {
    nullable: true,
    description: 'One backfill job by id (from `backfillMappingSpec`), with its progress. NOT_FOUND for an id no job has.',
  })
  async backfillJob(@Arg('id', () => ID) id: string, @Ctx() ctx: ApiContext): Promise<BackfillJobType> {
    const job = await admin(ctx).backfills.get(id);
    if (!job)
      throw new AppError(ErrorCode.NOT_FOUND, `unknown backfill job "${id}"`, {
        details: [`id: no backfill job has the id "${id}" (backfillJobs lists them)`],
      });
    requireSubjectRead(ctx.principal, job.subject);
    return jobView(job);
  }

  @Query(() => [BackfillJobType], { description: 'Backfill jobs, newest first (of one spec, or all). NOT_FOUND for a `specId` no spec has.' })
  async backfillJobs(@Arg('specId', () => String, { nullable: true }) specId: string | undefined, @Ctx() ctx: ApiContext): Promise<BackfillJobType[]> {
    if (specId !== undefined && specId !== null) await registeredVersions(specReads(ctx), ctx.principal, 'specId', specId);
    const jobs = await admin(ctx).backfills.list(specId ?? undefined);
    return jobs.filter((job) => canReadSubject(ctx.principal, job.subject)).map(jobView);
  }

  @Query(() => [DeadLetterType], { description: 'Dead-lettered records (admin only: they carry raw payloads), ordered by id; page with `after`.' })
  @Extensions(adminOnly())
  async deadLetters(
    @Arg('filter', () => DeadLetterFilterInput, { nullable: true }) filter: DeadLetterFilterInput | undefined,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<DeadLetterType[]> {
    requireAdmin(ctx.principal);
    if (first < 1 || first > ctx.services.maxPageSize) throw badInput(`first must be between 1 and ${ctx.services.maxPageSize}`);
    await checkFilterNames(ctx, filter);
    return (await admin(ctx).deadLetters.list(toFilter(filter), first, after ?? undefined)).map(letterView);
  }

  @Mutation(() => [DeadLetterReplayType], {
    description:
      'Replays dead letters (by id, or all open ones matching `filter`) through the active specs, in the order their records were consumed (topic, partition, offset). Each ends applied (or duplicate/stale: a later change superseded it) or dead-lettered again with its new reason.',
  })
  async replayDeadLetters(
    @Arg('ids', () => [ID], { nullable: true }) ids: string[] | undefined,
    @Arg('filter', () => DeadLetterFilterInput, { nullable: true }) filter: DeadLetterFilterInput | undefined,
    @Arg('limit', () => Int, { defaultValue: 1000 }) limit: number,
    @Ctx() ctx: ApiContext,
  ): Promise<DeadLetterReplayType[]> {
    requireAdmin(ctx.principal);
    const problems: string[] = [];
    if (!ids && !filter) problems.push('ids or filter: name the dead letters to replay');
    if (ids && filter) problems.push('ids and filter: give one, not both');
    if (limit < 1 || limit > MAX_REPLAY) problems.push(`limit: must be between 1 and ${MAX_REPLAY}`);
    if (problems.length > 0) throw new AppError(ErrorCode.BAD_USER_INPUT, problems.join('; '), { details: problems });
    await checkFilterNames(ctx, filter);
    return [...(await admin(ctx).deadLetters.replay(ids ? { ids } : { filter: toFilter(filter) }, limit))];
  }
}

/** A dead-letter filter's spec id and code name something that exists: a typo is an error, not an empty page. */
async function checkFilterNames(ctx: ApiContext, filter: DeadLetterFilterInput | undefined): Promise<void> {
  if (filter?.specId !== undefined && filter.specId !== null) await registeredVersions(specReads(ctx), ctx.principal, 'filter.specId', filter.specId);
  if (filter?.code !== undefined && filter.code !== null && !Object.hasOwn(ErrorCode, filter.code)) {
    throw unknownName('error code', 'filter.code', filter.code, Object.values(ErrorCode));
  }
}

/** The mapping specs as the caller may read them: a spec is its target subject's. */
function specReads(ctx: ApiContext): DefinitionReads<MappingSpec> {
  return { registry: admin(ctx).specs, what: 'mapping spec', subjectOf: (version) => subjectName(version.body.target.subject) };
}

function admin(ctx: ApiContext): AdminServices {
  if (!ctx.services.admin) throw new AppError(ErrorCode.INTERNAL, 'admin services are not available in this process');
  return ctx.services.admin;
}

function badInput(message: string): AppError {
  return new AppError(ErrorCode.BAD_USER_INPUT, message, { details: [message] });
}

function specView(version: DefinitionVersion<MappingSpec>): MappingSpecVersionType {
  const compiled = compileSpec(version.body);
  return {
    id: version.id,
    version: version.version,
    active: version.active,
    origin: version.origin,
    registeredAt: version.registeredAt,
    subject: compiled.subject,
    topics: [...compiled.topics],
    spec: version.body,
  };
}

function jobView(job: BackfillJob): BackfillJobType {
  return {
    id: job.id,
    specId: job.specId,
    specVersion: job.specVersion,
    subject: job.subject,
    topics: [...job.topics],
    fromBeginning: job.from.beginning,
    fromTimestamp: job.from.timestamp,
    status: job.status,
    ...job.progress,
    unpublished: job.progress.unpublished ?? 0,
    error: job.error,
    startedAt: job.startedAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt,
  };
}

function letterView(letter: DeadLetterView): DeadLetterType {
  return {
    id: letter.id,
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    key: letter.key,
    value: letter.value,
    keyBase64: letter.keyBase64,
    valueBase64: letter.valueBase64,
    headers: letter.headers.map((h) => ({ ...h })),
    timestamp: letter.timestamp,
    code: letter.code,
    message: letter.message,
    details: letter.details,
    specId: letter.spec?.id ?? null,
    specVersion: letter.spec?.version ?? null,
    deadLetteredAt: letter.deadLetteredAt,
    replayed: letter.replayed,
    attempts: letter.attempts,
    lastReplayedAt: letter.lastReplayedAt,
    resolution: letter.resolution,
  };
}

function toFilter(input: DeadLetterFilterInput | undefined): DeadLetterFilter {
  return {
    ...(input?.topic ? { topic: input.topic } : {}),
    ...(input?.specId ? { specId: input.specId } : {}),
    ...(input?.code ? { code: input.code } : {}),
    ...(input?.since ? { since: new Date(input.since) } : {}),
    ...(input?.until ? { until: new Date(input.until) } : {}),
    ...(input?.includeResolved ? { includeResolved: true } : {}),
  };
}
