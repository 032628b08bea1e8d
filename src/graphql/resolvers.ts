import { DiscoveryResolver } from './discovery/discovery.resolver';
import { SchemaRegistryResolver } from './catalog-admin/schema-registry.resolver';
import { MetricResolver } from './metrics/metric.resolver';
import { CatalogResolver } from './shared/catalog.resolver';
import { MetricAdminResolver } from './spec-admin/metric-admin.resolver';
import { SpecAdminResolver } from './spec-admin/spec-admin.resolver';
import { SubjectStatusResolver } from './status/subject-status.resolver';

/**
 * The type-graphql resolver classes of the fixed part of the API (everything not generated per
 * subject). Each capability adds its resolver class here.
 */
// biome-ignore lint/complexity/noBannedTypes: type-graphql types its resolver list as NonEmptyArray<Function>
export const FIXED_RESOLVERS: [Function, ...Function[]] = [
  CatalogResolver,
  MetricResolver,
  SchemaRegistryResolver,
  DiscoveryResolver,
  SpecAdminResolver,
  MetricAdminResolver,
  SubjectStatusResolver,
];
