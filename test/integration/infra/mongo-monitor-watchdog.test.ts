import { MongoClient } from 'mongodb';
import { watchServerMonitors } from '../../../src/infra/mongo-monitor-watchdog';
import { startStoreRelay, type StoreRelay } from '../../support/store-relay';
import { createLeftovers, testConfig } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * The store-monitor watchdog against the real driver and store. The driver's server monitor gets
 * stuck for good when its check writes to a socket Node has destroyed (the peer closed it) before
 * the `close` event reached the driver (see src/infra/mongo-monitor-watchdog.ts). A store cut
 * drops every connection in one event-loop turn and hits that window now and then; here the same
 * state is made on purpose: the monitor's socket is destroyed and a check requested in one turn.
 */
interface Monitor {
  s: { state: string };
  connection: { closed: boolean; socket: { destroy(): void } } | null;
  requestCheck(): void;
}
const monitorOf = (client: MongoClient): Monitor => {
  const servers = (client as unknown as { topology: { s: { servers: Map<string, { monitor: Monitor }> } } }).topology.s.servers;
  return [...servers.values()][0]!.monitor;
};
const tick = () => new Promise((resolve) => setImmediate(resolve));

jest.setTimeout(300_000);

describe('the store-monitor watchdog', () => {
  const leftovers = createLeftovers();
  let relay: StoreRelay;
  beforeAll(async () => {
    relay = await startStoreRelay(testConfig.mongo.uri);
    leftovers.add(() => relay.close());
  });
  afterAll(() => leftovers.dispose());

  /** A client through the relay, counting completed checks, connected, its monitor idle on an open connection. */
  const connected = async () => {
    const client = new MongoClient(relay.uri, { serverSelectionTimeoutMS: 5000 });
    leftovers.add(() => client.close());
    const checks = { started: 0, ended: 0 };
    client.on('serverHeartbeatStarted', () => (checks.started += 1));
    client.on('serverHeartbeatSucceeded', () => (checks.ended += 1));
    client.on('serverHeartbeatFailed', () => (checks.ended += 1));
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    const monitor = monitorOf(client);
    await waitFor('the monitor idle on an open connection', () => monitor.s.state === 'idle' && monitor.connection?.closed === false);
    // Past minHeartbeatFrequencyMS (500 ms) since the last check, so a requested check runs at once.
    await new Promise((resolve) => setTimeout(resolve, 600));
    return { client, checks, monitor };
  };

  /** The stuck check: the monitor's socket destroyed and a check run before its `close` event. */
  const wedge = async (monitor: Monitor) => {
    monitor.connection!.socket.destroy();
    monitor.requestCheck();
    await tick();
    await tick();
  };

  it('without it, a check on a just-destroyed socket never ends and the monitor ignores every later request', async () => {
    const { checks, monitor } = await connected();
    await wedge(monitor);
    const started = checks.started;
    const ended = checks.ended;
    expect(monitor.connection?.closed).toBe(true); // the close event has reached the driver by now
    monitor.requestCheck();
    await tick();
    expect([monitor.s.state, checks.started - started, checks.ended - ended]).toEqual(['monitoring', 0, 0]);
  });

  it('with it, the stuck monitor is restarted and a store that was cut and restored is found again', async () => {
    const { client, checks, monitor } = await connected();
    // Longer than a healthy check under load (a new connection's handshake took 14 s on a loaded
    // 2-core machine), so only the stuck one is restarted.
    const watchdog = watchServerMonitors(client, { wedgedAfterMs: 30_000, checkEveryMs: 0 });
    leftovers.add(async () => watchdog.stop());
    const orders = client.db('monitor_watchdog').collection('probe');
    await wedge(monitor);
    // The store drops every connection: an operation fails and marks the server Unknown.
    relay.cut();
    await expect(orders.findOne({})).rejects.toThrow();
    relay.restore();
    // With the monitor stuck, only the watchdog can find the store again.
    const restarted: string[] = [];
    await waitFor(
      'an operation to succeed again',
      async () => {
        restarted.push(...watchdog.check());
        return (await orders.findOne({}).then(() => true)) as boolean;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(restarted.length).toBeGreaterThan(0);
    expect(checks.ended).toBeGreaterThan(0);
  });

  it('counts only checks still outstanding: one that ended is forgotten', async () => {
    const { client, checks, monitor } = await connected();
    const watchdog = watchServerMonitors(client, { wedgedAfterMs: 5000, checkEveryMs: 0 });
    leftovers.add(async () => watchdog.stop());
    const ended = checks.ended;
    monitor.requestCheck();
    await waitFor('the requested check to end', () => checks.ended > ended);
    await new Promise((resolve) => setTimeout(resolve, 5500));
    expect(watchdog.check()).toEqual([]);
  });
});
