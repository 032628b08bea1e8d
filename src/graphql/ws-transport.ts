import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import {
  CloseCode,
  MessageType,
  areGraphQLErrors,
  handleProtocols,
  makeServer,
  parseMessage,
  stringifyMessage,
  type Message,
  type ServerOptions,
  type SubscribeMessage,
  type SubscribePayload,
} from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger';
import { closeReason, type WsContext, type WsExtra } from './limits/ws-guards';
import { serializePayload, type DirectMember, type FrameSink, type FrameTail, type SharedExecution, type SharedSubscriptions } from './shared-subscriptions';

/**
 * graphql-ws on `ws` sockets, with shareable subscriptions answered outside graphql-ws's
 * per-operation machinery.
 *
 * graphql-ws keeps, for every live operation, the suspended `for await` of its message handler
 * (generators, promises, contexts), its emit closures and the subscribe message; an idle
 * subscription cost several KiB of that. Here a `subscribe` message on an acknowledged connection
 * is looked at first: its id is registered at once (a duplicate closes 4409 as graphql-ws does,
 * since graphql-ws checks the same registry), the same `onSubscribe` hook runs (credential,
 * per-connection limit, rate limit, parse, validation, operation limits), and when the operation
 * is a subscription that may share an execution (`shareable`, then `shared.keyOf`), a small
 * {@link WsMember} (its operation id as JSON text, its connection) joins the shared execution and stands
 * in graphql-ws's registry (`ctx.subscriptions`). graphql-ws itself then handles the operation's
 * `complete` from the client and the socket's close (both call the member's `return`), and counts
 * it against the connection's limit; the shared execution has the connection write the `next`
 * frames of all its members in one write per event ({@link Connection.sendNext}), and
 * the member sends `complete` when the execution ends, or an `error` (through the `onError` hook,
 * which closes the connection for SUBSCRIBER_TOO_SLOW) when it fails or the member falls behind,
 * in graphql-ws's own message format. Anything else (guard errors, queries, mutations, scoped
 * principals, resuming and snapshot subscriptions, messages before `connection_ack`) is handed to
 * graphql-ws unchanged, with the hook's result already computed so nothing runs twice. A direct
 * member does not go through graphql-ws's `onOperation`, `onNext` and `onComplete` hooks, so the
 * options leave them out; `onError` it calls as graphql-ws would.
 *
 * The `ws` adapter is graphql-ws's own `useServer` behaviour: subprotocol negotiation, a ping
 * every `keepAliveMs` and termination when no pong comes within as long, close 1011 on an internal
 * error, close 1001 "Going away" on dispose.
 */
// A direct member does not go through graphql-ws's onOperation, onNext and onComplete, so they cannot be given.
export interface WsTransportOptions extends Omit<ServerOptions<Record<string, unknown>, WsExtra>, 'onError' | 'onOperation' | 'onNext' | 'onComplete'> {
  readonly wsServer: WebSocketServer;
  /** Ping interval and pong deadline; 0 or Infinity: no keep-alive. */
  readonly keepAliveMs: number;
  readonly logger: Logger;
  /** graphql-ws's `onError`; for a direct member's failure the payload is not kept (undefined). */
  readonly onError?: (
    ctx: WsContext,
    id: string,
    payload: SubscribePayload | undefined,
    errors: readonly GraphQLError[],
  ) => readonly GraphQLFormattedError[] | undefined | Promise<readonly GraphQLFormattedError[] | undefined>;
  /** Executions shared by identical subscriptions. */
  readonly shared: SharedSubscriptions;
  /** Whether this operation's principal may share an execution (a scoped reader may not). */
  shareable(ctx: WsContext, args: ExecutionArgs): boolean;
  /** The subscriptions gauge: a direct member counts from joining until it ends. */
  readonly counter?: { started(): void; ended(): void };
}

export interface WsTransport {
  dispose(): Promise<void>;
}

export function serveGraphqlWs(options: WsTransportOptions): WsTransport {
  const { wsServer, logger, shared } = options;
  const production = process.env.NODE_ENV === 'production';
  // graphql-ws's reason for close 1011: the error's message outside production.
  const internalErrorReason = (error: unknown) => (production ? 'Internal server error' : closeReason(error instanceof Error ? error.message : String(error)));
  const connections = new WeakMap<WebSocket, Connection>();

  const server = makeServer<Record<string, unknown>, WsExtra>({
    ...options,
    async onConnect(ctx) {
      const permitted = await options.onConnect?.(ctx);
      const connection = connections.get(ctx.extra.socket);
      if (permitted !== false && connection) connection.ctx = ctx;
      return permitted;
    },
    onSubscribe(ctx, id, payload) {
      const handoff = connections.get(ctx.extra.socket)?.takeHandoff(id);
      if (handoff) {
        // Completed by the client while the hook ran: graphql-ws then sends nothing for it.
        if (handoff.completed) delete ctx.subscriptions[id];
        return handoff.prepared;
      }
      return options.onSubscribe?.(ctx, id, payload);
    },
    onError: options.onError as ServerOptions<Record<string, unknown>, WsExtra>['onError'],
  });

  const transport: Transport = { options, shared, internalErrorReason };

  wsServer.options.handleProtocols = handleProtocols;
  wsServer.once('error', (error) => {
    logger.error({ err: error }, 'websocket server error: closing every connection');
    for (const client of wsServer.clients) client.close(CloseCode.InternalServerError, internalErrorReason(error));
  });
  wsServer.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const connection = new Connection(socket, request.socket, transport);
    connections.set(socket, connection);
    socket.once('error', (error) => {
      // ws' own protocol errors (WS_ERR_*: a message beyond maxPayload, invalid UTF-8, a bad frame)
      // are the client's: ws has already closed with their code (1009, 1007, 1002).
      if (isClientProtocolError(error)) logger.warn({ code: error.code, reason: error.message }, 'websocket closed: the client broke the protocol');
      else logger.error({ err: error }, 'websocket error: closing the connection');
      socket.close(CloseCode.InternalServerError, internalErrorReason(error));
    });
    let pongWait: NodeJS.Timeout | null = null;
    const keepAlive = options.keepAliveMs > 0 && Number.isFinite(options.keepAliveMs) ? options.keepAliveMs : null;
    const pingInterval =
      keepAlive === null
        ? null
        : setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            pongWait = setTimeout(() => socket.terminate(), keepAlive);
            socket.once('pong', () => {
              if (pongWait) clearTimeout(pongWait);
              pongWait = null;
            });
            socket.ping();
          }, keepAlive);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              const text = String(data);
              if (!connection.takeSubscribe(text, handle)) await handle(text);
            } catch (error) {
              logger.error({ err: error }, 'websocket message handling failed: closing the connection');
              socket.close(CloseCode.InternalServerError, internalErrorReason(error));
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code: number, reason: Buffer) => {
      if (pongWait) clearTimeout(pongWait);
      if (pingInterval) clearInterval(pingInterval);
      void closed(code, String(reason)).catch((error: unknown) => logger.error({ err: error }, 'websocket close handling failed'));
    });
  });

  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

interface Transport {
  readonly options: WsTransportOptions;
  readonly shared: SharedSubscriptions;
  internalErrorReason(error: unknown): string;
}

/** What the `onSubscribe` hook answers for an operation handed to graphql-ws after the hook already ran. */
interface Handoff {
  readonly id: string;
  readonly prepared: ExecutionArgs | readonly GraphQLError[] | undefined;
  readonly completed: boolean;
}

/** `{"id":`: how every member frame starts. */
const FRAME_START = Buffer.from('{"id":');

/**
 * One socket: its graphql-ws context once acknowledged, and the sink of its direct members'
 * frames.
 *
 * An event's `next` frames for all of this socket's members in a shared execution are built into
 * one buffer (each a complete unmasked text frame, RFC 6455 section 5.2) and written to the
 * underlying stream in one write, after whatever `ws` wrote before and before whatever it writes
 * after: without per-message compression `ws` writes each message to that stream synchronously as
 * it is sent, so the stream's order is the order of the sends. With a compression extension
 * negotiated (`ws` then queues messages while it compresses) every frame goes through `ws` instead.
 */
class Connection implements FrameSink {
  ctx: WsContext | null = null;
  private handoff: Handoff | null = null;

  constructor(
    readonly socket: WebSocket,
    /** The stream `ws` reads and writes (the upgraded request's socket). */
    private readonly stream: Duplex,
    readonly transport: Transport,
  ) {}

  sendNext(members: Iterable<DirectMember>, tail: FrameTail, written: () => void): void {
    const { socket } = this;
    if (socket.readyState !== socket.OPEN) {
      written();
      return;
    }
    if (socket.extensions !== '') {
      let last: DirectMember | null = null;
      for (const member of members) {
        if (last) socket.send(`{"id":${last.quotedId}${tail.text}`);
        last = member;
      }
      if (last) socket.send(`{"id":${last.quotedId}${tail.text}`, () => written());
      else written();
      return;
    }
    const bytes = tail.bytes;
    let total = 0;
    for (const member of members) {
      const length = FRAME_START.length + Buffer.byteLength(member.quotedId) + bytes.length;
      total += frameHeaderLength(length) + length;
    }
    const frames = Buffer.allocUnsafe(total);
    let at = 0;
    for (const member of members) {
      const idLength = Buffer.byteLength(member.quotedId);
      at = writeFrameHeader(frames, at, FRAME_START.length + idLength + bytes.length);
      at += FRAME_START.copy(frames, at);
      at += frames.write(member.quotedId, at);
      at += bytes.copy(frames, at);
    }
    this.stream.write(frames, () => written());
  }

  takeHandoff(id: string): Handoff | null {
    const handoff = this.handoff;
    if (handoff?.id !== id) return null;
    this.handoff = null;
    return handoff;
  }

  /** Takes a `subscribe` message of an acknowledged connection with a free id; false: graphql-ws handles the message. */
  takeSubscribe(text: string, handle: (data: string) => Promise<void>): boolean {
    const ctx = this.ctx;
    if (!ctx?.acknowledged) return false;
    let message: Message;
    try {
      message = parseMessage(text);
    } catch {
      return false; // graphql-ws closes 4400
    }
    if (message.type !== MessageType.Subscribe || message.id in ctx.subscriptions) return false; // a duplicate: graphql-ws closes 4409
    // The message itself marks the id as taken until the operation starts (or is handed on).
    ctx.subscriptions[message.id] = message as unknown as null;
    void this.subscribe(ctx, message, text, handle).catch((error: unknown) => {
      if (ctx.subscriptions[message.id] === (message as unknown as null)) delete ctx.subscriptions[message.id];
      this.transport.options.logger.error({ err: error }, 'websocket subscribe failed: closing the connection');
      this.socket.close(CloseCode.InternalServerError, this.transport.internalErrorReason(error));
    });
    return true;
  }

  private async subscribe(ctx: WsContext, message: SubscribeMessage, text: string, handle: (data: string) => Promise<void>): Promise<void> {
    const { options, shared } = this.transport;
    const { id, payload } = message;
    const placeholder = message as unknown as null;
    const prepared = await options.onSubscribe?.(ctx, id, payload);
    const args = prepared && !areGraphQLErrors(prepared) && !Array.isArray(prepared) ? (prepared as ExecutionArgs) : null;
    const key =
      args && getOperationAST(args.document, args.operationName)?.operation === 'subscription' && options.shareable(ctx, args) ? shared.keyOf(args) : null;
    const ours = ctx.subscriptions[id] === placeholder;
    if (key === null) {
      // graphql-ws does the rest with the hook's answer. An id the client completed and reused meanwhile is left to its new operation.
      if (!ours && id in ctx.subscriptions) return;
      if (ours) delete ctx.subscriptions[id];
      this.handoff = { id, prepared: prepared ?? undefined, completed: !ours };
      try {
        await handle(text);
      } finally {
        if (this.handoff?.id === id) this.handoff = null;
      }
      return;
    }
    if (!ours) return; // completed before it started: graphql-ws would end it without a message
    const member = new WsMember(this, id);
    ctx.subscriptions[id] = member as unknown as AsyncGenerator<unknown>;
    const execution: ExecutionArgs = { ...args! };
    if (!('contextValue' in execution)) {
      execution.contextValue = typeof options.context === 'function' ? await options.context(ctx, id, payload, execution) : options.context;
    }
    const result = await shared.attach(key, () => execution, member);
    if (result === null) {
      member.joined();
      return;
    }
    // The subscription gave no stream (an error result): graphql-ws sends it as `next`, then `complete`.
    if (ctx.subscriptions[id] !== (member as unknown as AsyncGenerator<unknown>)) return;
    delete ctx.subscriptions[id];
    await this.send(`{"id":${member.quotedId},"type":"next","payload":${serializePayload(result as ExecutionResult)}}`);
    await this.send(stringifyMessage({ id, type: MessageType.Complete }));
  }

  /** graphql-ws's send: nothing once the socket is no longer open. */
  send(frame: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.socket.readyState !== this.socket.OPEN) return resolve();
      this.socket.send(frame, (error) => (error ? reject(error) : resolve()));
    });
  }
}

/** Bytes of an unmasked frame header for a payload of `length` bytes: 7-bit, 16-bit or 64-bit length. */
function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** Writes the header of an unmasked, final text frame of `length` payload bytes at `at`; returns where the payload starts. */
function writeFrameHeader(target: Buffer, at: number, length: number): number {
  target[at] = 0x81; // FIN, opcode 1 (text)
  if (length < 126) {
    target[at + 1] = length;
    return at + 2;
  }
  if (length < 65536) {
    target[at + 1] = 126;
    target.writeUInt16BE(length, at + 2);
    return at + 4;
  }
  target[at + 1] = 127;
  target.writeBigUInt64BE(BigInt(length), at + 2);
  return at + 10;
}

const PENDING = 0;
const LIVE = 1;
const OVER = 2;

/**
 * A shareable subscription on a socket: what an idle one holds for its whole life, so a class
 * with a handful of fields. It stands in graphql-ws's registry as an async generator (graphql-ws
 * calls `return` on the client's `complete` and on the socket's close) and is a shared
 * execution's direct member.
 */
class WsMember implements DirectMember {
  readonly quotedId: string;
  execution: SharedExecution | null = null;
  private state: typeof PENDING | typeof LIVE | typeof OVER = PENDING;

  constructor(
    private readonly connection: Connection,
    id: string,
  ) {
    // The id only as JSON text (what every frame carries); read back on the rare end of the operation.
    this.quotedId = JSON.stringify(id);
  }

  private get id(): string {
    return JSON.parse(this.quotedId) as string;
  }

  /** Joined the shared execution (unless the client completed it meanwhile). */
  joined(): void {
    if (this.state === OVER) {
      void this.connection.transport.shared.detach(this);
      return;
    }
    this.state = LIVE;
    this.connection.transport.options.counter?.started();
  }

  get sink(): FrameSink {
    return this.connection;
  }

  ended(error: Error | null): void {
    const ctx = this.connection.ctx!;
    const registered = ctx.subscriptions[this.id] === (this as unknown as AsyncGenerator<unknown>);
    this.over();
    if (!registered) return;
    delete ctx.subscriptions[this.id];
    void this.notify(ctx, error).catch((failure: unknown) =>
      this.connection.transport.options.logger.error({ err: failure, operationId: this.id }, 'websocket send failed'),
    );
  }

  /** graphql-ws's messages at the end of an operation: `complete`, or the failure as an `error` (through `onError`). */
  private async notify(ctx: WsContext, error: Error | null): Promise<void> {
    if (!error) {
      await this.connection.send(stringifyMessage({ id: this.id, type: MessageType.Complete }));
      return;
    }
    const errors = [new GraphQLError(error.message, { originalError: error })];
    const formatted = (await this.connection.transport.options.onError?.(ctx, this.id, undefined, errors)) ?? errors.map((e) => e.toJSON());
    await this.connection.send(stringifyMessage({ id: this.id, type: MessageType.Error, payload: formatted }));
  }

  private over(): void {
    if (this.state === LIVE) this.connection.transport.options.counter?.ended();
    this.state = OVER;
  }

  // graphql-ws's view: an async generator that is never iterated, only returned.
  async return(): Promise<IteratorResult<never>> {
    const live = this.state !== PENDING;
    this.over();
    if (live) await this.connection.transport.shared.detach(this);
    return { done: true, value: undefined };
  }

  async next(): Promise<IteratorResult<never>> {
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<never>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** An error ws raises for what a client sent (its codes start with `WS_ERR_`), not a fault of the server. */
function isClientProtocolError(error: Error): error is Error & { code: string } {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('WS_ERR_');
}
