import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { CompatibilityLevel } from '../../catalog/compatibility';
import { DateTimeScalar, JSONScalar } from '../scalars';

/** GraphQL types of the canonical schema registry (schema-registry.resolver.ts). */
export const CompatibilityLevelEnum = {
  BACKWARD: 'BACKWARD',
  BACKWARD_TRANSITIVE: 'BACKWARD_TRANSITIVE',
  FORWARD: 'FORWARD',
  FORWARD_TRANSITIVE: 'FORWARD_TRANSITIVE',
  FULL: 'FULL',
  FULL_TRANSITIVE: 'FULL_TRANSITIVE',
  NONE: 'NONE',
} as const satisfies Record<CompatibilityLevel, CompatibilityLevel>;

registerEnumType(CompatibilityLevelEnum, {
  name: 'CompatibilityLevel',
  description: 'What a new version of a canonical schema must keep valid.',
  valuesConfig: {
    BACKWARD: { description: 'Documents valid under the latest version stay valid (default).' },
    BACKWARD_TRANSITIVE: { description: 'Documents valid under any earlier version stay valid.' },
    FORWARD: { description: 'Documents valid under the new version are valid under the latest one.' },
    FORWARD_TRANSITIVE: { description: 'Documents valid under the new version are valid under every earlier one.' },
    FULL: { description: 'BACKWARD and FORWARD against the latest version.' },
    FULL_TRANSITIVE: { description: 'BACKWARD and FORWARD against every earlier version.' },
    NONE: { description: 'No check at all, GraphQL breaking changes included.' },
  },
});

@ObjectType('CanonicalSchemaVersion', { description: "One immutable version of a canonical subject's JSON Schema." })
export class CanonicalSchemaVersionType {
  @Field(() => String) subject!: string;
  @Field(() => Int) version!: number;
  @Field(() => JSONScalar, { description: 'The JSON Schema (2020-12).' }) schema!: Record<string, unknown>;
  @Field(() => String, { description: '`file` (seeded from schema/canonical/) or `api`.' }) origin!: string;
  @Field(() => DateTimeScalar) registeredAt!: Date;
}

@ObjectType('SchemaCompatibilityViolation', { description: 'One rule a candidate schema breaks.' })
export class SchemaCompatibilityViolationType {
  @Field(() => String, { description: 'JSON pointer into the schema (`/properties/tier/enum`), or `graphql:<Type.field>`.' }) path!: string;
  @Field(() => String, { description: 'Rule broken, e.g. PROPERTY_ADDED_TO_OPEN_MODEL, REQUIRED_ADDED, GRAPHQL_BREAKING.' }) rule!: string;
  @Field(() => String) message!: string;
  @Field(() => String, { description: '`backward` (earlier documents or queries would break) or `forward` (new documents invalid for earlier readers).' })
  direction!: string;
  @Field(() => Int, { nullable: true, description: 'Earlier version compared with (transitive levels).' }) against!: number | null;
}

@ObjectType('SchemaCompatibility', { description: 'Verdict of a dry-run compatibility check.' })
export class SchemaCompatibilityType {
  @Field(() => String) subject!: string;
  @Field(() => CompatibilityLevelEnum) level!: CompatibilityLevel;
  @Field(() => Int, { description: 'Latest version compared with (0: a new subject).' }) latestVersion!: number;
  @Field(() => Boolean) compatible!: boolean;
  @Field(() => [String], {
    description:
      'Problems of the schema itself (not a valid canonical schema), and what it would break in the mapping specs active for the subject (`mapping-spec "<id>" version <n>: fieldMappings[1].dst: ...`: a path a spec writes that would no longer be a field, a default its field would no longer accept).',
  })
  problems!: string[];
  @Field(() => [SchemaCompatibilityViolationType]) violations!: SchemaCompatibilityViolationType[];
}

@ObjectType('SchemaRegistration', { description: 'Outcome of registerCanonicalSchema.' })
export class SchemaRegistrationType {
  @Field(() => String) subject!: string;
  @Field(() => Int) version!: number;
  @Field(() => Boolean, { description: 'False when the schema equals the latest version (nothing registered).' }) created!: boolean;
}

@ObjectType('CompatibilitySetting', { description: 'The compatibility level in force for a subject, or the global one.' })
export class CompatibilitySettingType {
  @Field(() => String, { nullable: true, description: 'null: the global level.' }) subject!: string | null;
  @Field(() => CompatibilityLevelEnum) level!: CompatibilityLevel;
  @Field(() => String, { description: '`subject` (its own level) or `global`.' }) source!: string;
}

@ObjectType('SchemaSubject', { description: 'A subject of the schema registry.' })
export class SchemaSubjectType {
  @Field(() => String) subject!: string;
  @Field(() => Int) latestVersion!: number;
  @Field(() => CompatibilityLevelEnum, { nullable: true, description: 'Its own level; null: the global one applies.' })
  compatibility!: CompatibilityLevel | null;
  @Field(() => CompatibilityLevelEnum, { description: 'The level that applies.' }) effectiveCompatibility!: CompatibilityLevel;
  @Field(() => Boolean) deprecated!: boolean;
  @Field(() => String, { nullable: true }) deprecationReason!: string | null;
  @Field(() => Boolean, { description: 'Soft-deleted: not served; versions and entity data kept.' }) deleted!: boolean;
}
