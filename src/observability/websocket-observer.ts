import type { IncomingMessage } from 'node:http';
import type { ExecutionResult } from 'graphql';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger';
import { requestIdOf } from './request-id';
import type { ServiceMetrics } from './service-metrics';

/**
 * Websocket side of observability: each connection gets a connection id (from its upgrade
 * request's `x-request-id` when sane, else generated) and a child logger carrying it, is counted
 * in the connections gauge while open, and each subscription operation in the subscriptions gauge
 * while it runs.
 */
export interface RequestScope {
  readonly requestId: string;
  readonly logger: Logger;
}

export interface WebsocketObserver {
  /** The connection's id and logger (a fresh scope for a socket never seen, which cannot happen in practice). */
  scopeOf(socket: WebSocket): RequestScope;
  /** The subscriptions gauge, for subscriptions without an iterator of their own (absent without metrics). */
  readonly counter?: { started(): void; ended(): void };
  /** Counts a subscription from its start until its iterator ends or is returned. */
  track<T>(result: Promise<AsyncIterableIterator<T> | ExecutionResult>): Promise<AsyncIterableIterator<T> | ExecutionResult>;
}

/** The scope of one HTTP request: its id and a child logger. */
export function requestScope(req: IncomingMessage, logger: Logger): RequestScope {
  const requestId = requestIdOf(req);
  return { requestId, logger: logger.child({ requestId }) };
}

export function observeWebsockets(wsServer: WebSocketServer, options: { logger: Logger; metrics?: ServiceMetrics }): WebsocketObserver {
  const scopes = new WeakMap<WebSocket, RequestScope>();
  wsServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const connectionId = requestIdOf(request);
    const logger = options.logger.child({ connectionId });
    scopes.set(socket, { requestId: connectionId, logger });
    options.metrics?.websocketOpened();
    logger.debug({ remote: request.socket.remoteAddress }, 'websocket connected');
    socket.once('close', (code: number, reason: Buffer) => {
      options.metrics?.websocketClosed();
      logger.debug({ code, reason: reason.toString() }, 'websocket closed');
    });
  });
  const metrics = options.metrics;
  return {
    ...(metrics ? { counter: { started: () => metrics.subscriptionStarted(), ended: () => metrics.subscriptionEnded() } } : {}),
    scopeOf(socket) {
      let scope = scopes.get(socket);
      if (!scope) {
        const requestId = requestIdOf({ headers: {} } as IncomingMessage);
        scope = { requestId, logger: options.logger.child({ connectionId: requestId }) };
        scopes.set(socket, scope);
      }
      return scope;
    },
    async track(result) {
      const value = await result;
      const metrics = options.metrics;
      if (!metrics || !(Symbol.asyncIterator in value)) return value;
      return countedIterator(value, metrics);
    },
  };
}

function countedIterator<T>(source: AsyncIterableIterator<T>, metrics: ServiceMetrics): AsyncIterableIterator<T> {
  metrics.subscriptionStarted();
  return new CountedIterator(source, metrics);
}

/** Counts a subscription's end once. A class: an idle subscription holds it for its whole life, and its methods live once on the prototype. */
class CountedIterator<T> implements AsyncIterableIterator<T> {
  private ended = false;

  constructor(
    private readonly source: AsyncIterableIterator<T>,
    private readonly metrics: ServiceMetrics,
  ) {}

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.metrics.subscriptionEnded();
  }

  async next(): Promise<IteratorResult<T>> {
    try {
      const next = await this.source.next();
      if (next.done) this.end();
      return next;
    } catch (error) {
      this.end();
      throw error;
    }
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return this.source.return ? this.source.return(value) : { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    if (this.source.throw) return this.source.throw(error);
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
