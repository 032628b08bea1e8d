import { GraphQLBoolean, GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { createSharedSubscriptions, type DirectMember, type FrameSink, type SharedSubscriptions } from '../../../src/graphql/shared-subscriptions';

/** A schema whose `ticked` subscription yields what the test pushes (or fails with `boom`). */
/** tickingSchema's schema with its `ticked` subscription answered by `subscribe` instead. */
function tickedBy(subscribe: () => AsyncIterableIterator<string>): GraphQLSchema {
  return new GraphQLSchema({
    query: tickingSchema().schema.getQueryType()!,
    subscription: new GraphQLObjectType({ name: 'Subscription', fields: { ticked: { type: GraphQLString, subscribe } } }),
  });
}

function tickingSchema() {
  const waiting: ((value: IteratorResult<string | Error>) => void)[] = [];
  const pending: (string | Error)[] = [];
  let finished = false;
  let subscribed = 0;
  const push = (value: string | Error) => {
    const resolve = waiting.shift();
    if (resolve) resolve({ done: false, value });
    else pending.push(value);
  };
  /** Ends the stream after what was pushed. */
  const finish = () => {
    finished = true;
    waiting.splice(0).forEach((resolve) => resolve({ done: true, value: undefined }));
  };
  const source = (): AsyncIterableIterator<string | Error> => ({
    next: () =>
      pending.length > 0
        ? Promise.resolve({ done: false, value: pending.shift()! })
        : finished
          ? Promise.resolve({ done: true, value: undefined })
          : new Promise((resolve) => waiting.push(resolve)),
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
          subscribe: () => {
            subscribed += 1;
            return source();
          },
          resolve: (value: string | Error) => {
            if (value instanceof Error) throw value;
            return value;
          },
        },
      },
    }),
  });
  return { schema, push, finish, subscribed: () => subscribed };
}

/** A sink recording each member's frames; `flush` runs the written-out callbacks, as the socket would. */
function recordingSink() {
  const framesOf = new Map<DirectMember, string[]>();
  const unwritten: (() => void)[] = [];
  const sink: FrameSink = {
    sendNext(members, tail, written) {
      for (const member of members) framesOf.get(member)!.push(`{"id":${member.quotedId}${tail.text}`);
      unwritten.push(written);
    },
  };
  return { sink, framesOf, flush: () => unwritten.splice(0).forEach((done) => done()) };
}

/** A direct member recording its frames and its end, on a sink of its own unless one is given. */
function recordingMember(id: string, on = recordingSink()) {
  const frames: string[] = [];
  const ends: (Error | null)[] = [];
  const member: DirectMember = {
    quotedId: JSON.stringify(id),
    sink: on.sink,
    execution: null,
    ended: (error) => ends.push(error),
  };
  on.framesOf.set(member, frames);
  return { member, frames, ends, flush: on.flush };
}

/** Attaches a member to the shared execution of `args`, which must be shareable. */
async function attach(shared: SharedSubscriptions, args: ExecutionArgs, member: DirectMember) {
  const key = shared.keyOf(args);
  if (key === null) throw new Error('not shareable');
  return shared.attach(key, () => args, member);
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('shared subscriptions sending frames directly', () => {
  const document = parse('subscription { ticked }');

  it('sends each member the bytes graphql-ws would send, with its own operation id, serializing once per event', async () => {
    const { schema, push } = tickingSchema();
    const shared = createSharedSubscriptions();
    const a = recordingMember('op-1');
    const b = recordingMember('weird "id"\n');
    expect(await attach(shared, { schema, document }, a.member)).toBeNull();
    expect(await attach(shared, { schema, document }, b.member)).toBeNull();
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

  it('hands a sink the frames of all its members once per event; ends its members with SUBSCRIBER_TOO_SLOW when its events are not written out, the others go on', async () => {
    const { schema, push } = tickingSchema();
    const shared = createSharedSubscriptions({ maxQueued: 3 });
    const slowSocket = recordingSink();
    const calls: number[] = [];
    const sendNext = slowSocket.sink.sendNext.bind(slowSocket.sink);
    slowSocket.sink.sendNext = (members, tail, written) => {
      calls.push([...members].length);
      sendNext(members, tail, written);
    };
    const slow = [recordingMember('slow-1', slowSocket), recordingMember('slow-2', slowSocket)];
    const fast = recordingMember('fast');
    for (const { member } of [...slow, fast]) await attach(shared, { schema, document }, member);
    for (let n = 0; n < 5; n += 1) {
      push(`t${n}`);
      await tick();
      fast.flush();
    }
    expect(calls).toEqual([2, 2, 2]);
    for (const { frames, ends } of slow) {
      expect(frames).toEqual(['t0', 't1', 't2'].map((ticked) => expect.stringContaining(`"payload":{"data":{"ticked":"${ticked}"}}`)));
      expect(ends).toEqual([expect.objectContaining({ code: 'SUBSCRIBER_TOO_SLOW' })]);
    }
    expect(fast.frames).toHaveLength(5);
    expect(fast.ends).toEqual([]);
    expect(shared.executions).toBe(1);
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

  it('starts one execution for members attaching at the same time, and tells each member when it ends', async () => {
    const { schema, push, finish, subscribed } = tickingSchema();
    const shared = createSharedSubscriptions();
    const members = [recordingMember('a'), recordingMember('b'), recordingMember('c')];
    expect(await Promise.all(members.map(({ member }) => attach(shared, { schema, document }, member)))).toEqual([null, null, null]);
    expect(subscribed()).toBe(1);
    expect(shared.executions).toBe(1);
    push('one');
    finish();
    await tick();
    for (const { frames, ends } of members) {
      expect(frames).toHaveLength(1);
      expect(ends).toEqual([null]);
    }
    expect(shared.executions).toBe(0);
  });

  it('ends every direct member with the error of a failing execution', async () => {
    const failing = tickedBy(
      (): AsyncIterableIterator<string> => ({
        next: () => Promise.reject(new Error('broker gone')),
        return: async () => ({ done: true, value: undefined }),
        [Symbol.asyncIterator]() {
          return this;
        },
      }),
    );
    const shared = createSharedSubscriptions();
    const a = recordingMember('a');
    await attach(shared, { schema: failing, document }, a.member);
    await tick();
    expect(a.ends).toEqual([expect.objectContaining({ message: 'broker gone' })]);
    expect(shared.executions).toBe(0);
  });

  it('ends the execution when its last direct member detaches, and not before', async () => {
    const { schema } = tickingSchema();
    const shared = createSharedSubscriptions();
    const args = { schema, document };
    const a = recordingMember('a');
    const b = recordingMember('b');
    await attach(shared, args, a.member);
    await attach(shared, args, b.member);
    await shared.detach(a.member);
    expect(shared.executions).toBe(1);
    await shared.detach(b.member);
    expect(shared.executions).toBe(0);
    expect([a.ends, b.ends]).toEqual([[], []]);
  });

  it('answers a subscription that gives no stream with its result, adding no member', async () => {
    const shared = createSharedSubscriptions();
    const refused = tickedBy(() => {
      throw new Error('no such subject');
    });
    const a = recordingMember('a');
    const result = await attach(shared, { schema: refused, document }, a.member);
    expect(result).toMatchObject({ errors: [expect.objectContaining({ message: 'no such subject' })] });
    expect(shared.executions).toBe(0);
    expect(a.ends).toEqual([]);
  });
});

describe('which subscriptions share an execution', () => {
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        changed: {
          type: GraphQLString,
          args: { after: { type: GraphQLString }, includeSnapshot: { type: GraphQLBoolean, defaultValue: false } },
          // keyOf only reads the arguments: nothing is subscribed here.
          subscribe: () => {
            throw new Error('not subscribed in these cases');
          },
        },
      },
    }),
  });
  const keyOf = (source: string, variableValues?: Record<string, unknown>) =>
    createSharedSubscriptions().keyOf({ schema, document: parse(source), ...(variableValues ? { variableValues } : {}) });

  it('a live subscription without a snapshot or a cursor shares; one asking for either does not, by literal, variable or variable default', () => {
    expect(keyOf('subscription { changed }')).not.toBeNull();
    expect(keyOf('subscription($s: Boolean) { changed(includeSnapshot: $s) }', { s: false })).not.toBeNull();
    expect(keyOf('subscription { changed(includeSnapshot: true) }')).toBeNull();
    expect(keyOf('subscription($s: Boolean) { changed(includeSnapshot: $s) }', { s: true })).toBeNull();
    // A variable's default is what the execution reads when the client sends none.
    expect(keyOf('subscription($s: Boolean = true) { changed(includeSnapshot: $s) }', {})).toBeNull();
    expect(keyOf('subscription($s: Boolean = true) { changed(includeSnapshot: $s) }')).toBeNull();
    expect(keyOf('subscription($a: String = "cursor") { changed(after: $a) }', {})).toBeNull();
    // Invalid variables are the normal path's to report.
    expect(keyOf('subscription($s: Boolean!) { changed(includeSnapshot: $s) }', {})).toBeNull();
  });
});
