import { Arg, Ctx, Field, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { MetricRegistry } from '../../metrics/metric-registry';
import type { DefinitionVersion } from '../../catalog/definition-registry';
import { AppError, ErrorCode } from '../../errors';
import type { MetricDefinition } from '../../metrics/metric-definition';
import { requireAdmin } from '../access';
import type { ApiContext } from '../context';
import { readableVersions, registeredVersions, type DefinitionReads } from './registered-versions';
import { DateTimeScalar, JSONScalar } from '../scalars';
import { SpecActivationType } from './spec-admin.types';

/**
 * Metric definitions through the same lifecycle as mapping specs: versions, one active version
 * per name, rollback. Activating a version the metrics role has never computed starts its backfill
 * from canonical state; `metricDefinitions` shows its progress.
 */
@ObjectType('MetricDefinitionVersion', { description: 'One registered version of a metric definition.' })
export class MetricDefinitionVersionType {
  @Field(() => String) name!: string;
  @Field(() => Int) version!: number;
  @Field(() => Boolean) active!: boolean;
  @Field(() => String, { description: '`file` (seeded from specs/metrics/) or `api`.' }) origin!: string;
  @Field(() => DateTimeScalar) registeredAt!: Date;
  @Field(() => String) subject!: string;
  @Field(() => JSONScalar, { description: 'The definition document, as in a specs/metrics/ file.' }) definition!: unknown;
}

@Resolver()
export class MetricAdminResolver {
  @Query(() => [MetricDefinitionVersionType], {
    description: 'Registered metric definition versions (of one metric, or all). NOT_FOUND for a `name` no metric has.',
  })
  async metricDefinitionVersions(
    @Arg('name', () => String, { nullable: true }) name: string | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<MetricDefinitionVersionType[]> {
    const reads = metricReads(ctx);
    return (
      name === undefined || name === null ? await readableVersions(reads, ctx.principal) : await registeredVersions(reads, ctx.principal, 'name', name)
    ).map(view);
  }

  @Query(() => [SpecActivationType], {
    description: 'Activations, deactivations and rollbacks of a metric, oldest first. NOT_FOUND for a `name` no metric has.',
  })
  async metricDefinitionHistory(@Arg('name', () => String) name: string, @Ctx() ctx: ApiContext): Promise<SpecActivationType[]> {
    await registeredVersions(metricReads(ctx), ctx.principal, 'name', name);
    return [...(await registry(ctx).history(name))];
  }

  @Mutation(() => MetricDefinitionVersionType, { description: 'Registers a metric definition version (validated, inactive unless `activate`).' })
  async registerMetricDefinition(
    @Arg('definition', () => JSONScalar) definition: unknown,
    @Arg('activate', () => Boolean, { defaultValue: false }) activate: boolean,
    @Ctx() ctx: ApiContext,
  ): Promise<MetricDefinitionVersionType> {
    requireAdmin(ctx.principal);
    if (definition && typeof definition === 'object' && !Array.isArray(definition) && !('version' in definition)) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, 'version: required when registering through the API', {
        details: ['version: required when registering through the API'],
      });
    }
    let registered = await registry(ctx).register(definition);
    if (activate) registered = await registry(ctx).activate(registered.id, registered.version);
    await ctx.services.admin!.refresh();
    return view(registered);
  }

  @Mutation(() => MetricDefinitionVersionType, { description: 'Makes a version the active one; a version never computed is backfilled from canonical state.' })
  async activateMetricDefinition(
    @Arg('name', () => String) name: string,
    @Arg('version', () => Int) version: number,
    @Arg('expectedActiveVersion', () => Int, { nullable: true }) expectedActiveVersion: number | undefined,
    @Ctx() ctx: ApiContext,
  ): Promise<MetricDefinitionVersionType> {
    requireAdmin(ctx.principal);
    const activated = await registry(ctx).activate(name, version, expectedActiveVersion ?? undefined);
    await ctx.services.admin!.refresh();
    return view(activated);
  }

  @Mutation(() => Boolean, { description: 'Stops maintaining and serving the metric (its rollups stay in the store).' })
  async deactivateMetricDefinition(@Arg('name', () => String) name: string, @Ctx() ctx: ApiContext): Promise<boolean> {
    requireAdmin(ctx.principal);
    await registry(ctx).deactivate(name);
    await ctx.services.admin!.refresh();
    return true;
  }

  @Mutation(() => MetricDefinitionVersionType, { description: 'Activates the version that was active before the current one.' })
  async rollbackMetricDefinition(@Arg('name', () => String) name: string, @Ctx() ctx: ApiContext): Promise<MetricDefinitionVersionType> {
    requireAdmin(ctx.principal);
    const version = await registry(ctx).rollback(name);
    await ctx.services.admin!.refresh();
    return view(version);
  }
}

/** The metric definitions as the caller may read them: a metric is its subject's. */
function metricReads(ctx: ApiContext): DefinitionReads<MetricDefinition> {
  return { registry: registry(ctx), what: 'metric', subjectOf: (version) => version.body.subject };
}

function registry(ctx: ApiContext): MetricRegistry {
  const found = ctx.services.admin?.metrics;
  if (!found) throw new AppError(ErrorCode.NOT_FOUND, 'metrics are turned off in this process (CANONQL_METRICS=false)');
  return found;
}

function view(version: DefinitionVersion<MetricDefinition>): MetricDefinitionVersionType {
  return {
    name: version.id,
    version: version.version,
    active: version.active,
    origin: version.origin,
    registeredAt: version.registeredAt,
    subject: version.body.subject,
    definition: version.body,
  };
}
