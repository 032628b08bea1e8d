import { GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { createSharedSubscriptions, type DirectSink } from '../../../src/graphql/shared-subscriptions';

/** A schema whose `ticked` subscription yields what the test pushes (or fails with `boom`). */
function tickingSchema() {
  const waiting: ((value: IteratorResult<string | Error>) => void)[] = [];
  const pending: (string | Error)[] = [];
  const push = (value: string | Error) => {
    const resolve = waiting.shift();
    if (resolve) resolve({ done: false, value });
    else pending.push(value);
  };
  const source = (): AsyncIterableIterator<string | Error> => ({
    next: () => (pending.length > 0 ? Promise.resolve({ done: false, value: pending.shift()! }) : new Promise((resolve) => waiting.push(resolve))),
    return: async () => ({ done: true, value: undefined }),
    [Symbol.asyncIterator]() {
      return this;
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticked: {
          type: GraphQLString,
          subscribe: source,
          resolve: (value: string | Error) => {
            if (value instanceof Error) throw value;
            return value;
          },
        },
      },
    }),
  });
  return { schema, push };
}

/** A sink recording frames; `flush` runs the written-out callbacks, as the socket would. */
function recordingSink(id: string) {
  const frames: string[] = [];
  const unwritten: (() => void)[] = [];
  const sink: DirectSink = {
    id,
    send: (frame, written) => {
      frames.push(frame);
      unwritten.push(() => written());
    },
  };
  return { sink, frames, flush: () => unwritten.splice(0).forEach((done) => done()) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('shared subscriptions sending frames directly', () => {
  const document = parse('subscription { ticked }');

  it('sends each member the bytes graphql-ws would send, with its own operation id, serializing once per event', async () => {
    const { schema, push } = tickingSchema();
    const shared = createSharedSubscriptions();
    const a = recordingSink('op-1');
    const b = recordingSink('weird "id"\n');
    await shared.subscribe({ schema, document }, a.sink);
    await shared.subscribe({ schema, document }, b.sink);
    // A member without a sink sees the execution results themselves.
    const results = (await shared.subscribe({ schema, document })) as AsyncIterableIterator<ExecutionResult>;
    expect(shared.started).toBe(1);
    push('one');
    push(new Error('boom'));
    await tick();
    const payloads = [(await results.next()).value as ExecutionResult, (await results.next()).value as ExecutionResult];
    expect(payloads[1]!.errors?.[0]).toBeInstanceOf(GraphQLError);
    // graphql-ws's own message (server.ts, emit.next): the result without errors, then the errors as JSON.
    const expected = (id: string) =>
      payloads.map(({ errors, ...rest }) =>
        stringifyMessage({ id, type: MessageType.Next, payload: { ...rest, ...(errors ? { errors: errors.map((e) => e.toJSON()) } : {}) } }),
      );
    expect(a.frames).toEqual(expected('op-1'));
    expect(b.frames).toEqual(expected('weird "id"\n'));
  });

  it('ends a member whose frames are not written out with SUBSCRIBER_TOO_SLOW; the others go on', async () => {
    const { schema, push } = tickingSchema();
    const shared = createSharedSubscriptions({ maxQueued: 3 });
    const slow = recordingSink('slow');
    const fast = recordingSink('fast');
    const slowIterator = (await shared.subscribe({ schema, document }, slow.sink)) as AsyncIterableIterator<ExecutionResult>;
    await shared.subscribe({ schema, document }, fast.sink);
    const slowEnd = slowIterator.next().then(
      () => null,
      (error: unknown) => error,
    );
    for (let n = 0; n < 5; n += 1) {
      push(`t${n}`);
      await tick();
      fast.flush();
    }
    expect(slow.frames).toHaveLength(3);
    expect(fast.frames).toHaveLength(5);
    expect(await slowEnd).toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
  });

  it('a member without a sink still receives the results through its iterator', async () => {
    const { schema, push } = tickingSchema();
    const shared = createSharedSubscriptions();
    const iterator = (await shared.subscribe({ schema, document })) as AsyncIterableIterator<ExecutionResult>;
    push('one');
    expect(await iterator.next()).toEqual({ done: false, value: { data: { ticked: 'one' } } });
    await iterator.return?.();
    expect(shared.executions).toBe(0);
  });
});
