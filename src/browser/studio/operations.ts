import type { JsonObject } from './json-value';

/**
 * Every GraphQL operation the studio sends, as typed constants (reads go through `catalog { … }`,
 * mutations stay at the root): the page calls them through
 * `request` (graphql-client.ts) with their variables type-checked, and a unit test validates
 * each document against the committed SDL (schema/graphql/canonql.graphql), so a renamed or
 * removed field fails the test rather than the page.
 */
export interface Operation<TData, TVariables> {
  readonly document: string;
  /** Never set: carries the types of the answer and of the variables. */
  readonly types?: { readonly data: TData; readonly variables: TVariables };
}

type NoVariables = Record<string, never>;

function operation<TData, TVariables = NoVariables>(document: string): Operation<TData, TVariables> {
  return { document };
}

// ---- answers ----------------------------------------------------------------------------------

export interface RawTopicSummary {
  readonly topic: string;
  readonly currentVersion: number | null;
  readonly sampled: number;
}

export interface RawFieldStats {
  readonly path: string;
  readonly typeSet: readonly string[];
  readonly types: Readonly<Record<string, number | null>>;
  readonly presence: number;
  readonly inPartialUpdates: number;
  readonly nullRate: number;
  readonly examples: readonly unknown[];
  readonly formats: readonly { readonly format: string; readonly count: number }[];
  readonly current: boolean;
}

export interface RawSchemaVersion {
  readonly version: number;
  readonly recordedAt: string;
  readonly changes: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly typeChanged: readonly { readonly path: string; readonly from: readonly string[]; readonly to: readonly string[] }[];
  };
}

export interface RawTopicDetail extends RawTopicSummary {
  readonly lastSeen: string | null;
  readonly versions: readonly RawSchemaVersion[];
  readonly fields: readonly RawFieldStats[];
}

export interface SourceTopic {
  readonly topic: string;
  readonly readBySpecs: readonly string[];
  readonly profiledOnly: boolean;
}

export interface SchemaSubject {
  readonly subject: string;
  readonly latestVersion: number;
  readonly deprecated: boolean;
}

export interface TransformArg {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly description: string;
  readonly values: readonly string[] | null;
  readonly default: unknown;
}

export interface MappingTransform {
  readonly name: string;
  readonly description: string;
  readonly args: readonly TransformArg[];
}

export interface SpecVersion {
  readonly id: string;
  readonly version: number;
  readonly active: boolean;
  readonly origin: string;
  readonly registeredAt: string;
  readonly subject: string;
  readonly topics: readonly string[];
  readonly spec: JsonObject;
}

export interface SpecActivation {
  readonly action: string;
  readonly version: number | null;
  readonly at: string;
}

export interface PreviewTypeMismatch {
  readonly source: string;
  readonly target: string;
  readonly sourceTypes: readonly string[];
  readonly targetTypes: readonly string[];
  readonly message: string;
}

export interface PreviewRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly status: 'mapped' | 'skipped' | 'error';
  readonly op: string | null;
  readonly key: string | null;
  readonly canonical: JsonObject | null;
  readonly unset: readonly string[];
  readonly errors: readonly string[];
  readonly errorCode: string | null;
  /** Canonical fields the errors concern, as field keys (`lines[*].qty`). */
  readonly fields: readonly string[];
}

export interface SpecPreview {
  readonly subject: string;
  readonly mapped: number;
  readonly failed: number;
  readonly skipped: number;
  readonly coveredSourceFields: readonly string[];
  readonly unmappedSourceFields: readonly string[];
  readonly missingSourceFields: readonly string[];
  readonly typeMismatches: readonly PreviewTypeMismatch[];
  readonly records: readonly PreviewRecord[];
}

// ---- 1. raw topics ----------------------------------------------------------------------------

export const RAW_TOPICS = operation<{ catalog: { rawTopics: RawTopicSummary[] } }>(
  'query StudioRawTopics { catalog { rawTopics { topic currentVersion sampled } } }',
);

export const RAW_TOPIC = operation<{ catalog: { rawTopic: RawTopicDetail } }, { topic: string }>(
  'query StudioRawTopic($topic: String!) { catalog { rawTopic(topic: $topic) { topic currentVersion sampled lastSeen ' +
    'versions { version recordedAt changes { added removed typeChanged { path from to } } } ' +
    'fields(includeRemoved: false) { path typeSet types { string number integer boolean null object array } presence inPartialUpdates nullRate examples formats { format count } current } } } }',
);

export const SOURCE_TOPICS = operation<{ catalog: { sourceTopics: SourceTopic[] } }>(
  'query StudioSourceTopics { catalog { sourceTopics { topic readBySpecs profiledOnly } } }',
);

export const PROFILE_TOPIC = operation<{ profileRawTopic: boolean }, { topic: string }>(
  'mutation StudioProfileTopic($topic: String!) { profileRawTopic(topic: $topic) }',
);

// ---- 2. subjects ------------------------------------------------------------------------------

export const SUBJECTS = operation<{ catalog: { schemaSubjects: SchemaSubject[] } }>(
  'query StudioSubjects { catalog { schemaSubjects { subject latestVersion deprecated } } }',
);

export const SUBJECT_SCHEMA = operation<{ catalog: { schemaVersion: { version: number; schema: JsonObject } | null } }, { subject: string }>(
  'query StudioSchema($subject: String!) { catalog { schemaVersion(subject: $subject) { version schema } } }',
);

export const REGISTER_SUBJECT = operation<
  { registerCanonicalSchema: { subject: string; version: number; created: boolean } },
  { subject: string; schema: JsonObject }
>(
  'mutation StudioRegisterSchema($subject: String!, $schema: JSON!) { registerCanonicalSchema(subject: $subject, schema: $schema, expectedVersion: 0) { subject version created } }',
);

// ---- 3. mapping -------------------------------------------------------------------------------

export const TRANSFORMS = operation<{ catalog: { mappingTransforms: MappingTransform[] } }>(
  'query StudioTransforms { catalog { mappingTransforms { name description args { name type required description values default } } } }',
);

// ---- 4. preview -------------------------------------------------------------------------------

export const PREVIEW = operation<{ catalog: { previewMappingSpec: SpecPreview } }, { spec: JsonObject; last: number; schema: JsonObject | null }>(
  'query StudioPreview($spec: JSON!, $last: Int!, $schema: JSON) { catalog { previewMappingSpec(spec: $spec, last: $last, schema: $schema) { subject mapped failed skipped ' +
    'coveredSourceFields unmappedSourceFields missingSourceFields typeMismatches { source target sourceTypes targetTypes message } ' +
    'records { topic partition offset status op key canonical unset errors errorCode fields } } } }',
);

// ---- 5. versions and lifecycle ----------------------------------------------------------------

export const SPECS = operation<{ catalog: { mappingSpecs: SpecVersion[] } }>(
  'query StudioSpecs { catalog { mappingSpecs { id version active origin registeredAt subject topics spec } } }',
);

export const SPEC_VERSIONS = operation<{ catalog: { mappingSpecs: SpecVersion[] } }, { id: string }>(
  'query StudioVersions($id: String!) { catalog { mappingSpecs(id: $id) { id version active origin registeredAt subject topics spec } } }',
);

export const SPEC_HISTORY = operation<{ catalog: { mappingSpecHistory: SpecActivation[] } }, { id: string }>(
  'query StudioHistory($id: String!) { catalog { mappingSpecHistory(id: $id) { action version at } } }',
);

export const REGISTER_SPEC = operation<{ registerMappingSpec: SpecVersion }, { spec: JsonObject }>(
  'mutation StudioRegisterSpec($spec: JSON!) { registerMappingSpec(spec: $spec) { id version active origin registeredAt subject topics spec } }',
);

export const ACTIVATE_SPEC = operation<
  { activateMappingSpec: { id: string; version: number; active: boolean } },
  { id: string; version: number; expected: number | null }
>(
  'mutation StudioActivate($id: String!, $version: Int!, $expected: Int) { activateMappingSpec(id: $id, version: $version, expectedActiveVersion: $expected) { id version active } }',
);

export const ROLLBACK_SPEC = operation<{ rollbackMappingSpec: { id: string; version: number; active: boolean; spec: JsonObject } }, { id: string }>(
  'mutation StudioRollback($id: String!) { rollbackMappingSpec(id: $id) { id version active spec } }',
);

export const DEACTIVATE_SPEC = operation<{ deactivateMappingSpec: boolean }, { id: string }>(
  'mutation StudioDeactivate($id: String!) { deactivateMappingSpec(id: $id) }',
);
