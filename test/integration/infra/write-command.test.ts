import { BSON, MongoClient, type Document } from 'mongodb';
import { deleteUnordered, insertUnordered, MAX_COMMAND_BYTES, updateUnordered } from '../../../src/infra/write-command';
import { databasePerTest, testConfig } from '../../support/test-env';

/**
 * Unordered write commands against the real store: what they did counted, refused operations
 * named by their index in the caller's list (across the commands a list is cut into), and a list
 * cut where the caller's size bound says.
 */
describe('unordered write commands', () => {
  const db = databasePerTest('write_command');
  const size = (doc: Document) => BSON.calculateObjectSize(doc);

  it('inserts, and names each duplicate by its index', async () => {
    const col = db().collection<{ _id: string; n: number }>('docs');
    expect(await insertUnordered(db(), col, [{ _id: 'a', n: 1 }], size)).toEqual({ n: 1, writeErrors: [] });
    const result = await insertUnordered(
      db(),
      col,
      [
        { _id: 'b', n: 2 },
        { _id: 'a', n: 3 },
        { _id: 'c', n: 4 },
      ],
      size,
    );
    // n is not asserted: the local store counts a refused insert in it too (MongoDB does not).
    expect(result.writeErrors.map((e) => [e.index, e.code])).toEqual([[1, 11000]]);
    expect(await col.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 2 },
      { _id: 'c', n: 4 },
    ]);
  });

  it('counts the guarded updates and deletes whose filter matched', async () => {
    const col = db().collection<{ _id: string; v: number }>('guarded');
    await col.insertMany([
      { _id: 'a', v: 1 },
      { _id: 'b', v: 1 },
      { _id: 'c', v: 1 },
    ]);
    const updated = await updateUnordered(
      db(),
      col,
      [
        { q: { _id: 'a', v: 1 }, u: { v: 2 } },
        { q: { _id: 'b', v: 7 }, u: { v: 8 } },
        { q: { _id: 'c', v: 1 }, u: { $set: { v: 3 } } },
      ],
      (u) => size(u.u) + 64,
    );
    expect(updated).toEqual({ n: 2, writeErrors: [] });
    const deleted = await deleteUnordered(
      db(),
      col,
      [
        { q: { _id: 'a', v: 2 }, limit: 1 },
        { q: { _id: 'b', v: 2 }, limit: 1 },
      ],
      () => 64,
    );
    expect(deleted).toEqual({ n: 1, writeErrors: [] });
    expect(await col.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'b', v: 1 },
      { _id: 'c', v: 3 },
    ]);
  });

  it('cuts a list at the size bound, and numbers refusals across the commands', async () => {
    // A client of its own that reports the commands it sends.
    const client = new MongoClient(testConfig.mongo.uri, { monitorCommands: true });
    await client.connect();
    try {
      const own = client.db(db().databaseName);
      const col = own.collection<{ _id: number }>('cut');
      const sent: number[] = [];
      client.on('commandStarted', (event) => {
        if (event.commandName === 'insert' && event.command.insert === 'cut') sent.push((event.command.documents as unknown[]).length);
      });
      await insertUnordered(own, col, [{ _id: 4 }], size);
      // Each operation claims a third of a command: three go in one, so seven take three commands.
      const docs = Array.from({ length: 7 }, (_, i) => ({ _id: i }));
      const result = await insertUnordered(own, col, docs, () => Math.floor(MAX_COMMAND_BYTES / 3));
      expect(result.writeErrors.map((e) => e.index)).toEqual([4]);
      expect(sent).toEqual([1, 3, 3, 1]);
      expect(await col.countDocuments()).toBe(7);
    } finally {
      await client.close();
    }
  });
});
