import net from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A free TCP port on 127.0.0.1 (for a child process that must come back on the same port). */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

const QUERY = 'subscription ($after: String) { orderChanged(after: $after) { eventId op key version cursor } }';

export interface Received {
  eventId: string;
  op: string;
  key: string;
  version: number;
  cursor: string;
}

/**
 * A subscriber as a client should write one: remembers the cursor of the last payload it
 * processed, and when its connection drops, reconnects and resubscribes `after` that cursor.
 * `connectedAt` holds when each (re)subscription got its first payload or went live.
 */
export class ResumingSubscriber {
  readonly received: Received[] = [];
  reconnects = 0;
  /** Times (ms) at which a connection was acknowledged by the server, in order. */
  readonly connectedAt: number[] = [];
  private client: Client | null = null;
  private cursor: string | null = null;
  private closed = false;

  constructor(private readonly url: string) {}

  start(): void {
    if (this.closed) return;
    const client = createClient({
      url: this.url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      on: { connected: () => this.connectedAt.push(Date.now()) },
    });
    this.client = client;
    const again = () => {
      if (this.client !== client || this.closed) return;
      this.client = null;
      void client.dispose();
      this.reconnects += 1;
      setTimeout(() => this.start(), 300);
    };
    client.subscribe<{ orderChanged: Received }>(
      { query: QUERY, variables: { after: this.cursor } },
      {
        next: (value) => {
          const payload = value.data?.orderChanged;
          if (!payload) return;
          this.received.push(payload);
          this.cursor = payload.cursor;
        },
        error: again,
        complete: again,
      },
    );
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.client?.dispose();
  }
}
