import type { Db } from 'mongodb';
import { stateCollectionName, type StoredEntity } from '../state/entity-store';

/**
 * The current non-deleted entities of a subject, in key order, read page by page.
 *
 * Pages continue with `_id > last` rather than one long server cursor: the supported stores all
 * do that well, and no cursor stays open while a slow client drains its buffer. Each entity is
 * read once; a change that lands between pages is either in the page read after it or published
 * after the feed's start position, so the change stream that follows carries it.
 */
export async function* readSnapshot(db: Db, subject: string, pageSize = 500): AsyncGenerator<StoredEntity> {
  const collection = db.collection<StoredEntity>(stateCollectionName(subject));
  let last: string | null = null;
  for (;;) {
    const filter: Record<string, unknown> = { '_meta.deleted': { $ne: true } };
    if (last !== null) filter._id = { $gt: last };
    const page = await collection.find(filter).sort({ _id: 1 }).limit(pageSize).toArray();
    for (const entity of page) yield entity;
    if (page.length < pageSize) return;
    last = page[page.length - 1]!._id;
  }
}
