import type { Collection, Db } from 'mongodb';
import type { CompatibilityLevel } from './compatibility';
import type { SchemaType } from './schema-ids';

/**
 * The writer schemas of raw topics (`<topic>-value`, `<topic>-key`, as Debezium's Avro or JSON
 * Schema converter registers them), kept beside the canonical schemas but apart from them: their
 * own collections, their own subjects, any schema type. They are contracts of the sources, not of
 * canonql: nothing of the GraphQL API or the canonical catalog is built from them, and a canonical
 * subject's rules (object schemas, GraphQL names) do not apply. Versions are immutable; a version
 * is one insert keyed `<subject>#<version>`, so concurrent registrations cannot both win.
 */
export const RAW_SCHEMA_VERSIONS_COLLECTION = 'raw_schema_versions';
export const RAW_SCHEMA_SUBJECTS_COLLECTION = 'raw_schema_subjects';

export interface RawSchemaVersion {
  readonly subject: string;
  readonly version: number;
  readonly schemaType: SchemaType;
  /** Normalized schema text. */
  readonly schema: string;
}

export interface RawSchemaStore {
  subjects(): Promise<string[]>;
  versions(subject: string): Promise<RawSchemaVersion[]>;
  /** Inserts the next version; false when someone registered that version first. */
  insert(version: RawSchemaVersion): Promise<boolean>;
  compatibility(subject: string): Promise<CompatibilityLevel | null>;
  setCompatibility(subject: string, level: CompatibilityLevel | null): Promise<void>;
}

interface VersionDoc extends RawSchemaVersion {
  _id: string;
  registeredAt: Date;
}

interface SubjectDoc {
  _id: string;
  compatibility: CompatibilityLevel | null;
}

export function createRawSchemaStore(db: Db): RawSchemaStore {
  const versions: Collection<VersionDoc> = db.collection<VersionDoc>(RAW_SCHEMA_VERSIONS_COLLECTION);
  const subjects: Collection<SubjectDoc> = db.collection<SubjectDoc>(RAW_SCHEMA_SUBJECTS_COLLECTION);
  return {
    async subjects() {
      return [...new Set((await versions.find({}, { projection: { subject: 1 } }).toArray()).map((d) => d.subject))].sort();
    },
    async versions(subject) {
      const docs = await versions.find({ subject }).sort({ version: 1 }).toArray();
      return docs.map((d) => ({ subject: d.subject, version: d.version, schemaType: d.schemaType, schema: d.schema }));
    },
    async insert(version) {
      try {
        await versions.insertOne({ _id: `${version.subject}#${version.version}`, ...version, registeredAt: new Date() });
        return true;
      } catch (error) {
        if ((error as { code?: unknown }).code === 11000) return false;
        throw error;
      }
    },
    async compatibility(subject) {
      return (await subjects.findOne({ _id: subject }))?.compatibility ?? null;
    },
    async setCompatibility(subject, level) {
      await subjects.updateOne({ _id: subject }, { $set: { compatibility: level } }, { upsert: true });
    },
  };
}
