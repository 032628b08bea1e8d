import { MongoClient } from 'mongodb';
import pino from 'pino';
import { isAppError } from '../../../src/errors';
import { connectMongo } from '../../../src/infra/mongo';
import { watchPoolOperations } from '../../../src/infra/mongo-operation-watchdog';
import { startStoreRelay, type StoreRelay } from '../../support/store-relay';
import { createLeftovers, testConfig, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * The store as start-up and a stuck operation meet it, against the real driver and store.
 *
 * An operation whose pooled connection's socket Node destroyed before the driver saw its `close`
 * writes to that socket, gets `false` back without an error, and waits for a `drain` that never
 * comes (src/infra/mongo-operation-watchdog.ts). Here the same state is made on purpose: an idle
 * pool connection's socket is destroyed and an operation started in the same turn. A store that
 * stops answering without closing anything is a relay that holds every byte. Both operations
 * would wait for good; the watchdog ends them with STORE_TIMEOUT and the pool carries on.
 * Start-up waits for a store that does not answer yet, logging each wait, up to its deadline.
 */
interface Pool {
  connections: Iterable<{ socket: { destroy(): void } }>;
  checkedOut: Set<unknown>;
}
const poolOf = (client: MongoClient): Pool => {
  const servers = (client as unknown as { topology: { s: { servers: Map<string, { pool: Pool }> } } }).topology.s.servers;
  return [...servers.values()][0]!.pool;
};

jest.setTimeout(300_000);

describe('the store: a stuck operation ends with STORE_TIMEOUT; start-up waits for the store', () => {
  const leftovers = createLeftovers();
  let relay: StoreRelay;
  const database = uniqueName('store_watchdog');
  beforeAll(async () => {
    relay = await startStoreRelay(testConfig.mongo.uri);
    leftovers.add(() => relay.close());
  });
  afterAll(async () => {
    const client = new MongoClient(testConfig.mongo.uri);
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
    await leftovers.dispose();
  });

  /** Where an operation stands: still waiting, done, or failed with this error. */
  const track = (operation: Promise<unknown>) => {
    const state: { settled: boolean; error?: unknown } = { settled: false };
    operation.then(
      () => Object.assign(state, { settled: true }),
      (error: unknown) => Object.assign(state, { settled: true, error }),
    );
    return state;
  };

  it('a write to a socket destroyed under it waits for good, until the watchdog ends it with STORE_TIMEOUT', async () => {
    const client = new MongoClient(testConfig.mongo.uri, { serverSelectionTimeoutMS: 5000 });
    leftovers.add(() => client.close(true));
    // Checked only when the test says, so the wait before it shows the operation stuck on its own.
    const watchdog = watchPoolOperations(client, { stuckAfterMs: 500, checkEveryMs: 0 });
    leftovers.add(async () => watchdog.stop());
    const docs = client.db(database).collection<{ _id: string }>('docs');
    await docs.insertOne({ _id: 'a' });
    const pool = poolOf(client);
    const idle = [...pool.connections][0]!;
    idle.socket.destroy();
    const stuck = track(docs.findOne({ _id: 'a' }));
    // Without the watchdog nothing ends it: it holds its connection however long we wait.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect({ settled: stuck.settled, checkedOut: pool.checkedOut.size }).toEqual({ settled: false, checkedOut: 1 });
    expect(watchdog.check()).toHaveLength(1);
    await waitFor('the stuck operation to end', () => stuck.settled, { timeoutMs: 30_000 });
    expect(isAppError(stuck.error) && stuck.error.code).toBe('STORE_TIMEOUT');
    // The pool opens another connection: the next operation answers.
    expect(await docs.findOne({ _id: 'a' })).toEqual({ _id: 'a' });
  });

  it('an operation against a store that stopped answering ends with STORE_TIMEOUT (the handle of connectMongo), and the next one answers once it is back', async () => {
    const handle = await connectMongo({ uri: relay.uri, database, operationTimeoutMs: 500 });
    leftovers.add(() => handle.close());
    const docs = handle.db.collection<{ _id: string }>('docs');
    await docs.updateOne({ _id: 'b' }, { $set: {} }, { upsert: true });
    relay.stall();
    const stuck = track(docs.findOne({ _id: 'b' }));
    await waitFor('the operation to end', () => stuck.settled, { timeoutMs: 60_000 });
    relay.resume();
    expect(isAppError(stuck.error) && { code: stuck.error.code, retriable: stuck.error.retriable }).toEqual({ code: 'STORE_TIMEOUT', retriable: true });
    expect(await docs.findOne({ _id: 'b' })).toEqual({ _id: 'b' });
  });

  it('start-up waits for a store that does not answer yet, saying so, and connects once it does', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    relay.cut();
    const connecting = connectMongo({ uri: relay.uri, database, startupTimeoutMs: 600_000 }, { logger });
    const state = track(connecting);
    await waitFor('start-up to say it is waiting for the store', () => lines.some((l) => l.includes('waiting for the state store')), { timeoutMs: 60_000 });
    expect(state.settled).toBe(false);
    relay.restore();
    const handle = await connecting;
    leftovers.add(() => handle.close());
    expect(await handle.db.collection('docs').countDocuments()).toBeGreaterThanOrEqual(0);
    expect(lines.some((l) => l.includes('the state store answered'))).toBe(true);
  });

  it('start-up gives up past its deadline with STORE_UNAVAILABLE naming the setting', async () => {
    relay.cut();
    const error = await connectMongo({ uri: relay.uri, database, startupTimeoutMs: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    relay.restore();
    expect(isAppError(error) && error.code).toBe('STORE_UNAVAILABLE');
    expect(String((error as Error).message)).toContain('CANONQL_STORE_STARTUP_TIMEOUT_MS');
  });
});
