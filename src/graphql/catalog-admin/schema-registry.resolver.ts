import { Arg, Ctx, Extensions, Int, Mutation, Query, Resolver } from 'type-graphql';
import { AppError, ErrorCode, unknownName, unknownVersion } from '../../errors';
import type { CompatibilityLevel } from '../../catalog/compatibility';
import type { SchemaRegistry, SchemaVersionRecord, SubjectRecord } from '../../catalog/schema-registry';
import { adminOnly, canReadSubject, requireAdmin, requireSubjectRead } from '../access';
import type { ApiContext } from '../context';
import { JSONScalar } from '../scalars';
import {
  CanonicalSchemaVersionType,
  CompatibilityLevelEnum,
  CompatibilitySettingType,
  SchemaCompatibilityType,
  SchemaRegistrationType,
  SchemaSubjectType,
} from './schema-registry.types';

/**
 * The canonical schema registry over GraphQL. Reads, including the dry-run `schemaCompatibility`,
 * are open to readers (it writes nothing); every mutation needs an admin credential. A mutation
 * returns once the change is stored and applied to this process (a registered field is already
 * queryable); other processes follow within one catalog poll interval.
 */
@Resolver()
export class SchemaRegistryResolver {
  @Query(() => [CanonicalSchemaVersionType], {
    description: 'Every version of a canonical subject, oldest first. NOT_FOUND for a subject the registry does not have.',
  })
  async schemaVersions(@Arg('subject', () => String) subject: string, @Ctx() ctx: ApiContext): Promise<CanonicalSchemaVersionType[]> {
    return (await registeredVersions(ctx, subject)).map(versionView);
  }

  @Query(() => CanonicalSchemaVersionType, {
    nullable: true,
    description: 'One version of a subject; without `version`, the latest. NOT_FOUND for a subject the registry does not have, or a version it does not.',
  })
  async schemaVersion(
    @Arg('subject', () => String) subject: string,
    @Arg('version', () => Int, { nullable: true }) version: number | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<CanonicalSchemaVersionType> {
    const versions = await registeredVersions(ctx, subject);
    const found = version === null || version === undefined ? versions.at(-1) : versions.find((v) => v.version === version);
    if (!found) throw unknownVersion(`subject "${subject}"`, version!, versions);
    return versionView(found);
  }

  @Query(() => CompatibilitySettingType, {
    description: 'The compatibility level in force for a subject; without `subject`, the global level. NOT_FOUND for a subject the registry does not have.',
  })
  async compatibilityLevel(
    @Arg('subject', () => String, { nullable: true }) subject: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<CompatibilitySettingType> {
    const registry = registryOf(ctx);
    if (subject === null || subject === undefined) return { subject: null, level: await registry.globalCompatibility(), source: 'global' };
    await registeredVersions(ctx, subject);
    return { subject, ...(await registry.compatibilityOf(subject)) };
  }

  @Query(() => SchemaCompatibilityType, {
    description: 'Dry run: would `schema` be accepted as the next version of `subject`? Lists every problem and violation; registers nothing. Open to readers.',
  })
  async schemaCompatibility(
    @Arg('subject', () => String) subject: string,
    @Arg('schema', () => JSONScalar) schema: unknown,
    @Ctx() ctx: ApiContext,
  ): Promise<SchemaCompatibilityType> {
    requireSubjectRead(ctx.principal, subject);
    const result = await registryOf(ctx).check(subject, schema);
    return {
      subject: result.subject,
      level: result.level,
      latestVersion: result.latestVersion,
      compatible: result.compatible,
      problems: [...result.problems, ...result.specProblems],
      violations: result.violations.map((v) => ({ ...v, against: v.against ?? null })),
    };
  }

  @Query(() => [SchemaSubjectType], { description: 'Subjects of the schema registry; `includeDeleted` (admin only) lists soft-deleted ones too.' })
  @Extensions(adminOnly({ whenArgument: 'includeDeleted' }))
  async schemaSubjects(
    @Arg('includeDeleted', () => Boolean, { defaultValue: false }) includeDeleted: boolean,
    @Ctx() ctx: ApiContext,
  ): Promise<SchemaSubjectType[]> {
    if (includeDeleted) requireAdmin(ctx.principal);
    const registry = registryOf(ctx);
    const global = await registry.globalCompatibility();
    return (await registry.subjects({ includeDeleted }))
      .filter((record) => canReadSubject(ctx.principal, record.subject))
      .map((record) => subjectView(record, global));
  }

  @Mutation(() => SchemaRegistrationType, {
    description:
      "Registers `schema` as the next version of `subject` (a new subject at version 1) after checking it against the subject's compatibility level and, at every level, against the mapping specs active for it (a path one writes must stay a field, and a default one fills in a value the field accepts: deactivate or update the spec first). Every problem: BAD_USER_INPUT with `extensions.details`; `expectedVersion` not the latest: CONFLICT.",
  })
  async registerCanonicalSchema(
    @Arg('subject', () => String) subject: string,
    @Arg('schema', () => JSONScalar) schema: unknown,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'The latest version the caller saw (0 for a new subject).' }) expectedVersion:
      | number
      | null
      | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<SchemaRegistrationType> {
    requireAdmin(ctx.principal);
    const result = await registryOf(ctx).register(subject, schema, { expectedVersion: expectedVersion ?? null, origin: 'api' });
    await refresh(ctx);
    return result;
  }

  @Mutation(() => CompatibilitySettingType, {
    description: 'Sets the compatibility level of a subject, or the global one without `subject`. `level: null` with a subject: back to the global level.',
  })
  async setCompatibilityLevel(
    @Arg('subject', () => String, { nullable: true }) subject: string | null | undefined,
    @Arg('level', () => CompatibilityLevelEnum, { nullable: true }) level: CompatibilityLevel | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<CompatibilitySettingType> {
    requireAdmin(ctx.principal);
    const registry = registryOf(ctx);
    await registry.setCompatibility(level ?? null, subject ?? null);
    await refresh(ctx);
    return subject === null || subject === undefined
      ? { subject: null, level: await registry.globalCompatibility(), source: 'global' }
      : { subject, ...(await registry.compatibilityOf(subject)) };
  }

  @Mutation(() => SchemaSubjectType, {
    description: 'Marks a subject deprecated (still served, flagged in `subjects`), or not any more with `deprecated: false`.',
  })
  async deprecateSubject(
    @Arg('subject', () => String) subject: string,
    @Arg('deprecated', () => Boolean, { defaultValue: true }) deprecated: boolean,
    @Arg('reason', () => String, { nullable: true }) reason: string | null | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<SchemaSubjectType> {
    requireAdmin(ctx.principal);
    const registry = registryOf(ctx);
    const record = await registry.deprecate(subject, deprecated, reason ?? null);
    await refresh(ctx);
    return subjectView(record, await registry.globalCompatibility());
  }

  @Mutation(() => SchemaSubjectType, {
    description: 'Soft-deletes a subject: its types leave the API; its versions and entity data stay. Registering a new version brings it back.',
  })
  async deleteSubject(@Arg('subject', () => String) subject: string, @Ctx() ctx: ApiContext): Promise<SchemaSubjectType> {
    requireAdmin(ctx.principal);
    const registry = registryOf(ctx);
    const record = await registry.delete(subject);
    await refresh(ctx);
    return subjectView(record, await registry.globalCompatibility());
  }
}

/**
 * A subject's versions, oldest first. FORBIDDEN outside a reader's scope (whether the subject
 * exists or not: a scoped reader is told nothing of others), NOT_FOUND when the registry has none.
 */
async function registeredVersions(ctx: ApiContext, subject: string): Promise<SchemaVersionRecord[]> {
  requireSubjectRead(ctx.principal, subject);
  const registry = registryOf(ctx);
  const versions = await registry.versions(subject);
  if (versions.length === 0) {
    const known = (await registry.subjects()).map((record) => record.subject).filter((name) => canReadSubject(ctx.principal, name));
    throw unknownName('subject', 'subject', subject, known);
  }
  return versions;
}

/** The registry feeding the served catalog. */
function registryOf(ctx: ApiContext): SchemaRegistry {
  if (!ctx.services.schemaRegistry) throw new AppError(ErrorCode.INTERNAL, 'the schema registry is not available in this process');
  return ctx.services.schemaRegistry.registry;
}

async function refresh(ctx: ApiContext): Promise<void> {
  await ctx.services.schemaRegistry?.refresh();
}

function versionView(record: SchemaVersionRecord): CanonicalSchemaVersionType {
  return { subject: record.subject, version: record.version, schema: record.schema, origin: record.origin, registeredAt: record.registeredAt };
}

function subjectView(record: SubjectRecord, global: CompatibilityLevel): SchemaSubjectType {
  return { ...record, effectiveCompatibility: record.compatibility ?? global };
}
