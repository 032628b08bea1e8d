import type { Db } from 'mongodb';
import { orderKeysOf } from './order-keys';
import type { StoredEntity } from './entity-store';

/**
 * Brings state written before order keys existed (no `_k`) to the current encoding: each
 * entity gets the keys of its data. Run by every process at start, before it ingests or serves.
 *
 * Resumable by construction: what is left is exactly the entities without `_k`, so a process
 * killed half-way (or a second process migrating at the same time) continues where the store
 * stands. Each write is guarded by the version read, so a concurrent change is never overwritten
 * (the store writes `_k` with every change itself); nothing but `_k` is touched.
 */
export interface MigrationProgress {
  readonly collection: string;
  readonly done: number;
  readonly total: number;
}

export interface MigrationResult {
  readonly migrated: number;
  readonly collections: number;
}

export async function migrateOrderKeys(
  db: Db,
  options: { readonly batchSize: number; readonly onProgress?: (progress: MigrationProgress) => void },
): Promise<MigrationResult> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => n.startsWith('state_'))
    .sort();
  let migrated = 0;
  let collections = 0;
  for (const name of names) {
    const collection = db.collection<StoredEntity>(name);
    const pending = { _k: { $exists: false } };
    const total = await collection.countDocuments(pending);
    if (total === 0) continue;
    collections += 1;
    let done = 0;
    options.onProgress?.({ collection: name, done, total });
    for (;;) {
      const batch = await collection
        .find(pending, { projection: { data: 1, '_meta.version': 1 } })
        .sort({ _id: 1 })
        .limit(options.batchSize)
        .toArray();
      if (batch.length === 0) break;
      await collection.bulkWrite(
        batch.map((doc) => ({
          updateOne: { filter: { _id: doc._id, '_meta.version': doc._meta.version }, update: { $set: { _k: orderKeysOf(doc.data ?? {}) } } },
        })),
        { ordered: false },
      );
      done += batch.length;
      migrated += batch.length;
      options.onProgress?.({ collection: name, done: Math.min(done, total), total });
    }
  }
  return { migrated, collections };
}
