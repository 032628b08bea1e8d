import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { MergedProfile } from '../../discovery/profile-merge';
import { DateTimeScalar, JSONScalar } from '../scalars';

/** GraphQL types of raw-schema discovery (see src/discovery/). Counts are Float: they outgrow Int. */

@ObjectType('RawOpCounts', { description: 'Profiled change records by Debezium op.' })
export class RawOpCountsType {
  @Field(() => Float) create!: number;
  @Field(() => Float) update!: number;
  @Field(() => Float) delete!: number;
  @Field(() => Float, { description: 'Snapshot reads.' }) read!: number;
}

@ObjectType('RawTypeCounts', { description: 'Values of a field by JSON type.' })
export class RawTypeCountsType {
  @Field(() => Float) string!: number;
  @Field(() => Float) integer!: number;
  @Field(() => Float) number!: number;
  @Field(() => Float) boolean!: number;
  @Field(() => Float) null!: number;
  @Field(() => Float) object!: number;
  @Field(() => Float) array!: number;
}

@ObjectType('RawFormatCount', { description: 'String values of a field in one recognised format.' })
export class RawFormatCountType {
  @Field(() => String, { description: 'date-time, date, time, email, uuid, uri, ipv4 or decimal (a numeric string).' })
  format!: string;

  @Field(() => Float) count!: number;
}

@ObjectType('RawFieldStats', { description: 'Statistics of one field of a raw topic, over the profiled records of every ingestion process.' })
export class RawFieldStatsType {
  @Field(() => String, { description: 'JSONPath in mapping-spec syntax: `$.customer.email`, `$.items[*].sku`.' })
  path!: string;

  @Field(() => Float, { description: 'Full row images carrying the field (at least one value, for paths inside arrays).' })
  present!: number;

  @Field(() => Float, { description: 'present / profiled full images, 0..1.' })
  presence!: number;

  @Field(() => Float, {
    description:
      'Partial updates (MongoDB patches, rows with unchanged TOAST columns) carrying the field. They say nothing of the fields they do not carry, ' +
      'so they never count in `presence`: a field seen only in them has presence 0 and inPartialUpdates > 0.',
  })
  inPartialUpdates!: number;

  @Field(() => Float, { description: 'Values observed: one per record, one per array element below [*]; partial updates included.' })
  values!: number;

  @Field(() => RawTypeCountsType)
  types!: RawTypeCountsType;

  @Field(() => [String], { description: 'The JSON types observed, in a fixed order.' })
  typeSet!: string[];

  @Field(() => Float, { description: 'types.null / values, 0..1.' })
  nullRate!: number;

  @Field(() => Float, { nullable: true })
  minNumber!: number | null;

  @Field(() => Float, { nullable: true })
  maxNumber!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Earliest date-time or date string, as written in the raw records (a date without a time cannot be a DateTime).',
  })
  minDate!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Latest date-time or date string, as written in the raw records (a date without a time cannot be a DateTime).',
  })
  maxDate!: string | null;

  @Field(() => [RawFormatCountType])
  formats!: RawFormatCountType[];

  @Field(() => Float, { description: 'Distinct values: exact up to 64, else a HyperLogLog estimate (standard error 3.25%).' })
  distinct!: number;

  @Field(() => Boolean, { description: 'True when `distinct` is exact.' })
  distinctExact!: boolean;

  @Field(() => [JSONScalar], { description: 'Up to five distinct scalar values, first seen first.' })
  examples!: unknown[];

  @Field(() => DateTimeScalar)
  firstSeen!: Date;

  @Field(() => DateTimeScalar)
  lastSeen!: Date;

  @Field(() => Boolean, { description: 'False once the drift rule counts the field as removed.' })
  current!: boolean;
}

@ObjectType('RawTypeChange')
export class RawTypeChangeType {
  @Field(() => String) path!: string;
  @Field(() => [String]) from!: string[];
  @Field(() => [String]) to!: string[];
}

@ObjectType('RawSchemaChanges', { description: 'What changed from the previous version (version 1: every field added).' })
export class RawSchemaChangesType {
  @Field(() => [String]) added!: string[];
  @Field(() => [String]) removed!: string[];
  @Field(() => [RawTypeChangeType]) typeChanged!: RawTypeChangeType[];
}

@ObjectType('RawFieldShape', { description: 'A field of a raw schema version and its types.' })
export class RawFieldShapeType {
  @Field(() => String) path!: string;
  @Field(() => [String]) types!: string[];
}

@ObjectType('RawSchemaVersion', { description: 'A recorded shape of a raw topic: a new one each time its documents drift.' })
export class RawSchemaVersionType {
  @Field(() => String) topic!: string;
  @Field(() => Int) version!: number;
  @Field(() => Float, { description: 'Order of recording over all topics.' }) sequence!: number;
  @Field(() => DateTimeScalar) recordedAt!: Date;
  @Field(() => JSONScalar, { description: 'The inferred JSON Schema at that version.' }) schema!: Record<string, unknown>;
  @Field(() => [RawFieldShapeType]) fields!: RawFieldShapeType[];
  @Field(() => RawSchemaChangesType) changes!: RawSchemaChangesType;
  @Field(() => [Int], {
    description:
      "Registry-encoded topics (avro, json-schema): the ids, in the topic's source registry, of the writer schemas of the records profiled with this version as their shape, ascending (a writer schema that leaves the shape as it is adds its id to the latest version). Empty for JSON topics.",
  })
  writerSchemaIds!: number[];
}

@ObjectType('RawSample', { description: 'A raw Kafka record as ingestion read it (key and value as UTF-8 text).' })
export class RawSampleType {
  @Field(() => String) topic!: string;
  @Field(() => Int) partition!: number;
  @Field(() => String) offset!: string;
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => String, { nullable: true }) value!: string | null;
  @Field(() => String, { nullable: true, description: 'Kafka timestamp, ms since the epoch.' }) timestamp!: string | null;
}

@ObjectType('RawTopic', { description: 'A raw (Debezium) topic read by ingestion, with its inferred schema.' })
export class RawTopicType {
  @Field(() => String) topic!: string;
  @Field(() => Int, { nullable: true, description: 'Latest recorded schema version.' }) currentVersion!: number | null;
  @Field(() => Float, { description: 'Change records profiled (after sampling), all processes.' }) sampled!: number;
  @Field(() => DateTimeScalar, { nullable: true }) firstSeen!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastSeen!: Date | null;

  /** The merged profile, loaded once per object by whichever field needs it first. */
  profile?: Promise<MergedProfile | null>;
}
