import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { compareAndSetMany, type CasWrite } from '../../../src/metrics/rollup-store';

/**
 * The compare-and-set round of the rollup store (compareAndSetMany), over a collection that
 * answers a bulk write as a store would: every write matched, some did not (a lost race, reported
 * as write errors), or the store stopped at the first duplicate key. The real store's races:
 * test/integration/metrics/rollup-race.test.ts.
 */
interface Doc {
  _id: string;
  rev: number;
  value: string;
}

/** A collection whose bulkWrite records its operations and answers with `outcome`. */
function collection(outcome: (ops: AnyBulkWriteOperation<Doc>[]) => { insertedCount: number; matchedCount: number }, ordered = false) {
  const calls: AnyBulkWriteOperation<Doc>[][] = [];
  const fake = {
    async bulkWrite(ops: AnyBulkWriteOperation<Doc>[], options: { ordered?: boolean }) {
      expect(options).toEqual({ ordered });
      calls.push(ops);
      return outcome(ops);
    },
  };
  return { collection: fake as unknown as Collection<Doc>, calls };
}

const insert: CasWrite<Doc> = { next: { _id: 'new', rev: 1, value: 'a' }, storedRev: null };
const replace: CasWrite<Doc> = { next: { _id: 'old', rev: 5, value: 'b' }, storedRev: 4 };
const other: CasWrite<Doc> = { next: { _id: 'other', rev: 2, value: 'c' }, storedRev: 1 };

/** A read-back that must not happen. */
const noReadBack = async () => {
  throw new Error('read back although every write matched');
};

describe('compareAndSetMany: one round of guarded writes', () => {
  it('inserts where nothing was stored and replaces guarded by the stored rev, in one unordered round trip', async () => {
    const store = collection(() => ({ insertedCount: 1, matchedCount: 1 }));
    await compareAndSetMany(store.collection, [insert, replace], noReadBack);
    expect(store.calls).toEqual([
      [
        { insertOne: { document: { _id: 'new', rev: 1, value: 'a' } } },
        { replaceOne: { filter: { _id: 'old', rev: 4 }, replacement: { rev: 5, value: 'b' } } },
      ],
    ]);
  });

  it('every write matched: all written, nothing read back', async () => {
    const store = collection(() => ({ insertedCount: 1, matchedCount: 2 }));
    expect(await compareAndSetMany(store.collection, [insert, replace, other], noReadBack)).toEqual({
      written: [insert.next, replace.next, other.next],
      lost: [],
    });
  });

  it('a replace that matched nothing (its document moved on): the read-back decides, the loser goes to the next round', async () => {
    const store = collection(() => ({ insertedCount: 1, matchedCount: 1 }));
    const asked: Doc[][] = [];
    const result = await compareAndSetMany(store.collection, [insert, replace, other], async (docs) => {
      asked.push([...docs]);
      return (doc) => doc._id !== 'other';
    });
    expect(asked).toEqual([[insert.next, replace.next, other.next]]);
    expect(result).toEqual({ written: [insert.next, replace.next], lost: [other.next] });
  });

  it('an insert refused as a duplicate (write errors of an unordered bulk write): lost when the read-back does not find it ours', async () => {
    const store = collection(() => {
      throw Object.assign(new Error('E11000 duplicate key'), { code: 11000, writeErrors: [{ index: 0, code: 11000 }] });
    });
    const result = await compareAndSetMany(store.collection, [insert, replace], async () => (doc) => doc._id === 'old');
    expect(result).toEqual({ written: [replace.next], lost: [insert.next] });
  });

  it('a store that stops at the first duplicate key (no write errors list): the read-back still decides each write', async () => {
    const store = collection(() => {
      throw Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
    });
    const result = await compareAndSetMany(store.collection, [insert, replace], async () => () => false);
    expect(result).toEqual({ written: [], lost: [insert.next, replace.next] });
  });

  it('any other failure is not a lost race: it is thrown, nothing read back', async () => {
    const store = collection(() => {
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    });
    await expect(compareAndSetMany(store.collection, [insert], noReadBack)).rejects.toThrow('connection reset');
  });
});

describe('compareAndSetMany with a document ahead of the writes (a batch intent): one ordered round', () => {
  const intent: Doc = { _id: 'm#b.1', rev: 0, value: 'intent' };

  it('inserts alone: the intent is inserted first in their command, and is not counted as one of the writes', async () => {
    const store = collection(() => ({ insertedCount: 2, matchedCount: 0 }), true);
    const result = await compareAndSetMany(store.collection, [insert], noReadBack, intent);
    expect(store.calls).toEqual([[{ insertOne: { document: intent } }, { insertOne: { document: insert.next } }]]);
    expect(result).toEqual({ written: [insert.next], lost: [] });
  });

  it('inserts alone, and only the intent inserted (the store reported one insert): the read-back decides the write', async () => {
    const store = collection(() => ({ insertedCount: 1, matchedCount: 0 }), true);
    const result = await compareAndSetMany(store.collection, [insert], async () => () => false, intent);
    expect(result).toEqual({ written: [], lost: [insert.next] });
  });

  it("with replaces: the intent is upserted first in the replaces' command, the inserts follow (a refused insert stops nothing before it)", async () => {
    const store = collection(() => ({ insertedCount: 1, matchedCount: 1 }), true);
    const result = await compareAndSetMany(store.collection, [insert, replace], noReadBack, intent);
    expect(store.calls).toEqual([
      [
        { replaceOne: { filter: { _id: 'm#b.1' }, replacement: { rev: 0, value: 'intent' }, upsert: true } },
        { replaceOne: { filter: { _id: 'old', rev: 4 }, replacement: { rev: 5, value: 'b' } } },
        { insertOne: { document: { _id: 'new', rev: 1, value: 'a' } } },
      ],
    ]);
    expect(result).toEqual({ written: [insert.next, replace.next], lost: [] });
  });
});
