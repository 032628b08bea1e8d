import { type Db, type Document, WriteConcern } from 'mongodb';

/** What a write command needs of a collection: its name and write concern. */
interface Target {
  readonly collectionName: string;
  readonly writeConcern?: WriteConcern;
}

/**
 * Unordered writes (`insert`, `update`, `delete`) sent as the store's write commands, for the
 * writes ingestion makes per change: the event log's inserts, the guarded state writes and the
 * log's published marks.
 *
 * Why not the driver's bulk API (`insertMany`, `bulkWrite`): for each operation it builds a
 * wrapper, measures the document's BSON with a full pass (`calculateObjectSize`), checks update
 * documents for operators, and builds a result with every inserted id, before the same documents
 * are serialised again to be sent. In a probe of 5,000 state-like documents against the local
 * store, this process spent 10–12 µs of CPU per document inserted through `insertMany` against
 * 6 through the command, and 13–16 µs per guarded replace through `bulkWrite` against 6
 * (docs/performance.md). The commands are the same the driver sends; what is left out is the
 * bookkeeping. Batches are cut by the caller's size bound instead of the measuring pass.
 */

/** An operation refused by the store, by its index in the caller's list. */
export interface WriteCommandError {
  readonly index: number;
  readonly code: number;
  readonly errmsg: string;
}

export interface WriteCommandResult {
  /**
   * Operations that took effect: documents inserted, update filters matched, documents deleted.
   * Trust it only without write errors: the local store counts a refused insert in it too.
   */
  readonly n: number;
  readonly writeErrors: readonly WriteCommandError[];
}

export interface UpdateStatement {
  readonly q: Document;
  /** A replacement document, or an update with operators (`$set`). */
  readonly u: Document;
}

export interface DeleteStatement {
  readonly q: Document;
  readonly limit: 0 | 1;
}

/** The most operations in one write command (the server's `maxWriteBatchSize`). */
const MAX_OPERATIONS = 100_000;
/**
 * The most bytes of operations (by the caller's bound) in one command. A command is one BSON
 * document, which the server takes up to 16 MiB (and 16 KiB over for the command's own fields);
 * the bound leaves room for bounds that are not tight.
 */
export const MAX_COMMAND_BYTES = 12 * 1024 * 1024;

export function insertUnordered<T extends Document>(db: Db, collection: Target, documents: readonly T[], bytesOf: (doc: T) => number) {
  return runUnordered(db, collection, 'insert', 'documents', documents, bytesOf);
}

export function updateUnordered(db: Db, collection: Target, updates: readonly UpdateStatement[], bytesOf: (update: UpdateStatement) => number) {
  return runUnordered(db, collection, 'update', 'updates', updates, bytesOf);
}

export function deleteUnordered(db: Db, collection: Target, deletes: readonly DeleteStatement[], bytesOf: (remove: DeleteStatement) => number) {
  return runUnordered(db, collection, 'delete', 'deletes', deletes, bytesOf);
}

/**
 * Cuts `operations` into commands of at most MAX_OPERATIONS and MAX_COMMAND_BYTES (an operation
 * larger than that alone goes alone: the store refuses it with an error of its own), sends them one
 * after the other, and adds up what they did. A command the store refuses as a whole (`ok: 0`) or
 * whose write concern failed throws, as the driver's bulk API does; a refused operation is a
 * write error, with its index in `operations`.
 */
async function runUnordered<T>(
  db: Db,
  collection: Target,
  command: 'insert' | 'update' | 'delete',
  field: 'documents' | 'updates' | 'deletes',
  operations: readonly T[],
  bytesOf: (operation: T) => number,
): Promise<WriteCommandResult> {
  let n = 0;
  const writeErrors: WriteCommandError[] = [];
  let start = 0;
  while (start < operations.length) {
    let end = start;
    let bytes = 0;
    while (end < operations.length && end - start < MAX_OPERATIONS) {
      const size = bytesOf(operations[end]!);
      if (end > start && bytes + size > MAX_COMMAND_BYTES) break;
      bytes += size;
      end += 1;
    }
    const body: Document = {
      [command]: collection.collectionName,
      [field]: start === 0 && end === operations.length ? operations : operations.slice(start, end),
      ordered: false,
    };
    if (collection.writeConcern) WriteConcern.apply(body, collection.writeConcern);
    const reply = await db.command(body);
    n += typeof reply.n === 'number' ? reply.n : 0;
    for (const error of (reply.writeErrors ?? []) as WriteCommandError[])
      writeErrors.push({ index: error.index + start, code: error.code, errmsg: error.errmsg });
    if (reply.writeConcernError) {
      const { code, errmsg } = reply.writeConcernError as { code?: number; errmsg?: string };
      throw Object.assign(new Error(`write concern not satisfied on ${collection.collectionName}: ${errmsg ?? 'no message'}`), { code });
    }
    start = end;
  }
  return { n, writeErrors };
}
