import type { Db } from 'mongodb';
import type { Logger } from '../logger';

/**
 * One counter in the store that every catalog write bumps (schemas, mapping specs, metric
 * definitions). Every canonql process polls it and reloads what it serves when it moves, so a
 * mutation served by one API process takes effect in every ingestion and API process without a
 * restart. Polling one small document is used because the store offers no change streams.
 */
export const CATALOG_REVISION_COLLECTION = 'catalog_revision';

interface RevisionDoc {
  _id: 'catalog';
  revision: number;
}

export async function bumpCatalogRevision(db: Db): Promise<number> {
  const updated = await db
    .collection<RevisionDoc>(CATALOG_REVISION_COLLECTION)
    .findOneAndUpdate({ _id: 'catalog' }, { $inc: { revision: 1 } }, { upsert: true, returnDocument: 'after' });
  return updated?.revision ?? 1;
}

export async function readCatalogRevision(db: Db): Promise<number> {
  return (await db.collection<RevisionDoc>(CATALOG_REVISION_COLLECTION).findOne({ _id: 'catalog' }))?.revision ?? 0;
}

export interface RevisionWatch {
  /** Resolves after a reload of the revision seen now has run (tests and mutations wait on it). */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Calls `onChange` (serially, never two at once) whenever the revision differs from the last one
 * handled. A failing reload is logged and retried at the next tick.
 */
export function watchCatalogRevision(db: Db, options: { intervalMs: number; logger: Logger; onChange: (revision: number) => Promise<void> }): RevisionWatch {
  let handled = -1;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const revision = await readCatalogRevision(db);
        if (revision === handled) return;
        await options.onChange(revision);
        handled = revision;
      } catch (error) {
        options.logger.warn({ err: error }, 'catalog reload failed; retrying at the next tick');
      }
    });
    return running;
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return {
    refresh: () => tick(),
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
