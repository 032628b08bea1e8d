import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GraphQLError,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  subscribe as graphqlSubscribe,
  validate,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger } from '../../../src/logger';
import { createSharedSubscriptions } from '../../../src/graphql/shared-subscriptions';
import { serveGraphqlWs, type WsTransport } from '../../../src/graphql/ws-transport';

/** `ticked` yields what the test pushes until it finishes or fails; `refusing` throws when subscribed (no stream). */
function streamSchema() {
  let waiting: { resolve: (value: IteratorResult<string>) => void; reject: (error: Error) => void }[] = [];
  let end: IteratorResult<string> | Error | null = null;
  const settle = (how: (w: (typeof waiting)[number]) => void) => {
    const all = waiting;
    waiting = [];
    all.forEach(how);
  };
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'yes' } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticked: {
          type: GraphQLString,
          subscribe: (): AsyncIterableIterator<string> => ({
            next: () => {
              if (end instanceof Error) return Promise.reject(end);
              if (end) return Promise.resolve(end);
              return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
            },
            return: async () => ({ done: true, value: undefined }),
            [Symbol.asyncIterator]() {
              return this;
            },
          }),
          resolve: (value: string) => value,
        },
        refusing: {
          type: GraphQLString,
          subscribe: () => {
            throw new Error('no such subject');
          },
        },
      },
    }),
  });
  return {
    schema,
    push: (value: string) => settle((w) => w.resolve({ done: false, value })),
    finish: () => settle((w) => w.resolve((end = { done: true, value: undefined }))),
    fail: (error: Error) => settle((w) => w.reject((end = error))),
    /** A stream subscribed from now on goes on again after a finish or a failure. */
    reset: () => {
      end = null;
    },
  };
}

type Frame = { id?: string; type: string; payload?: unknown };

/** A raw graphql-transport-ws client: every frame it receives, and how it was closed. */
class RawClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly socket: WebSocket;
  readonly open: Promise<void>;

  constructor(url: string, options: { answerPings?: boolean } = {}) {
    this.socket = new WebSocket(url, GRAPHQL_TRANSPORT_WS_PROTOCOL, { autoPong: options.answerPings ?? true });
    this.socket.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
    this.socket.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
    this.open = new Promise((resolve) => this.socket.once('open', () => resolve()));
  }

  async init(): Promise<void> {
    await this.open;
    this.send({ type: 'connection_init' });
    await until('the connection ack', () => this.frames.some((f) => f.type === 'connection_ack'));
  }

  send(message: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  subscribe(id: string, query: string): void {
    this.send({ id, type: 'subscribe', payload: { query } });
  }

  of(id: string): Frame[] {
    return this.frames.filter((f) => f.id === id);
  }

  close(): void {
    this.socket.close();
  }

  /** The extensions the server accepted (per-message compression or none). */
  get extensions(): string {
    return this.socket.extensions;
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each([
  { compression: 'off', perMessageDeflate: false },
  { compression: 'negotiated', perMessageDeflate: true },
])('websocket transport: shareable subscriptions held outside graphql-ws (compression $compression)', ({ perMessageDeflate }) => {
  const stream = streamSchema();
  const shared = createSharedSubscriptions();
  const counts = { started: 0, ended: 0, hook: 0 };
  const onErrorCalls: { id: string; messages: string[] }[] = [];
  let shareable = true;
  let server: http.Server;
  let transport: WsTransport;
  let url: string;
  const clients: RawClient[] = [];
  const client = () => {
    const c = new RawClient(url);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = http.createServer();
    const wsServer = new WebSocketServer({ server, path: '/graphql', perMessageDeflate });
    transport = serveGraphqlWs({
      wsServer,
      keepAliveMs: 0,
      logger: createLogger({ level: 'silent' }),
      shared,
      shareable: () => shareable,
      counter: { started: () => (counts.started += 1), ended: () => (counts.ended += 1) },
      schema: stream.schema,
      onConnect: () => true,
      onSubscribe: (_ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] => {
        counts.hook += 1;
        if (payload.query.includes('refuseMe')) return [new GraphQLError('refused by the guards', { extensions: { code: 'TEST_REFUSED' } })];
        const document = parse(payload.query.replace('refuseMe', ''));
        const errors = validate(stream.schema, document);
        return errors.length > 0 ? errors : { schema: stream.schema, document };
      },
      onError: (_ctx, id, _payload, errors) => {
        onErrorCalls.push({ id, messages: errors.map((e) => e.message) });
        return undefined;
      },
      context: () => ({}),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    shareable = true;
    await until('every shared execution to end', () => shared.executions === 0);
  });
  afterAll(async () => {
    await transport.dispose();
    await new Promise((resolve) => server.close(resolve));
  });

  it('joins one execution per shape directly, sends graphql-ws next frames, and complete when the execution ends', async () => {
    const [one, two] = [client(), client()];
    await Promise.all([one.init(), two.init()]);
    const before = { ...counts, started0: shared.started };
    one.subscribe('a', 'subscription { ticked }');
    one.subscribe('b', 'subscription { ticked }');
    two.subscribe('a', 'subscription { ticked }');
    await until('three members', () => counts.started - before.started === 3);
    expect(shared.started - before.started0).toBe(1);
    expect(counts.hook - before.hook).toBe(3);
    stream.push('one');
    await until('three deliveries', () => one.frames.length + two.frames.length === 2 + 3);
    expect(one.of('a')).toEqual([{ id: 'a', type: 'next', payload: { data: { ticked: 'one' } } }]);
    expect(one.of('b')).toEqual([{ id: 'b', type: 'next', payload: { data: { ticked: 'one' } } }]);
    expect(two.of('a')).toEqual([{ id: 'a', type: 'next', payload: { data: { ticked: 'one' } } }]);
    stream.finish();
    await until('complete for each', () => [one.of('a'), one.of('b'), two.of('a')].every((frames) => frames.at(-1)?.type === 'complete'));
    expect(one.of('a').at(-1)).toEqual({ id: 'a', type: 'complete' });
    expect(counts.ended - before.ended).toBe(3);
    expect(shared.executions).toBe(0);
  });

  it('writes each socket the frames of all its members in order, whatever the ids and payload sizes', async () => {
    stream.reset(); // the stream above has finished
    const [one, two] = [client(), client()];
    await Promise.all([one.init(), two.init()]);
    expect(one.extensions).toBe(perMessageDeflate ? 'permessage-deflate' : '');
    const ids = ['s', 'ü-é', '\u{1F600} "quoted"\n', 'x'.repeat(300)];
    const before = counts.started;
    for (const id of ids) one.subscribe(id, 'subscription { ticked }');
    two.subscribe('other', 'subscription { ticked }');
    await until('five members', () => counts.started - before === 5);
    // Frame payloads under 126 bytes, up to 65,535 and above (7-, 16- and 64-bit lengths), in order.
    const values = ['a', 'b'.repeat(200), 'c'.repeat(70_000), 'ü'.repeat(40), 'e'];
    for (const [n, value] of values.entries()) {
      stream.push(value); // the stream takes a value only while the execution waits for one
      await until(`delivery ${n + 1}`, () => one.frames.length === 1 + ids.length * (n + 1) && two.frames.length === 1 + (n + 1));
    }
    for (const id of ids) expect(one.of(id)).toEqual(values.map((ticked) => ({ id, type: 'next', payload: { data: { ticked } } })));
    expect(two.of('other')).toEqual(values.map((ticked) => ({ id: 'other', type: 'next', payload: { data: { ticked } } })));
    expect([one.closed, two.closed]).toEqual([null, null]);
  });

  it('closes 4409 for a duplicate id of a direct member, and the socket close releases the member', async () => {
    stream.reset(); // the stream above has finished
    const c = client();
    await c.init();
    const ended = counts.ended;
    c.subscribe('dup', 'subscription { ticked }');
    await until('the execution', () => shared.executions === 1);
    c.subscribe('dup', 'subscription { ticked }');
    await until('the close', () => c.closed !== null);
    expect(c.closed).toEqual({ code: 4409, reason: 'Subscriber for dup already exists' });
    await until('the member released', () => shared.executions === 0);
    expect(counts.ended - ended).toBe(1);
  });

  it('a complete from the client releases its member only; the execution ends with the last one', async () => {
    const c = client();
    await c.init();
    const started = counts.started;
    c.subscribe('x', 'subscription { ticked }');
    c.subscribe('y', 'subscription { ticked }');
    await until('two members', () => counts.started - started === 2);
    c.send({ id: 'x', type: 'complete' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(shared.executions).toBe(1);
    stream.push('after x left');
    await until('y to receive it', () => c.of('y').length === 1);
    expect(c.of('x')).toEqual([]);
    c.send({ id: 'y', type: 'complete' });
    await until('the execution to end', () => shared.executions === 0);
    // graphql-ws answers a client's complete with nothing.
    expect(c.frames.filter((f) => f.type === 'complete')).toEqual([]);
  });

  it('sends an execution failure as graphql-ws error frames through onError', async () => {
    stream.reset();
    const c = client();
    await c.init();
    const started = counts.started;
    c.subscribe('f', 'subscription { ticked }');
    await until('the member', () => counts.started - started === 1);
    stream.fail(new Error('broker gone'));
    await until('the error frame', () => c.of('f').length === 1);
    expect(c.of('f')).toEqual([{ id: 'f', type: 'error', payload: [{ message: 'broker gone' }] }]);
    expect(onErrorCalls.at(-1)).toEqual({ id: 'f', messages: ['broker gone'] });
  });

  it('answers a subscription that gives no stream as graphql-ws does: its result as next, then complete', async () => {
    const c = client();
    await c.init();
    c.subscribe('r', 'subscription { refusing }');
    await until('complete', () => c.of('r').some((f) => f.type === 'complete'));
    const expected = (await graphqlSubscribe({ schema: stream.schema, document: parse('subscription { refusing }') })) as ExecutionResult;
    expect(c.of('r')).toEqual([
      { id: 'r', type: 'next', payload: JSON.parse(JSON.stringify({ errors: expected.errors!.map((e) => e.toJSON()) })) },
      { id: 'r', type: 'complete' },
    ]);
  });

  it('hands everything else to graphql-ws with the hook run once: refusals, queries, unshared subscriptions; gating before init', async () => {
    stream.reset();
    const c = client();
    await c.init();
    let hook = counts.hook;
    c.subscribe('refused', 'subscription { ticked refuseMe }');
    await until('the refusal', () => c.of('refused').length === 1);
    expect(c.of('refused')).toEqual([{ id: 'refused', type: 'error', payload: [{ message: 'refused by the guards', extensions: { code: 'TEST_REFUSED' } }] }]);
    expect(counts.hook - hook).toBe(1);
    hook = counts.hook;
    c.subscribe('q', '{ ok }');
    await until('the query', () => c.of('q').length === 2);
    expect(c.of('q')).toEqual([
      { id: 'q', type: 'next', payload: { data: { ok: 'yes' } } },
      { id: 'q', type: 'complete' },
    ]);
    expect(counts.hook - hook).toBe(1);
    shareable = false;
    const executions = shared.started;
    c.subscribe('own', 'subscription { ticked }');
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.push('unshared');
    await until('the unshared delivery', () => c.of('own').length === 1);
    expect(c.of('own')).toEqual([{ id: 'own', type: 'next', payload: { data: { ticked: 'unshared' } } }]);
    expect(shared.started).toBe(executions);
    c.send({ id: 'own', type: 'complete' });

    const early = client();
    await early.open;
    early.subscribe('too-early', 'subscription { ticked }');
    await until('the close', () => early.closed !== null);
    expect(early.closed).toEqual({ code: 4401, reason: 'Unauthorized' });
  });
});

describe('websocket transport: keep-alive', () => {
  let server: http.Server;
  let transport: WsTransport;
  let url: string;

  beforeAll(async () => {
    server = http.createServer();
    transport = serveGraphqlWs({
      wsServer: new WebSocketServer({ server, path: '/graphql' }),
      keepAliveMs: 100,
      logger: createLogger({ level: 'silent' }),
      shared: createSharedSubscriptions(),
      shareable: () => true,
      schema: streamSchema().schema,
      onConnect: () => true,
      onSubscribe: () => [],
      context: () => ({}),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await transport.dispose();
    await new Promise((resolve) => server.close(resolve));
  });

  it('terminates a connection that answers no ping within the interval, and keeps one that does', async () => {
    const silent = new RawClient(url, { answerPings: false });
    const answering = new RawClient(url);
    await Promise.all([silent.init(), answering.init()]);
    await until('the silent connection to be terminated', () => silent.closed !== null);
    // Terminated without a close frame: the client sees 1006.
    expect(silent.closed?.code).toBe(1006);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answering.closed).toBeNull();
    answering.close();
  });
});
