import type { Db } from 'mongodb';
import { bumpCatalogRevision } from '../catalog/catalog-revision';

/**
 * Raw topics an admin asked discovery to profile although no active spec reads them yet, so a
 * new source can be explored (fields, types, samples) before its mapping is written. Part of the
 * catalog: every change bumps the revision, and ingestion processes follow it.
 */
export interface ProfiledTopics {
  list(): Promise<string[]>;
  /** False when the topic was already listed. */
  add(topic: string): Promise<boolean>;
  /** False when the topic was not listed. */
  remove(topic: string): Promise<boolean>;
}

export const PROFILED_TOPICS_COLLECTION = 'discovery_topics';

export function createProfiledTopics(db: Db): ProfiledTopics {
  const collection = db.collection<{ _id: string; addedAt: Date }>(PROFILED_TOPICS_COLLECTION);
  return {
    async list() {
      return (await collection.find({}).toArray()).map((doc) => doc._id).sort();
    },
    async add(topic) {
      const result = await collection.updateOne({ _id: topic }, { $setOnInsert: { addedAt: new Date() } }, { upsert: true });
      if (result.upsertedCount === 0) return false;
      await bumpCatalogRevision(db);
      return true;
    },
    async remove(topic) {
      const result = await collection.deleteOne({ _id: topic });
      if (result.deletedCount === 0) return false;
      await bumpCatalogRevision(db);
      return true;
    },
  };
}
