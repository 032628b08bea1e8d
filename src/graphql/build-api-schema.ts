import 'reflect-metadata';
import {
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  isIntrospectionType,
  isSpecifiedScalarType,
  type GraphQLEnumType,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  type GraphQLNamedType,
} from 'graphql';
import { buildSchemaSync, getMetadataStorage } from 'type-graphql';
import type { ApiContext } from './context';
import { FIXED_RESOLVERS } from './resolvers';
import { SHARED_OBJECT_TYPES } from './shared/catalog.resolver';
import { ChangeOpEnum, ResyncReasonEnum, SortDirectionEnum } from './shared/enums';
import { subjectMetricQuery } from './metrics/subject-metric-fields';
import { subjectQueries } from './subject/subject-queries';
import { buildSubjectTypes, type SharedTypes, type SubjectTypes } from './subject/subject-schema';

/**
 * The served schema: the fixed part built by type-graphql (catalog queries, shared types) merged
 * with the per-subject part generated from the canonical JSON Schemas. Rebuilt whenever the
 * catalog changes; the merge reuses the fixed part's type instances so every name is one type.
 */
export interface SubjectEntry {
  readonly subject: string;
  readonly version: number;
  readonly schema: Record<string, unknown>;
}

export type SubscriptionFieldsFactory = (types: readonly SubjectTypes[], shared: SharedTypes) => GraphQLFieldConfigMap<unknown, ApiContext>;

/**
 * The fixed part never changes within a process: built once (type-graphql's build is most of the
 * cost of a rebuild, and servable-subject checks build a schema per subject).
 */
let fixedSchema: GraphQLSchema | undefined;
const fixedPart = () => {
  if (!fixedSchema) {
    declareArgumentsInOrder();
    fixedSchema = buildSchemaSync({ resolvers: FIXED_RESOLVERS, orphanedTypes: SHARED_OBJECT_TYPES, validate: false });
  }
  return fixedSchema;
};

/**
 * TypeScript applies a method's parameter decorators from the last parameter to the first, so
 * type-graphql records each `@Arg` in reverse and lists a field's arguments in that order
 * (`metric(groupBy, where, to, from, window, name)`); it orders them by index only when it calls
 * the method. Its recorded parameters are put back in declaration order (by index, per method)
 * before the build, so every field of the fixed part lists its arguments as its method declares
 * them. Idempotent: the metadata is global and sorting it again changes nothing.
 */
export function declareArgumentsInOrder(): void {
  const storage = getMetadataStorage();
  const byMethod = new Map<unknown, Map<string, typeof storage.params>>();
  for (const param of storage.params) {
    let methods = byMethod.get(param.target);
    if (!methods) byMethod.set(param.target, (methods = new Map()));
    let params = methods.get(param.methodName);
    if (!params) methods.set(param.methodName, (params = []));
    params.push(param);
  }
  storage.params = [...byMethod.values()].flatMap((methods) => [...methods.values()].flatMap((params) => [...params].sort((a, b) => a.index - b.index)));
}

export function buildApiSchema(subjects: readonly SubjectEntry[], subscriptions?: SubscriptionFieldsFactory): GraphQLSchema {
  const fixed = fixedPart();
  const shared: SharedTypes = {
    EntityMeta: fixed.getType('EntityMeta') as GraphQLObjectType,
    PageInfo: fixed.getType('PageInfo') as GraphQLObjectType,
    SortDirection: SortDirectionEnum,
    ChangeOp: ChangeOpEnum,
    ResyncReason: ResyncReasonEnum,
    MetricWindow: fixed.getType('MetricWindow') as GraphQLEnumType,
    MetricBucket: fixed.getType('MetricBucket') as GraphQLObjectType,
    filters: new Map(),
  };
  const built = new Map<string, SubjectTypes>();
  for (const entry of [...subjects].sort((a, b) => a.subject.localeCompare(b.subject))) {
    built.set(
      entry.subject,
      buildSubjectTypes(entry.subject, entry.schema, shared, (subject) => built.get(subject)),
    );
  }
  const types = [...built.values()];

  const { data, catalog, catalogType, mutationType } = fixedQueries();
  const query = new GraphQLObjectType<unknown, ApiContext>({
    name: 'Query',
    fields: () => {
      const entityFields: FieldConfigs = Object.assign({}, ...types.map((t) => ({ ...subjectQueries(t), ...subjectMetricQuery(t, shared) })));
      return {
        ...entityFields,
        ...data,
        catalog: {
          type: new GraphQLNonNull(catalogType),
          description:
            'The catalog and its administration: served subjects and their status, the schema registry, mapping specs, metric definitions, raw-topic discovery, backfills and dead letters.',
          resolve: () => CATALOG_ROOT,
        },
        ...deprecatedRootAliases(catalog),
        // Again, so a subject field colliding with a fixed one replaces it (in its own place) and
        // the served-schema check sees the replacement, rather than the subject's field vanishing.
        ...entityFields,
      };
    },
  });
  const subscriptionFields = subscriptions?.(types, shared) ?? {};
  const subscription =
    Object.keys(subscriptionFields).length > 0 ? new GraphQLObjectType<unknown, ApiContext>({ name: 'Subscription', fields: subscriptionFields }) : undefined;
  const fixedTypes = Object.values(fixed.getTypeMap()).filter(
    (type: GraphQLNamedType) => !isIntrospectionType(type) && !isSpecifiedScalarType(type) && type.name !== 'Query' && type.name !== 'Mutation',
  );
  return new GraphQLSchema({
    query,
    ...(mutationType ? { mutation: mutationType } : {}),
    ...(subscription ? { subscription } : {}),
    types: [...fixedTypes, catalogType, SortDirectionEnum, ChangeOpEnum, ResyncReasonEnum, ...types.flatMap((t) => [t.entity, t.change])],
  });
}

/**
 * The Query root, in this order: each subject's entity fields (`order`, `orders`, `orderHistory`,
 * `ordersAggregate`, subject by subject), the data queries of the fixed part (`metric`), then
 * `catalog`, which holds everything that describes or administers the service. Catalog fields
 * are grouped by area, each area's names starting with its noun (`schema…`, `mappingSpec…`,
 * `metricDefinition…`, `rawTopic…`). The rule and its reasons: docs/graphql-api.md#naming.
 */
export const DATA_QUERY_FIELDS: readonly string[] = ['metric'];

/** Catalog fields by area, in the order the API lists them. */
export const CATALOG_AREAS: readonly (readonly string[])[] = [
  ['subjects', 'subject', 'subjectStatus'],
  ['schemaSubjects', 'schemaVersions', 'schemaVersion', 'compatibilityLevel', 'schemaCompatibility'],
  ['mappingSpecs', 'mappingSpec', 'mappingSpecHistory', 'mappingTransforms', 'previewMappingSpec', 'backfillJobs', 'backfillJob'],
  ['metricDefinitions', 'metricDefinitionVersions', 'metricDefinitionHistory'],
  ['rawTopics', 'rawTopic', 'sourceTopics'],
  ['deadLetters'],
];

/** Mutations by the same areas, in the order the Mutation root lists them. */
export const MUTATION_AREAS: readonly (readonly string[])[] = [
  ['registerCanonicalSchema', 'setCompatibilityLevel', 'deprecateSubject', 'deleteSubject'],
  ['registerMappingSpec', 'activateMappingSpec', 'deactivateMappingSpec', 'rollbackMappingSpec', 'backfillMappingSpec', 'replayDeadLetters'],
  ['registerMetricDefinition', 'activateMetricDefinition', 'deactivateMetricDefinition', 'rollbackMetricDefinition'],
  ['profileRawTopic', 'stopProfilingRawTopic'],
];

/** The value `catalog` resolves to: its fields' resolvers read services from the context, not from it. */
const CATALOG_ROOT = Object.freeze({});

type FieldConfigs = GraphQLFieldConfigMap<unknown, ApiContext>;
interface FixedRoots {
  readonly data: FieldConfigs;
  readonly catalog: FieldConfigs;
  readonly catalogType: GraphQLObjectType;
  readonly mutationType: GraphQLObjectType | undefined;
}
let fixedQueryParts: FixedRoots | undefined;

/** Fields in the areas' order, then any field no area lists (by name). */
function inAreaOrder(fields: FieldConfigs, areas: readonly (readonly string[])[], except: readonly string[] = []): FieldConfigs {
  const ordered: FieldConfigs = {};
  for (const name of [...areas.flat(), ...Object.keys(fields).sort()]) {
    if (!except.includes(name) && fields[name] && !ordered[name]) ordered[name] = fields[name]!;
  }
  return ordered;
}

/**
 * The fixed part's roots as served (built once, like the fixed part): its query fields split into
 * data fields and the `Catalog` type, and its mutations by area. type-graphql lists fields in the
 * order their decorators ran (module load order), so the order is set here.
 */
function fixedQueries(): FixedRoots {
  if (fixedQueryParts) return fixedQueryParts;
  const fields = fixedPart().getQueryType()!.toConfig().fields as FieldConfigs;
  const data: FieldConfigs = {};
  for (const name of DATA_QUERY_FIELDS) if (fields[name]) data[name] = fields[name]!;
  const catalog = inAreaOrder(fields, CATALOG_AREAS, DATA_QUERY_FIELDS);
  const catalogType = new GraphQLObjectType<unknown, ApiContext>({
    name: 'Catalog',
    description:
      'What the service serves and how it is fed: one field of the Query root (`catalog { … }`), so the entity fields of the root stay the API a frontend reads.',
    fields: catalog,
  });
  const mutation = fixedPart().getMutationType()?.toConfig();
  const mutationType =
    mutation && new GraphQLObjectType<unknown, ApiContext>({ ...mutation, fields: inAreaOrder(mutation.fields as FieldConfigs, MUTATION_AREAS) });
  fixedQueryParts = { data, catalog, catalogType, mutationType };
  return fixedQueryParts;
}

/**
 * The catalog fields at the Query root under their former names, deprecated: clients written
 * before `catalog` existed keep working (the explorer hides deprecated fields) until a release
 * removes them.
 */
function deprecatedRootAliases(catalog: FieldConfigs): FieldConfigs {
  const aliases: FieldConfigs = {};
  for (const [name, config] of Object.entries(catalog)) {
    const alias: GraphQLFieldConfig<unknown, ApiContext> = { ...config, deprecationReason: `Moved to catalog { ${name} }.` };
    aliases[name] = alias;
  }
  return aliases;
}
