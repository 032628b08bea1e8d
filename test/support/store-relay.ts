import net from 'node:net';

/**
 * A TCP relay between a client and the real store, which a test can cut (every connection dropped
 * at once, new ones refused) and restore: the store becomes unreachable for that client only, the
 * way a store restart or a network cut looks to it. It can also stall (connections stay open, the
 * bytes of both directions are held) and resume (held bytes delivered in order): a store that
 * stops answering without closing anything.
 */
export interface StoreRelay {
  /** The store's URI through the relay (a direct connection to it). */
  readonly uri: string;
  cut(): void;
  restore(): void;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startStoreRelay(storeUri: string): Promise<StoreRelay> {
  const { hostname, port } = new URL(storeUri.replace(/^mongodb:/, 'http:'));
  const open = new Set<net.Socket>();
  let cut = false;
  let stalled = false;
  /** Bytes held while stalled, per destination socket, in arrival order. */
  const held = new Map<net.Socket, Buffer[]>();
  const forward = (from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (stalled) held.set(to, [...(held.get(to) ?? []), chunk]);
      else to.write(chunk);
    });
  const server = net.createServer((socket) => {
    if (cut) return void socket.destroy();
    const upstream = net.connect(Number(port), hostname);
    for (const end of [socket, upstream]) {
      open.add(end);
      end.on('close', () => open.delete(end));
      end.on('error', () => undefined);
    }
    forward(socket, upstream);
    forward(upstream, socket);
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
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const [to, chunks] of held) for (const chunk of chunks) if (!to.destroyed) to.write(chunk);
      held.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
