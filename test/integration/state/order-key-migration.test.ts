import net from 'node:net';
import type { Db, MongoClient } from 'mongodb';
import { seededRandom } from '../../support/seeded-random';
import { startService } from '../../support/service-process';
import { createLeftovers, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { compareValues, randomDateTime, randomDecimal } from '../../support/value-oracle';

/**
 * State written by the previous version (no order keys) is migrated by the service at start: a
 * SIGKILL half-way leaves a partly migrated store, the next start resumes (it reports only what
 * was left) and finishes, and then every query answers by value.
 */
jest.setTimeout(300_000);

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

const COUNT = 3000;

describe('order-key migration of stored state', () => {
  const leftovers = createLeftovers();
  let client: MongoClient;
  let db: Db;
  const rng = seededRandom(77);
  const docs = Array.from({ length: COUNT }, (_, i) => {
    const balance = randomDecimal(rng);
    return {
      _id: `c${String(i).padStart(5, '0')}`,
      data: { customerId: String(i), name: `n${i}`, tier: 'GOLD', balance, createdAt: randomDateTime(rng) },
      _meta: {
        version: 1,
        positions: {},
        position: '1',
        specId: 'old',
        specVersion: 1,
        sourceTsMs: null,
        createdAt: new Date(),
        updatedAt: new Date(),
        deleted: false,
        lastEventId: `e${i}`,
      },
    };
  });

  beforeAll(async () => {
    client = await testMongo();
    leftovers.add(() => client.close());
    db = client.db(uniqueName('migration'));
    leftovers.add(() => db.dropDatabase());
    // Exactly what the previous version stored: data and _meta, no `_k`.
    await db.collection('state_customer').insertMany(docs as never[]);
  });
  afterAll(() => leftovers.dispose());

  const env = (port: number) => ({
    CANONQL_ROLES: 'api',
    CANONQL_HTTP_PORT: String(port),
    MONGODB_DATABASE: db.databaseName,
    CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
    CANONQL_MIGRATION_BATCH: '25',
    CANONQL_METRICS: 'false',
  });
  const migrated = () => db.collection('state_customer').countDocuments({ _k: { $exists: true } });

  it('resumes after a SIGKILL and then answers by value', async () => {
    const first = startService(env(await freePort()));
    leftovers.add(() => first.kill('SIGKILL'));
    await waitFor(
      'migration progress',
      () => /order keys: state_customer (\d+)\/3000/.test(first.output.join('')) && /"done":(2[5-9]|[3-9]\d|\d{3,})/.test(first.output.join('')),
      { timeoutMs: 120_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${first.output.join('')}`);
    });
    await first.kill('SIGKILL');
    // The store finishes the write the killed process had sent (a bulk of up to 25 key updates,
    // applied one by one): count once it has stopped changing, not while that write lands.
    let previous = -1;
    const afterKill = await waitFor(
      'the migrated count to settle after the kill',
      async () => {
        const now = await migrated();
        const settled = now === previous;
        previous = now;
        return settled ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    console.log(`SIGKILL after ${afterKill}/${COUNT} entities migrated`);
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(COUNT);

    const port = await freePort();
    const second = startService(env(port));
    leftovers.add(() => second.kill('SIGTERM'));
    await waitFor('API ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok ?? false, { timeoutMs: 120_000 }).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n${second.output.join('')}`);
      },
    );
    const resumedFrom = /order keys: state_customer 0\/(\d+)/.exec(second.output.join(''));
    expect(Number(resumedFrom?.[1])).toBe(COUNT - afterKill);
    expect(await migrated()).toBe(COUNT);
    // Nothing but the keys was touched.
    const stored = await db
      .collection('state_customer')
      .find({}, { projection: { _k: 0 } })
      .sort({ _id: 1 })
      .toArray();
    expect(stored.map((d) => d.data)).toEqual(docs.map((d) => d.data));

    const query = async (where: Record<string, unknown>, field: string, direction: string) => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query:
              'query($w: CustomerWhere, $o: CustomerOrderBy, $a: String) { customers(where: $w, orderBy: $o, first: 100, after: $a) { edges { cursor node { id balance } } pageInfo { hasNextPage } } }',
            variables: { w: where, o: { field, direction }, a: after },
          }),
        });
        const body = (await response.json()) as {
          data?: { customers: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { hasNextPage: boolean } } };
          errors?: unknown;
        };
        expect(body.errors).toBeUndefined();
        ids.push(...body.data!.customers.edges.map((e) => e.node.id));
        if (!body.data!.customers.pageInfo.hasNextPage) return ids;
        after = body.data!.customers.edges.at(-1)!.cursor;
      }
    };
    const inRange = docs.filter((d) => compareValues('amount', d.data.balance, '-100') >= 0 && compareValues('amount', d.data.balance, '100.5') < 0);
    const expected = [...inRange].sort((a, b) => -(compareValues('amount', a.data.balance, b.data.balance) || (a._id < b._id ? -1 : 1))).map((d) => d._id);
    expect(await query({ balance: { gte: '-100.00', lt: '100.50' } }, 'balance', 'DESC')).toEqual(expected);
    const late = docs.filter((d) => compareValues('at', d.data.createdAt, '2024-03-01T10:00:03.123456Z') > 0).map((d) => d._id);
    expect(await query({ createdAt: { gt: '2024-03-01T12:00:03.123456+02:00' } }, 'id', 'ASC')).toEqual(late);
  });
});
