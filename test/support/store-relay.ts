import net from 'node:net';

/**
 * A TCP relay between a client and the real store, which a test can cut (every connection dropped
 * at once, new ones refused) and restore: the store becomes unreachable for that client only, the
 * way a store restart or a network cut looks to it.
 */
export interface StoreRelay {
  /** The store's URI through the relay (a direct connection to it). */
  readonly uri: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startStoreRelay(storeUri: string): Promise<StoreRelay> {
  const { hostname, port } = new URL(storeUri.replace(/^mongodb:/, 'http:'));
  const open = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((socket) => {
    if (cut) return void socket.destroy();
    const upstream = net.connect(Number(port), hostname);
    for (const end of [socket, upstream]) {
      open.add(end);
      end.on('close', () => open.delete(end));
      end.on('error', () => undefined);
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relayPort = (server.address() as net.AddressInfo).port;
  return {
    uri: `mongodb://127.0.0.1:${relayPort}/?directConnection=true`,
    cut() {
      cut = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
