import { isUtf8 } from 'node:buffer';
import type { Collection, Db } from 'mongodb';
import type { RawRecord } from '../ingestion/debezium/decoded-record';
import { COUNTERS_COLLECTION, PROFILES_COLLECTION, SAMPLES_COLLECTION, VERSIONS_COLLECTION, type ProfileDoc } from './profile-doc';
import type { FieldShape, SchemaChanges } from './schema-drift';

/**
 * Discovery's collections. Everything is keyed so that concurrent writers never need a
 * transaction: each process replaces only its own profile documents; a schema version's `_id` is
 * `topic|version`, so two processes recording the same next version collide on the key and the
 * loser re-reads; samples are keyed by their Kafka coordinates, so a replayed record is stored once.
 */
export interface VersionDoc {
  readonly _id: string;
  readonly topic: string;
  readonly version: number;
  /** Position in the order versions were recorded, over all topics. */
  readonly sequence: number;
  readonly recordedAt: Date;
  /** The inferred JSON Schema as JSON text (its keys, `$schema` and source field names, need not be valid MongoDB field names). */
  readonly schemaJson: string;
  readonly fields: FieldShape[];
  readonly changes: SchemaChanges;
  /** Registry-encoded topics: the writer schema ids of the records profiled with this version as their shape (added as they are seen). */
  readonly writerSchemaIds?: number[];
}

export interface SampleDoc {
  readonly _id: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly timestamp: string | null;
  /** When it was observed (stamp, see profile-doc.ts): the order of "the last N". */
  readonly stamp: number;
  /**
   * The exact bytes, base64, of a key or value that is not UTF-8 (a registry-encoded record, say):
   * the text beside it is then lossy, and a spec preview decodes these bytes instead.
   */
  readonly keyBase64?: string;
  readonly valueBase64?: string;
}

export function profiles(db: Db): Collection<ProfileDoc> {
  return db.collection<ProfileDoc>(PROFILES_COLLECTION);
}

export function versions(db: Db): Collection<VersionDoc> {
  return db.collection<VersionDoc>(VERSIONS_COLLECTION);
}

export function samples(db: Db): Collection<SampleDoc> {
  return db.collection<SampleDoc>(SAMPLES_COLLECTION);
}

export async function ensureDiscoveryIndexes(db: Db): Promise<void> {
  await profiles(db).createIndex({ topic: 1 });
  await versions(db).createIndex({ topic: 1, version: 1 }, { unique: true });
  await samples(db).createIndex({ topic: 1, stamp: -1 });
}

export function versionId(topic: string, version: number): string {
  return `${topic}|${version}`;
}

export async function latestVersion(db: Db, topic: string): Promise<VersionDoc | null> {
  return versions(db).find({ topic }).sort({ version: -1 }).limit(1).next();
}

/** The next value of the global version sequence ($inc on one counter document). */
export async function nextSequence(db: Db): Promise<number> {
  const counter = await db
    .collection<{ _id: string; value: number }>(COUNTERS_COLLECTION)
    .findOneAndUpdate({ _id: 'versions' }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' });
  return counter!.value;
}

export function sampleDoc(raw: RawRecord, stamp: number): SampleDoc {
  return {
    _id: `${raw.topic}|${raw.partition}|${raw.offset}`,
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    key: raw.key ? raw.key.toString('utf8') : null,
    value: raw.value ? raw.value.toString('utf8') : null,
    timestamp: raw.timestamp ?? null,
    stamp,
    ...(raw.key && !isUtf8(raw.key) ? { keyBase64: raw.key.toString('base64') } : {}),
    ...(raw.value && !isUtf8(raw.value) ? { valueBase64: raw.value.toString('base64') } : {}),
  };
}

export function rawRecordOf(doc: SampleDoc): RawRecord {
  return {
    topic: doc.topic,
    partition: doc.partition,
    offset: doc.offset,
    key: doc.keyBase64 !== undefined ? Buffer.from(doc.keyBase64, 'base64') : doc.key === null ? null : Buffer.from(doc.key, 'utf8'),
    value: doc.valueBase64 !== undefined ? Buffer.from(doc.valueBase64, 'base64') : doc.value === null ? null : Buffer.from(doc.value, 'utf8'),
    ...(doc.timestamp !== null ? { timestamp: doc.timestamp } : {}),
  };
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
