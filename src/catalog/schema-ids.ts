import crypto from 'node:crypto';
import type { Collection, Db } from 'mongodb';

/**
 * Global schema ids, as a Confluent-compatible registry hands them out: one id per distinct schema
 * (its type and its normalized text), whatever subject or version holds it, so the same schema
 * registered under two subjects has one id, and an id never changes meaning. The wire format
 * (magic byte + 4-byte id) carries these ids on every record.
 *
 * An id is allocated the first time a schema is asked for: a document keyed by the schema's
 * fingerprint, numbered from a counter. Two processes allocating the same schema at once race on
 * the fingerprint's `_id`; the loser reads the winner's id (its counter value is a gap, which the
 * protocol allows). Canonical versions registered before ids existed get theirs when first served.
 */
export const SCHEMA_IDS_COLLECTION = 'registry_schema_ids';
const COUNTER_COLLECTION = 'registry_counters';

/** What a raw or canonical schema is written in; Confluent's `schemaType` (absent means AVRO). */
export type SchemaType = 'AVRO' | 'JSON';

export interface IdentifiedSchema {
  readonly id: number;
  readonly schemaType: SchemaType;
  /** The normalized schema text (what GET /schemas/ids/{id} serves). */
  readonly schema: string;
  /** Subjects known to hold this schema (a scoped reader may read it when it may read one of them). */
  readonly subjects: readonly string[];
}

export interface SchemaIds {
  /**
   * The id of a schema held by `subject` (allocated on first use; the subject is recorded with the
   * id). `text` must already be normalized (normalizeSchemaText).
   */
  idOf(schemaType: SchemaType, text: string, subject: string): Promise<number>;
  byId(id: number): Promise<IdentifiedSchema | null>;
}

interface IdDoc {
  _id: string;
  id: number;
  schemaType: SchemaType;
  schema: string;
  subjects: string[];
}

/** The text a schema is stored, compared and fingerprinted as: parsed and printed back (whitespace gone, key order kept). */
export function normalizeSchemaText(text: string): string {
  return JSON.stringify(JSON.parse(text));
}

export function createSchemaIds(db: Db): SchemaIds {
  const ids: Collection<IdDoc> = db.collection<IdDoc>(SCHEMA_IDS_COLLECTION);
  const counters = db.collection<{ _id: string; value: number }>(COUNTER_COLLECTION);
  let indexed: Promise<unknown> | null = null;
  const ensureIndex = () => {
    indexed ??= ids.createIndex({ id: 1 }, { unique: true }).catch((error: unknown) => {
      indexed = null;
      throw error;
    });
    return indexed;
  };
  // Ids already known in this process: an id never changes, so they need no expiry.
  const known = new Map<string, number>();

  return {
    async idOf(schemaType, text, subject) {
      const fingerprint = `${schemaType}:${crypto.createHash('sha256').update(text).digest('hex')}`;
      const cached = known.get(`${fingerprint}\u0000${subject}`);
      if (cached !== undefined) return cached;
      await ensureIndex();
      let doc = await ids.findOne({ _id: fingerprint });
      if (!doc) {
        const next = await counters.findOneAndUpdate({ _id: 'schema-id' }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' });
        try {
          await ids.insertOne({ _id: fingerprint, id: next!.value, schemaType, schema: text, subjects: [subject] });
        } catch (error) {
          if ((error as { code?: unknown }).code !== 11000) throw error;
        }
        doc = await ids.findOne({ _id: fingerprint });
      }
      if (!doc!.subjects.includes(subject)) await ids.updateOne({ _id: fingerprint }, { $addToSet: { subjects: subject } });
      known.set(`${fingerprint}\u0000${subject}`, doc!.id);
      return doc!.id;
    },
    async byId(id) {
      const doc = await ids.findOne({ id });
      return doc ? { id: doc.id, schemaType: doc.schemaType, schema: doc.schema, subjects: doc.subjects } : null;
    },
  };
}
