import type { MongoClient } from 'mongodb';
import { AppError, ErrorCode } from '../errors';
import type { Logger } from '../logger';
import { type ClientWatchdog, startClientWatchdog } from './client-watchdog';

/**
 * Ends a store operation that holds its pooled connection for longer than `stuckAfterMs`, with
 * STORE_TIMEOUT, and closes that connection (the pool opens another).
 *
 * Why: the MongoDB driver (6.22) bounds neither waiting for a reply nor waiting to finish a write
 * unless a socket timeout is set, and its operation timeout (`timeoutMS`) is a no-op in 6.x. A
 * write to a socket Node has destroyed but whose `close` the driver has not seen yet returns false
 * without an error, and the driver waits for a `drain` that never comes (the same race the server
 * monitor meets, mongo-monitor-watchdog.ts); a store that stops answering without closing its
 * sockets leaves the reply wait open. Either way the operation, and whatever awaits it (an
 * ingestion batch, a GraphQL request, a readiness check), would wait for good.
 *
 * A connection is checked out for one operation and checked in after it, so one checked out for
 * longer than the bound is stuck. The watchdog fails it the way the driver fails a broken
 * connection (`onError`: the socket destroyed, a pending read rejected with the error; when the
 * driver has closed it already, only the error it throws next is replaced) and, for a write
 * waiting for `drain`, emits that `drain` so the write returns and the driver's next check throws
 * the connection's error. The caller receives the AppError (retriable). It reaches the
 * connection through driver internals (`client.topology`, the pool's checked-out set), pinned by
 * test/integration/infra/mongo-operation-watchdog.test.ts.
 */
/** `check()` looks for stuck operations now and returns the connections ended. */
export type OperationWatchdog = ClientWatchdog;

export interface OperationWatchdogOptions {
  readonly stuckAfterMs: number;
  /** How often to look (default: a quarter of the bound, at most 5 s; 0: never by itself, tests call `check()`). */
  readonly checkEveryMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** The part of the driver's internals the watchdog uses (not in its public types). */
interface DriverConnection {
  readonly id: number | '<monitor>';
  readonly closed: boolean;
  /** What the driver throws at the connection's next step once it is closed. */
  error: Error | null;
  onError(error: Error): void;
  readonly socket?: { emit(event: 'drain'): boolean };
}
interface DriverInternals {
  readonly topology?: {
    readonly s?: { readonly servers?: ReadonlyMap<string, { readonly pool?: { readonly checkedOut?: ReadonlySet<DriverConnection> } }> };
  };
}

export function watchPoolOperations(client: MongoClient, options: OperationWatchdogOptions): OperationWatchdog {
  const now = options.now ?? Date.now;
  const log = options.logger?.child({ component: 'store-operations' });
  /** `<address>#<connection id>` → when it was checked out. */
  const checkedOut = new Map<string, { address: string; id: number; since: number }>();
  const out = (event: { address: string; connectionId: number | '<monitor>' }) => {
    if (typeof event.connectionId === 'number')
      checkedOut.set(`${event.address}#${event.connectionId}`, { address: event.address, id: event.connectionId, since: now() });
  };
  const back = (event: { address: string; connectionId: number | '<monitor>' }) => checkedOut.delete(`${event.address}#${event.connectionId}`);

  const check = (): string[] => {
    const ended: string[] = [];
    for (const [name, { address, id, since }] of checkedOut) {
      const heldMs = now() - since;
      if (heldMs <= options.stuckAfterMs) continue;
      checkedOut.delete(name);
      const pool = (client as unknown as DriverInternals).topology?.s?.servers?.get(address)?.pool;
      const connection = [...(pool?.checkedOut ?? [])].find((c) => c.id === id);
      if (!connection) {
        log?.error({ connection: name, heldMs }, 'store operation stuck, and the driver has no such connection to end');
        continue;
      }
      log?.warn({ connection: name, heldMs, boundMs: options.stuckAfterMs }, 'store operation stuck; ending it with STORE_TIMEOUT');
      const error = new AppError(
        ErrorCode.STORE_TIMEOUT,
        `a store operation on connection ${name} got no answer for ${heldMs} ms (CANONQL_STORE_OPERATION_TIMEOUT_MS is ${options.stuckAfterMs}); its connection is closed`,
        { retriable: true },
      );
      // The driver may have seen the socket close already (the write still waits for its drain):
      // then only the error the connection throws at its next step is set.
      if (connection.closed) connection.error = error;
      else connection.onError(error);
      // A write waiting for `drain` on a destroyed socket: let it return, so the error is thrown.
      connection.socket?.emit('drain');
      ended.push(name);
    }
    return ended;
  };

  return startClientWatchdog(
    client,
    { connectionCheckedOut: out, connectionCheckedIn: back, connectionClosed: back },
    check,
    options.checkEveryMs ?? Math.min(5000, Math.max(10, Math.floor(options.stuckAfterMs / 4))),
    () => checkedOut.clear(),
  );
}
