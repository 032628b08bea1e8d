import { EJSON } from 'bson';
import { Binary, BSONRegExp, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, UUID, type Collection, type Document } from 'mongodb';
import { checkoutStoreOnFile } from '../../support/checkout-store';
import { seededRandom } from '../../support/seeded-random';
import { createLeftovers } from '../../support/test-env';

/**
 * The local store's stored documents (infra/java/DocumentValues.java) survive a restart as they
 * were written: every value kind the wire carries, nested, in the compact form or, for kinds it
 * has no form for, Java-serialized as before. The launcher is compiled from this checkout and run
 * as a store of the test's own on a throw-away file (the shared stack's store runs the build it
 * was started with); a restart makes every read come from the file.
 */
jest.setTimeout(300_000);

/** A stored document: _id of any kind. */
type Stored = Document & { _id: string | number | ObjectId };

const kinds = (n: number): Stored[] => [
  {
    _id: `plain-${n}`,
    ascii: `id-${n}-0123456789abcdef?`,
    text: `héllo \u{1F600} \u0000 ${'\u0800'.repeat(n % 5)} ?`,
    int: new Int32(n % 2 ? -2147483648 : 2147483647),
    long: Long.fromString(n % 2 ? '-9223372036854775808' : '9223372036854775807'),
    negativeZero: new Double(-0),
    nan: NaN,
    infinity: -Infinity,
    double: n / 7,
    yes: true,
    no: false,
    nothing: null,
    nested: { list: [1, 'two', { three: [new Date(1700000000123 + n)] }], empty: {}, none: [] },
    date: new Date(-1 - n),
    oid: new ObjectId(n.toString(16).padStart(24, '0')),
    decimal: Decimal128.fromString(`-12345.678901234567890123456789E-${n % 20}`),
    big: 'x'.repeat(70_000 + n),
    bigWide: 'é'.repeat(40_000),
  },
  {
    _id: `other-kinds-${n}`,
    binary: new Binary(Buffer.from([0, 1, 2, 255, n % 256])),
    uuid: new UUID('0c7c1a0e-8a3b-4f7e-9d2c-7b1e2f3a4b5c'),
    timestamp: new Timestamp({ t: 5, i: n }),
    regex: new BSONRegExp('a+b', 'i'),
    min: new MinKey(),
    max: new MaxKey(),
    code: new Code('x => x'),
    beside: { plain: `ok-${n}` },
  },
  { _id: new ObjectId((n + 1).toString(16).padStart(24, 'a')), n },
  { _id: 100_000 + n, n, sub: { _id: `inner-${n}` } },
];

describe('the local store keeps stored documents across restarts', () => {
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  it('reads back every document as written, in the compact form and in the serialized one, with compact writing on or off', async () => {
    const onFile = checkoutStoreOnFile('store-documents', leftovers);

    /** A store process on the file; a new process reads every page from the file. */
    const withStore = <T>(compact: boolean, work: (docs: Collection<Stored>) => Promise<T>): Promise<T> =>
      onFile((client) => work(client.db('kinds').collection<Stored>('docs')), {
        extraFlags: [`-Dcanonql.store.compactDocuments=${compact}`],
        client: { promoteValues: false, promoteLongs: false, promoteBuffers: false },
      });
    /** One canonical Extended JSON line per document, so a difference shows as the documents that differ. */
    const readAll = async (docs: Collection<Stored>) => (await docs.find().sort({ _id: 1 }).toArray()).map((d) => EJSON.stringify(d, { relaxed: false }));
    const sorted = (list: Document[]) => list.map((d) => EJSON.stringify(d, { relaxed: false })).sort();

    const random = seededRandom(18);
    const first = Array.from({ length: 30 }, (_, n) => kinds(n)).flat();
    const second = Array.from({ length: 30 }, (_, n) => kinds(30 + n)).flat();

    // Written as before (Java-serialized), then read by a process that writes the compact form.
    const serialized = await withStore(false, async (docs) => {
      // Unique indexes keep their keys in a map of their own, stored in the compact form too.
      await docs.createIndex({ ascii: 1 }, { unique: true, sparse: true });
      await docs.createIndex({ oid: 1, date: 1 }, { unique: true, sparse: true });
      await docs.insertMany(first);
      return readAll(docs);
    });
    expect([...serialized].sort()).toEqual(sorted(first));
    const mixed = await withStore(true, async (docs) => {
      expect(await readAll(docs)).toEqual(serialized);
      await docs.insertMany(second);
      // Updates rewrite documents (and the pages holding them) with values the store made.
      for (let n = 0; n < 60; n += 3) {
        await docs.updateOne(
          { _id: `plain-${n}` },
          { $set: { 'nested.added': Math.floor(random() * 1000), ascii: `changed-${n}` }, $inc: { double: 1 }, $currentDate: { when: true } },
        );
      }
      await docs.deleteOne({ _id: 'plain-1' });
      const untouched: Array<Stored['_id']> = ['plain-32', 'other-kinds-32', 100_032];
      expect(sorted(await docs.find({ _id: { $in: untouched } }).toArray())).toEqual(sorted(second.filter((d) => untouched.includes(d._id))));
      return readAll(docs);
    });
    expect(mixed).toHaveLength(first.length + second.length - 1);
    /** Every document found through each unique index, and a second document with its key refused. */
    const lookUpByIndexes = async (docs: Collection<Stored>) => {
      for (const n of [0, 2, 31, 59]) {
        const byAscii = await docs.findOne({ ascii: n % 3 === 0 ? `changed-${n}` : `id-${n}-0123456789abcdef?` });
        const byPair = await docs.findOne({ oid: new ObjectId(n.toString(16).padStart(24, '0')), date: new Date(-1 - n) });
        expect([byAscii?._id, byPair?._id]).toEqual([`plain-${n}`, `plain-${n}`]);
        await expect(docs.insertOne({ _id: `again-${n}`, ascii: byAscii?.ascii })).rejects.toMatchObject({ code: new Int32(11000) });
        await expect(docs.insertOne({ _id: `again-${n}`, oid: byPair?.oid, date: byPair?.date })).rejects.toMatchObject({ code: new Int32(11000) });
      }
      return readAll(docs);
    };
    expect(await withStore(true, lookUpByIndexes)).toEqual(mixed);
    // A process with compact writing off still reads the compact form.
    expect(await withStore(false, readAll)).toEqual(mixed);
  });
});
