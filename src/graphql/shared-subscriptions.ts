import { getOperationAST, print, subscribe, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { DEFAULT_MAX_SUBSCRIBER_BACKLOG, SUBSCRIBER_TOO_SLOW } from '../subscriptions/subscriber-too-slow-error';

/**
 * One GraphQL execution per live event per distinct subscription shape, not per socket.
 *
 * Subscriptions that follow the live stream only (no `after`, no `includeSnapshot`) with the same
 * document, variables and operation against the same schema receive the same payloads, so they
 * share one execution: the first one subscribes, later ones join its fan-out, the last one to
 * leave ends it. Resuming or snapshot subscriptions are per client (each has its own catch-up).
 * Each member has a bounded backlog; a member that falls behind is ended, never buffered forever.
 *
 * Two kinds of member. A {@link DirectMember} (a websocket operation, see ws-transport.ts) is held
 * by the group itself, with no iterator, promise or generator of its own. The group keeps its
 * direct members by {@link FrameSink} (their socket) and hands each sink, once per event, the
 * `next` frames of all its members in the group at once: the payload is serialized once per event
 * for the whole group, and each member's frame is its frame head (`{"id":…`) and that shared tail
 * (`,"type":"next","payload":…}`), the bytes graphql-ws would have sent. A sink's backlog is the
 * events handed to it and not yet written out (one count per event, not per frame: every member on
 * the sink has exactly one frame in each, so no member has more frames waiting than that count);
 * when it reaches the bound, every member of the group on that sink is ended as too slow. The group
 * tells a direct member when it ends (`ended`: the execution finished, failed, or the member fell
 * too far behind). A member joined through {@link SharedSubscriptions.subscribe} gets an iterator
 * of the execution results instead, with a bounded queue.
 */
export interface SharedSubscriptions {
  subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  /** The shared execution's key of a shareable subscription; null: it gets an execution of its own. */
  keyOf(args: ExecutionArgs): string | null;
  /**
   * Adds a direct member to the execution of `key`, starting it with `args()` when none runs (or
   * waiting for one being started). Null: the member joined. An execution result: the subscription
   * produced no stream (for example its arguments were refused); the member is not added.
   */
  attach(key: string, args: () => ExecutionArgs, member: DirectMember): Promise<ExecutionResult | null>;
  /** Removes a direct member (it may have left already); the last one to leave ends the execution. */
  detach(member: DirectMember): Promise<void>;
  /** Executions currently running (for tests and metrics). */
  readonly executions: number;
  /** Executions started since creation (for tests and metrics). */
  readonly started: number;
}

/** A member the group sends frames to itself (see {@link SharedSubscriptions}). */
export interface DirectMember {
  /** The member's operation id as JSON text: its frames are `{"id":<quotedId>,"type":"next","payload":<payload>}`. */
  readonly quotedId: string;
  /** Where the member's frames go (its socket); members sharing a sink get an event's frames in one call. */
  readonly sink: FrameSink;
  /** The execution the member belongs to; kept by the group (no key string of its own per member). */
  execution: SharedExecution | null;
  /** The member was removed by the group: the execution ended (null), failed, or the member fell too far behind. */
  ended(error: Error | null): void;
}

/** A socket the group writes its direct members' `next` frames to. */
export interface FrameSink {
  /**
   * Sends each of `members`, in order, the frame `{"id":<quotedId>` + `tail.text`, and calls
   * `written` once when all of them are written out (or could not be: the socket is closed).
   */
  sendNext(members: Iterable<DirectMember>, tail: FrameTail, written: () => void): void;
}

/** What follows the operation id in every member's `next` frame of one event: serialized once, its bytes encoded once. */
export class FrameTail {
  private encoded: Buffer | null = null;

  constructor(readonly text: string) {}

  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(this.text));
  }
}

/** A running shared execution, as its direct members see it (opaque). */
export interface SharedExecution {
  readonly key: string;
}

interface Group extends SharedExecution {
  /** Members reading through an iterator. */
  readonly queued: Set<QueuedMember>;
  /** Direct members, by the sink their frames go to. */
  readonly sinks: Map<FrameSink, SinkMembers>;
  /** Direct members in {@link sinks}. */
  direct: number;
  readonly source: AsyncIterableIterator<ExecutionResult>;
}

/** A group's direct members on one sink, and the events handed to it and not written out yet. */
interface SinkMembers {
  readonly members: Set<DirectMember>;
  unwritten: number;
}

const sizeOf = (group: Group) => group.queued.size + group.direct;

const addMember = (group: Group, member: QueuedMember | DirectMember) => {
  if (member instanceof QueuedMember) {
    group.queued.add(member);
    return;
  }
  member.execution = group;
  const on = group.sinks.get(member.sink);
  if (on) on.members.add(member);
  else group.sinks.set(member.sink, { members: new Set([member]), unwritten: 0 });
  group.direct += 1;
};

/** Removes a member; false: it was not in the group. */
const removeMember = (group: Group, member: QueuedMember | DirectMember): boolean => {
  if (member instanceof QueuedMember) return group.queued.delete(member);
  const on = group.sinks.get(member.sink);
  if (!on?.members.delete(member)) return false;
  if (on.members.size === 0) group.sinks.delete(member.sink);
  group.direct -= 1;
  return true;
};

/** A member read through an iterator. */
class QueuedMember {
  readonly queue: ExecutionResult[] = [];
  wake: (() => void) | null = null;
  done = false;
  error: Error | null = null;
}

const tooSlow = () =>
  Object.assign(new Error('SUBSCRIBER_TOO_SLOW: this subscriber fell too far behind the live stream; resume with the last cursor received'), {
    code: SUBSCRIBER_TOO_SLOW,
  });

export function createSharedSubscriptions(options: { maxQueued?: number } = {}): SharedSubscriptions {
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_SUBSCRIBER_BACKLOG;
  const groups = new Map<string, Group>();
  /** Executions being started, so identical subscriptions arriving meanwhile wait for it rather than start their own. */
  const starting = new Map<string, Promise<unknown>>();
  const schemaIds = new WeakMap<GraphQLSchema, number>();
  // Documents are shared between subscriptions of the same text (limits/ws-guards.ts), so each is printed once.
  const printed = new WeakMap<DocumentNode, string>();
  const textOf = (document: DocumentNode) => {
    let text = printed.get(document);
    if (text === undefined) printed.set(document, (text = print(document)));
    return text;
  };
  let nextSchemaId = 0;
  let started = 0;

  const keyOf = (args: ExecutionArgs): string | null => {
    const operation = getOperationAST(args.document, args.operationName);
    const field = operation?.selectionSet.selections[0];
    if (operation?.operation !== 'subscription' || field?.kind !== 'Field' || operation.selectionSet.selections.length !== 1) return null;
    const fieldDef = args.schema.getSubscriptionType()?.getFields()[field.name.value];
    if (!fieldDef) return null;
    // Arguments as the execution will see them: the variables coerced first, so a variable's
    // default (`$snap: Boolean = true`) counts, as it does in the execution.
    const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
    if (variables.errors) return null; // invalid variables: let the normal path report the error
    let values: Record<string, unknown>;
    try {
      values = getArgumentValues(fieldDef, field, variables.coerced);
    } catch {
      return null; // invalid arguments: let the normal path report the error
    }
    if ((values.after !== undefined && values.after !== null) || values.includeSnapshot === true) return null;
    if (!schemaIds.has(args.schema)) schemaIds.set(args.schema, (nextSchemaId += 1));
    return JSON.stringify([schemaIds.get(args.schema), textOf(args.document), args.operationName ?? null, args.variableValues ?? {}]);
  };

  const pump = async (key: string, group: Group) => {
    let failure: Error | null = null;
    try {
      for (;;) {
        const next = await group.source.next();
        if (next.done) break;
        for (const member of group.queued) {
          if (member.queue.length >= maxQueued) {
            member.error = tooSlow();
            group.queued.delete(member);
          } else {
            member.queue.push(next.value);
          }
          member.wake?.();
        }
        // Everything after the operation id, once per event for the whole group.
        let tail: FrameTail | null = null;
        for (const [sink, on] of group.sinks) {
          if (on.unwritten >= maxQueued) {
            group.sinks.delete(sink);
            group.direct -= on.members.size;
            for (const member of on.members) member.ended(tooSlow());
            continue;
          }
          tail ??= new FrameTail(`,"type":"next","payload":${serializePayload(next.value)}}`);
          on.unwritten += 1;
          sink.sendNext(on.members, tail, () => {
            on.unwritten -= 1;
          });
        }
        if (sizeOf(group) === 0) break;
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      if (groups.get(key) === group) groups.delete(key);
      const queued = [...group.queued];
      const direct = [...group.sinks.values()].flatMap((on) => [...on.members]);
      group.queued.clear();
      group.sinks.clear();
      group.direct = 0;
      for (const member of queued) {
        member.error ??= failure;
        member.done = true;
        member.wake?.();
      }
      for (const member of direct) member.ended(failure);
      await group.source.return?.();
    }
  };

  const leave = async (key: string, group: Group, member: QueuedMember | DirectMember) => {
    if (!removeMember(group, member)) return;
    if (sizeOf(group) === 0 && groups.get(key) === group) {
      groups.delete(key);
      await group.source.return?.();
    }
  };

  /**
   * Adds `member` to the running execution of `key` (synchronously once it is found, so it cannot
   * miss the execution's end), starting it with `args()` when none runs; or returns the result of
   * a subscription that gave no stream.
   */
  const join = async (key: string, args: () => ExecutionArgs, member: QueuedMember | DirectMember): Promise<Group | ExecutionResult> => {
    for (;;) {
      const existing = groups.get(key);
      if (existing) {
        addMember(existing, member);
        return existing;
      }
      const pending = starting.get(key);
      if (!pending) break;
      await pending; // then look again: it either runs, or gave no stream (this one then tries itself)
    }
    const start = subscribe(args());
    starting.set(key, start);
    let result: Awaited<typeof start>;
    try {
      result = await start;
    } finally {
      starting.delete(key);
    }
    if (!(Symbol.asyncIterator in result)) return result;
    started += 1;
    const group: Group = { key, queued: new Set(), sinks: new Map(), direct: 0, source: result };
    addMember(group, member);
    groups.set(key, group);
    void pump(key, group);
    return group;
  };

  return {
    keyOf,
    async subscribe(args) {
      const key = keyOf(args);
      if (key === null) return subscribe(args) as Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
      const member = new QueuedMember();
      const group = await join(key, () => args, member);
      if (!('sinks' in group)) return group;
      return new MemberIterator(member, async () => {
        member.done = true;
        await leave(key, group, member);
      });
    },
    async attach(key, args, member) {
      const group = await join(key, args, member);
      return 'sinks' in group ? null : group;
    },
    async detach(member) {
      const group = member.execution as Group | null;
      member.execution = null;
      if (group) await leave(group.key, group, member);
    },
    get executions() {
      return groups.size;
    },
    get started() {
      return started;
    },
  };
}

/**
 * A member's iterator. A class, not an object of closures: an idle subscription holds it for its
 * whole life, and its methods live once on the prototype.
 */
class MemberIterator implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly member: QueuedMember,
    private readonly leave: () => Promise<void>,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const { member } = this;
    for (;;) {
      if (member.queue.length > 0) return { done: false, value: member.queue.shift()! };
      if (member.error) throw member.error;
      if (member.done) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        member.wake = resolve;
      });
      member.wake = null;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.leave();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.leave();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The payload graphql-ws sends for a result: its fields, errors last (JSON.stringify calls GraphQLError's toJSON, as graphql-ws does). */
export function serializePayload(result: ExecutionResult): string {
  const { errors, ...rest } = result;
  return JSON.stringify(errors ? { ...rest, errors } : rest);
}
