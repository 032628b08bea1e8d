import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from '../scalars';

/** GraphQL shapes of the mapping-spec lifecycle, previews, backfills and dead letters. */

@ObjectType('MappingSpecVersion', { description: 'One registered version of a mapping spec.' })
export class MappingSpecVersionType {
  @Field(() => String) id!: string;
  @Field(() => Int) version!: number;
  @Field(() => Boolean, { description: 'True for the one version ingestion runs.' }) active!: boolean;
  @Field(() => String, { description: '`file` (seeded from specs/) or `api`.' }) origin!: string;
  @Field(() => DateTimeScalar) registeredAt!: Date;
  @Field(() => String) subject!: string;
  @Field(() => [String]) topics!: string[];
  @Field(() => JSONScalar, { description: 'The spec document, as in a specs/ file.' }) spec!: unknown;
}

@ObjectType('SpecActivation', { description: 'One change of which version of a spec is active.' })
export class SpecActivationType {
  @Field(() => Int, { nullable: true, description: 'Null: deactivated.' }) version!: number | null;
  @Field(() => DateTimeScalar) at!: Date;
  @Field(() => String, { description: 'activate, deactivate or rollback.' }) action!: string;
}

@ObjectType('SpecPreviewRecord', { description: 'What one raw record would become under the spec.' })
export class SpecPreviewRecordType {
  @Field(() => String) topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => String) offset!: string;
  @Field(() => String, { description: '`mapped`, `skipped` or `error` (would be dead-lettered).' }) status!: string;
  @Field(() => String, { nullable: true, description: 'Debezium op: c, u, d or r.' }) op!: string | null;
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => JSONScalar, { nullable: true, description: 'Canonical document (full image) or fields set (partial update).' }) canonical!: unknown;
  @Field(() => [String]) unset!: string[];
  @Field(() => [String], { description: 'Canonical schema problems, or why the record would be dead-lettered.' }) errors!: string[];
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => [String], { description: 'Canonical fields the errors concern, as paths without `$.` and with `[*]` for array steps (`lines[*].qty`).' })
  fields!: string[];
}

@ObjectType('SpecTypeMismatch', { description: 'A source field copied as is whose raw types the canonical field does not accept.' })
export class SpecTypeMismatchType {
  @Field(() => String) source!: string;
  @Field(() => String) target!: string;
  @Field(() => [String]) sourceTypes!: string[];
  @Field(() => [String]) targetTypes!: string[];
  @Field(() => String) message!: string;
}

@ObjectType('SpecPreview', { description: 'A dry run of a spec: nothing is written.' })
export class SpecPreviewType {
  @Field(() => String) subject!: string;
  @Field(() => [SpecPreviewRecordType]) records!: SpecPreviewRecordType[];
  @Field(() => Int) mapped!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) skipped!: number;
  @Field(() => [String], { description: 'Source fields the spec reads that the raw data has.' }) coveredSourceFields!: string[];
  @Field(() => [String], { description: 'Source fields in the raw data that no mapping reads.' }) unmappedSourceFields!: string[];
  @Field(() => [String], { description: 'Source fields the spec reads that the raw data never had.' }) missingSourceFields!: string[];
  @Field(() => [SpecTypeMismatchType]) typeMismatches!: SpecTypeMismatchType[];
}

@InputType('RawEventInput', { description: 'A raw Kafka record for a preview: key and value as JSON (or JSON text).' })
export class RawEventInput {
  @Field(() => JSONScalar, { nullable: true }) key?: unknown;
  @Field(() => JSONScalar, { nullable: true, description: 'Null or omitted: a tombstone (what Kafka keeps of a deleted key).' }) value?: unknown;
}

@ObjectType('BackfillJob', { description: "A re-canonicalization of a subject from a spec's raw topics." })
export class BackfillJobType {
  @Field(() => ID) id!: string;
  @Field(() => String) specId!: string;
  @Field(() => Int) specVersion!: number;
  @Field(() => String) subject!: string;
  @Field(() => [String]) topics!: string[];
  @Field(() => Boolean) fromBeginning!: boolean;
  @Field(() => DateTimeScalar, { nullable: true }) fromTimestamp!: Date | null;
  @Field(() => String, { description: 'running, completed or failed.' }) status!: string;
  @Field(() => Int, { description: 'Raw records to read (grows with catch-up rounds).' }) total!: number;
  @Field(() => Int) read!: number;
  @Field(() => Int, { description: 'Entities folded.' }) entities!: number;
  @Field(() => Int, { description: 'Entities written with a new version.' }) rewritten!: number;
  @Field(() => Int) unchanged!: number;
  @Field(() => Int, { description: 'Records or entities that fail mapping or the canonical schema.' }) failed!: number;
  @Field(() => Int, {
    description: 'Rewritten entities whose canonical event is over the topic message limit: not published, dead-lettered with EVENT_TOO_LARGE.',
  })
  unpublished!: number;
  @Field(() => Int) rounds!: number;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => DateTimeScalar) startedAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) finishedAt!: Date | null;
}

@ObjectType('DeadLetterHeader', { description: 'A Kafka header of the original record.' })
export class DeadLetterHeaderType {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true, description: 'The value as text; null when it is absent or not UTF-8 (see valueBase64).' }) value!: string | null;
  @Field(() => String, { nullable: true, description: 'The exact bytes of the value, base64.' }) valueBase64!: string | null;
}

@ObjectType('DeadLetter', { description: 'A raw record that could not be ingested, with the reason.' })
export class DeadLetterType {
  @Field(() => ID, { description: 'topic:partition:offset:spec' }) id!: string;
  @Field(() => String) topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => String) offset!: string;
  @Field(() => String, { nullable: true, description: 'The key as text; null when absent or not UTF-8 (see keyBase64).' }) key!: string | null;
  @Field(() => String, { nullable: true, description: 'The value as text; null when absent or not UTF-8 (see valueBase64).' }) value!: string | null;
  @Field(() => String, { nullable: true, description: 'The exact bytes of the key, base64.' }) keyBase64!: string | null;
  @Field(() => String, { nullable: true, description: 'The exact bytes of the value, base64.' }) valueBase64!: string | null;
  @Field(() => [DeadLetterHeaderType], { description: "The original record's headers, in order (replayed with it)." }) headers!: DeadLetterHeaderType[];
  @Field(() => String, { nullable: true, description: 'The Kafka record timestamp, milliseconds since the epoch.' }) timestamp!: string | null;
  @Field(() => String) code!: string;
  @Field(() => String) message!: string;
  @Field(() => JSONScalar, { nullable: true }) details!: unknown;
  @Field(() => String, { nullable: true }) specId!: string | null;
  @Field(() => Int, { nullable: true }) specVersion!: number | null;
  @Field(() => DateTimeScalar) deadLetteredAt!: Date;
  @Field(() => Boolean, { description: 'True once a replay resolved it.' }) replayed!: boolean;
  @Field(() => Int) attempts!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastReplayedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'How a replay resolved it: applied, duplicate or stale.' }) resolution!: string | null;
}

@InputType('DeadLetterFilter')
export class DeadLetterFilterInput {
  @Field(() => String, { nullable: true }) topic?: string;
  @Field(() => String, { nullable: true }) specId?: string;
  @Field(() => String, { nullable: true }) code?: string;
  @Field(() => DateTimeScalar, { nullable: true }) since?: string;
  @Field(() => DateTimeScalar, { nullable: true }) until?: string;
  @Field(() => Boolean, { nullable: true, description: 'Also list letters a replay resolved.' }) includeResolved?: boolean;
}

@ObjectType('DeadLetterReplay', { description: 'The outcome of replaying one dead letter.' })
export class DeadLetterReplayType {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'applied, duplicate, stale (resolved), dead-lettered or skipped (still open).' }) outcome!: string;
  @Field(() => String, {
    nullable: true,
    description:
      'Why: the error code of a letter still open; SUPERSEDED for a stale one whose logged event (EVENT_TOO_LARGE) is older than the entity, so it was not published.',
  })
  code!: string | null;
  @Field(() => String, { nullable: true }) message!: string | null;
}

@ObjectType('MappingTransformArg')
export class MappingTransformArgType {
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'string, number, integer, boolean, object, array, path, paths or any.' }) type!: string;
  @Field(() => Boolean) required!: boolean;
  @Field(() => String) description!: string;
  @Field(() => [String], { nullable: true, description: 'The only accepted values of a string argument.' }) values!: string[] | null;
  @Field(() => JSONScalar, { nullable: true, description: 'What an omitted optional argument means.' }) default!: unknown;
}

@ObjectType('MappingTransform', { description: 'A transform of the mapping engine, usable in `fieldMappings[].transform`.' })
export class MappingTransformType {
  @Field(() => String) name!: string;
  @Field(() => String) description!: string;
  @Field(() => [MappingTransformArgType]) args!: MappingTransformArgType[];
}
