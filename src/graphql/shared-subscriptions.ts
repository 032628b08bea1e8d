import {
  getOperationAST, print, subscribe, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { SUBSCRIBER_TOO_SLOW } from '../subscriptions/subscriber-too-slow-error';

/**
 * One GraphQL execution per live event per distinct subscription shape, not per socket.
 *
 * Subscriptions that follow the live stream only (no `after`, no `includeSnapshot`) with the same
 * document, variables and operation against the same schema receive the same payloads, so they
 * share one execution: the first one subscribes, later ones join its fan-out, the last one to
 * leave ends it. Resuming or snapshot subscriptions are per client (each has its own catch-up).
 * Each member has a bounded queue; a member that falls behind is ended, never buffered forever.
 */
export interface SharedSubscriptions {
  subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  /** Executions currently running (for tests and metrics). */
  readonly executions: number;
  /** Executions started since creation (for tests and metrics). */
  readonly started: number;
}

interface Group {
  readonly members: Set<Member>;
  readonly source: AsyncIterableIterator<ExecutionResult>;
}

interface Member {
  readonly queue: ExecutionResult[];
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
        for (const member of group.members) {
          if (member.queue.length >= maxQueued) {
            member.error = Object.assign(new Error('SUBSCRIBER_TOO_SLOW: this subscriber fell too far behind the live stream; resume with the last cursor received'), { code: SUBSCRIBER_TOO_SLOW });
            group.members.delete(member);
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

  const join = (key: string, group: Group): AsyncIterableIterator<ExecutionResult> => {
    const member: Member = { queue: [], wake: null, done: false, error: null };
    group.members.add(member);
    const leave = async () => {
      group.members.delete(member);
      member.done = true;
      if (group.members.size === 0 && groups.get(key) === group) {
        groups.delete(key);
        await group.source.return?.();
      }
    };
    return {
      async next() {
        for (;;) {
          if (member.queue.length > 0) return { done: false, value: member.queue.shift()! };
          if (member.error) throw member.error;
          if (member.done) return { done: true, value: undefined };
          await new Promise<void>((resolve) => { member.wake = resolve; });
          member.wake = null;
        }
      },
      async return() {
        await leave();
        return { done: true, value: undefined };
      },
      async throw(error?: unknown) {
        await leave();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };

  return {
    async subscribe(args) {
      const key = keyOf(args);
      if (key === null) return subscribe(args) as Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
      const existing = groups.get(key);
      if (existing) return join(key, existing);
      const result = await subscribe(args);
      if (!(Symbol.asyncIterator in result)) return result;
      if (groups.has(key)) {
        // Another identical subscription started while this one was being set up: use it.
        await (result as AsyncIterableIterator<ExecutionResult>).return?.();
        return join(key, groups.get(key)!);
      }
      started += 1;
      const group: Group = { members: new Set(), source: result as AsyncIterableIterator<ExecutionResult> };
      groups.set(key, group);
      const iterator = join(key, group);
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
