import type { MongoClient } from 'mongodb';
import { checkoutStoreOnFile } from '../../support/checkout-store';
import { createLeftovers } from '../../support/test-env';

/**
 * The local store's page cache stays within its heap. MVStore bounds its page cache by the memory
 * its value type estimates per document; the launcher's type (infra/java/DocumentValues.java)
 * estimated twice the encoded size, about a third of what a document of small fields takes on
 * the heap, so the cache came to hold every document written (dropped databases' too, until
 * evicted) and the JVM spent its time in full collections, then ran out of heap: on the shared
 * stack 100 full collections and 96 s of collection in its first 18 minutes of benchmarks, a
 * raw rollup read's p99 at 845–988 ms, and once a store that could no longer open its own file.
 *
 * A store of its own built from this checkout's launcher, with a heap of 256 MiB and a page cache
 * of 96 MB (the stack's store: 768 MiB and 256 MB). 100,000 order-shaped documents written in
 * bulk, twice, the first database dropped before the second: with the estimate of twice the
 * encoded size the store closed the connection during the first 100,000 (out of heap); with the
 * heap sizes it now counts, both rounds pass with the old generation at 68–94%.
 */
jest.setTimeout(600_000);

const DOCUMENTS = 100_000;

/** An order state as ingestion stores it: top-level scalars, a money document, three line items and `_meta`. */
function order(i: number) {
  return {
    _id: `order-${i}`,
    order_id: `o-${i}`,
    customer_id: `c-${i % 977}`,
    status: ['new', 'paid', 'shipped'][i % 3],
    region: ['eu', 'us', 'apac', 'latam'][i % 4],
    total: { amount: `${i}.50`, currency: 'EUR' },
    created_at: new Date(1714521600000 + i * 7000).toISOString(),
    line_items: [0, 1, 2].map((j) => ({ sku: `sku-${(i + j) % 40}`, qty: 1 + j, price: `${10 + j}.99`, name: `product ${j}` })),
    note: null,
    gift: i % 2 === 0,
    tags: ['a', 'b'],
    _meta: { version: i, lastEventId: 'e'.repeat(32), updatedAt: new Date(1714521600000), source: { topic: 't', partition: 0, offset: `${i}` } },
  };
}

describe('the local store under more documents than its page cache holds', () => {
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  it('keeps writing and answering with a small heap, across a dropped database', async () => {
    const withStore = checkoutStoreOnFile('store-heap-bound', leftovers);
    const found = await withStore(
      async (client: MongoClient) => {
        const last: unknown[] = [];
        for (const round of [1, 2]) {
          const db = client.db(`heap_bound_${round}`);
          const orders = db.collection<ReturnType<typeof order>>('orders');
          for (let i = 0; i < DOCUMENTS; i += 1000) {
            const result = await orders.insertMany(
              Array.from({ length: 1000 }, (_, k) => order(i + k)),
              { ordered: false },
            );
            expect(result.insertedCount).toBe(1000);
          }
          last.push((await orders.findOne({ _id: `order-${DOCUMENTS - 1}` }))?.order_id);
          if (round === 1) await db.dropDatabase();
        }
        return last;
      },
      { extraFlags: ['-Xmx256m', '-Dcanonql.mvstore.cacheMb=96'] },
    );
    expect(found).toEqual([`o-${DOCUMENTS - 1}`, `o-${DOCUMENTS - 1}`]);
  });
});
