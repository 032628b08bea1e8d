import type { MongoClient } from 'mongodb';
import type { Logger } from '../logger';
import { type ClientWatchdog, startClientWatchdog } from './client-watchdog';

/**
 * Restarts a MongoDB server monitor whose check never ends, so a store that comes back is always
 * found again (within `wedgedAfterMs` plus one check).
 *
 * Why: the driver (mongodb 6.22, unchanged in 7.x) finds a server again only through its monitor, a
 * loop that runs one check (a `hello`) at a time and ignores check requests while one runs. When
 * the store drops every connection at once (restart, network cut), the monitor's socket and a pool
 * socket are closed in the same event-loop turn; the pool error marks the server Unknown and wakes
 * the monitor at once, while its own socket is already destroyed by Node but its `close` event has
 * not reached the driver yet. The check writes its `hello` to that socket: `write()` returns false
 * without an error, and the driver waits for a `drain` that a destroyed socket never emits (no
 * socket timeout is armed on it, and the `close` that follows rejects only reads in progress). The
 * monitor then stays "checking" for good: the server stays Unknown, every operation fails server
 * selection with the error of the connection that closed first, however long the store has been
 * back. With a server that reports a `topologyVersion` (MongoDB 4.4+), the pool error resets the
 * monitor and abandons the stuck check; without one (mongo-java-server, the local stack's store,
 * MongoDB 4.2) nothing ever does.
 *
 * A healthy check is bounded by the driver's own timeouts (a new connection: `connectTimeoutMS` to
 * connect plus `connectTimeoutMS` for the handshake; a streamed `hello`: `heartbeatFrequencyMS` plus
 * `connectTimeoutMS`), so a check outstanding for longer than their sum can only be stuck: the
 * watchdog then closes that server's monitor and starts it again (what the driver itself does when
 * it resets a monitor), which checks at once on a new connection. No operation is failed or
 * retried by this. It reaches the monitor through driver internals (`client.topology`), pinned by
 * test/integration/infra/mongo-monitor-watchdog.test.ts, which reproduces the stuck check.
 */
/** `check()` looks for stuck checks now and returns the servers restarted. */
export type MonitorWatchdog = ClientWatchdog;

export interface MonitorWatchdogOptions {
  /** A check outstanding for longer than this is stuck (default: from the client's timeouts, see above). */
  readonly wedgedAfterMs?: number;
  /** How often to look (default 5 s; 0: never by itself, tests call `check()`). */
  readonly checkEveryMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** The part of the driver's internals the watchdog uses (not in its public types). */
interface DriverMonitor {
  close(): void;
  connect(): void;
}
interface DriverInternals {
  readonly topology?: { readonly s?: { readonly servers?: ReadonlyMap<string, { readonly monitor?: DriverMonitor | null }> } };
}

export function wedgedCheckBoundMs(client: MongoClient): number {
  const { connectTimeoutMS, heartbeatFrequencyMS } = client.options;
  // connectTimeoutMS 0 means "no timeout": then a check is bounded by nothing; 30 s is the driver's default.
  const connect = connectTimeoutMS > 0 ? connectTimeoutMS : 30_000;
  return 2 * connect + heartbeatFrequencyMS;
}

export function watchServerMonitors(client: MongoClient, options: MonitorWatchdogOptions = {}): MonitorWatchdog {
  const now = options.now ?? Date.now;
  const wedgedAfterMs = options.wedgedAfterMs ?? wedgedCheckBoundMs(client);
  const log = options.logger?.child({ component: 'store-monitor' });
  /** Server address → when its outstanding check started. */
  const outstanding = new Map<string, number>();
  const started = (event: { connectionId: string }) => outstanding.set(event.connectionId, now());
  const ended = (event: { connectionId: string }) => outstanding.delete(event.connectionId);

  const check = (): string[] => {
    const restarted: string[] = [];
    for (const [address, since] of outstanding) {
      const waited = now() - since;
      if (waited <= wedgedAfterMs) continue;
      outstanding.delete(address);
      const monitor = (client as unknown as DriverInternals).topology?.s?.servers?.get(address)?.monitor;
      if (!monitor) {
        log?.error({ server: address, waitedMs: waited }, 'store monitor check stuck, and the driver has no monitor to restart for it');
        continue;
      }
      log?.warn({ server: address, waitedMs: waited, boundMs: wedgedAfterMs }, 'store monitor check stuck; restarting the monitor');
      monitor.close();
      monitor.connect();
      restarted.push(address);
    }
    return restarted;
  };

  return startClientWatchdog(
    client,
    { serverHeartbeatStarted: started, serverHeartbeatSucceeded: ended, serverHeartbeatFailed: ended },
    check,
    options.checkEveryMs ?? 5000,
    () => outstanding.clear(),
  );
}
