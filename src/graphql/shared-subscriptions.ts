import { getOperationAST, print, subscribe, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { SUBSCRIBER_TOO_SLOW } from '../subscriptions/subscriber-too-slow-error';

/**
 * One GraphQL execution per live event per distinct subscription shape, not per socket.
 *
 * Subscriptions that follow the live stream only (no `after`, no `includeSnapshot`) with the same
 * document, variables and operation against the same schema receive the same payloads, so they
 * share one execution: the first one subscribes, later ones join its fan-out, the last one to
 * leave ends it. Resuming or snapshot subscriptions are per client (each has its own catch-up).
 * Each member has a bounded backlog; a member that falls behind is ended, never buffered forever.
 *
 * A member joined with a {@link DirectSink} (a graphql-ws operation: its id and its socket) is
 * sent its `next` frames here, not through graphql-ws: the payload is serialized once per event
 * for the whole group and only the operation id is spliced in per member, the bytes graphql-ws
 * would have sent (`{"id":…,"type":"next","payload":…}`). Its iterator yields nothing and ends
 * when the group ends (graphql-ws then sends `complete`) or with the too-slow error (graphql-ws
 * sends it as an `error`). Its backlog is the frames handed to the socket and not yet written out.
 */
export interface SharedSubscriptions {
  subscribe(args: ExecutionArgs, sink?: DirectSink): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  /** Executions currently running (for tests and metrics). */
  readonly executions: number;
  /** Executions started since creation (for tests and metrics). */
  readonly started: number;
}

interface Group {
  readonly members: Set<Member>;
  readonly source: AsyncIterableIterator<ExecutionResult>;
}

/** Where a member's frames go directly: a graphql-ws operation id and its socket. */
export interface DirectSink {
  readonly id: string;
  /** `ws`'s send: the callback runs once the frame is written out (or failed). */
  send(frame: string, written: (error?: Error) => void): void;
}

interface Member {
  readonly queue: ExecutionResult[];
  readonly sink: DirectSink | null;
  /** The frame's opening up to the payload, with this member's operation id (direct members). */
  readonly head: string;
  /** Frames handed to the sink and not written out yet (direct members). */
  unwritten: number;
  wake: (() => void) | null;
  done: boolean;
  error: Error | null;
}

export function createSharedSubscriptions(options: { maxQueued?: number } = {}): SharedSubscriptions {
  const maxQueued = options.maxQueued ?? 1000;
  const groups = new Map<string, Group>();
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
    let values: Record<string, unknown>;
    try {
      values = getArgumentValues(fieldDef, field, args.variableValues ?? undefined);
    } catch {
      return null; // invalid arguments: let the normal path report the error
    }
    if ((values.after !== undefined && values.after !== null) || values.includeSnapshot === true) return null;
    if (!schemaIds.has(args.schema)) schemaIds.set(args.schema, (nextSchemaId += 1));
    return JSON.stringify([schemaIds.get(args.schema), textOf(args.document), args.operationName ?? null, args.variableValues ?? {}]);
  };

  const pump = async (key: string, group: Group) => {
    try {
      for (;;) {
        const next = await group.source.next();
        if (next.done) break;
        let payload: string | null = null;
        for (const member of group.members) {
          if ((member.sink ? member.unwritten : member.queue.length) >= maxQueued) {
            member.error = Object.assign(
              new Error('SUBSCRIBER_TOO_SLOW: this subscriber fell too far behind the live stream; resume with the last cursor received'),
              { code: SUBSCRIBER_TOO_SLOW },
            );
            group.members.delete(member);
          } else if (member.sink) {
            payload ??= `${serializePayload(next.value)}}`;
            member.unwritten += 1;
            member.sink.send(member.head + payload, () => {
              member.unwritten -= 1;
            });
            continue;
          } else {
            member.queue.push(next.value);
          }
          member.wake?.();
        }
        if (group.members.size === 0) break;
      }
    } catch (error) {
      for (const member of group.members) {
        member.error = error instanceof Error ? error : new Error(String(error));
        member.wake?.();
      }
    } finally {
      for (const member of group.members) {
        member.done = true;
        member.wake?.();
      }
      if (groups.get(key) === group) groups.delete(key);
      await group.source.return?.();
    }
  };

  const join = (key: string, group: Group, sink: DirectSink | null): AsyncIterableIterator<ExecutionResult> => {
    const head = sink ? `{"id":${JSON.stringify(sink.id)},"type":"next","payload":` : '';
    const member: Member = { queue: [], sink, head, unwritten: 0, wake: null, done: false, error: null };
    group.members.add(member);
    return new MemberIterator(member, async () => {
      group.members.delete(member);
      member.done = true;
      if (group.members.size === 0 && groups.get(key) === group) {
        groups.delete(key);
        await group.source.return?.();
      }
    });
  };

  return {
    async subscribe(args, sink) {
      const key = keyOf(args);
      if (key === null) return subscribe(args) as Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
      const existing = groups.get(key);
      if (existing) return join(key, existing, sink ?? null);
      const result = await subscribe(args);
      if (!(Symbol.asyncIterator in result)) return result;
      if (groups.has(key)) {
        // Another identical subscription started while this one was being set up: use it.
        await (result as AsyncIterableIterator<ExecutionResult>).return?.();
        return join(key, groups.get(key)!, sink ?? null);
      }
      started += 1;
      const group: Group = { members: new Set(), source: result as AsyncIterableIterator<ExecutionResult> };
      groups.set(key, group);
      const iterator = join(key, group, sink ?? null);
      void pump(key, group);
      return iterator;
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
    private readonly member: Member,
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
function serializePayload(result: ExecutionResult): string {
  const { errors, ...rest } = result;
  return JSON.stringify(errors ? { ...rest, errors } : rest);
}
