import { MongoClient, type Db } from 'mongodb';
import { AppError, ErrorCode } from '../errors';
import type { Logger } from '../logger';
import { watchServerMonitors } from './mongo-monitor-watchdog';
import { watchPoolOperations } from './mongo-operation-watchdog';

export interface MongoHandle {
  readonly client: MongoClient;
  readonly db: Db;
  close(): Promise<void>;
}

/** What connecting needs; tlsCAFile absent means the URI alone decides (tooling built before it). */
export type MongoSettings = {
  /** Carries TLS and credentials (`mongodb+srv://user:pass@host/?tls=true`); log it only through redact(). */
  readonly uri: string;
  readonly database: string;
  readonly tlsCAFile?: string | null;
  /** How long connecting waits for the store to answer, trying again (default 0: one attempt). */
  readonly startupTimeoutMs?: number;
  /** Longest an operation may hold its connection before it is ended with STORE_TIMEOUT (default 0: no bound). */
  readonly operationTimeoutMs?: number;
};

/** A wait between two attempts to reach the store at start-up. */
const RETRY_PAUSE_MS = 1000;

/**
 * Connects to the state store. A store that does not answer yet (starting, restarting, busy) is
 * waited for, up to `startupTimeoutMs`: each attempt is a server selection of at most 5 s, each
 * failed one is logged with the time waited and its error, and past the deadline the attempt's
 * error becomes STORE_UNAVAILABLE naming the setting. Refused credentials are not waited on:
 * STORE_AUTH_FAILED at once. TLS and credentials come from the URI (Atlas: `mongodb+srv://user:pass@cluster/…`,
 * TLS implied); MONGODB_TLS_CA_FILE adds a private CA. Two watchdogs run beside the client: one
 * restarts a server monitor whose check never ends (mongo-monitor-watchdog.ts), one ends an
 * operation that holds its connection past `operationTimeoutMs` (mongo-operation-watchdog.ts).
 */
export async function connectMongo(config: MongoSettings, options: { logger?: Logger } = {}): Promise<MongoHandle> {
  const startedAt = Date.now();
  const deadline = startedAt + (config.startupTimeoutMs ?? 0);
  for (let attempt = 1; ; attempt += 1) {
    const client = new MongoClient(config.uri, {
      serverSelectionTimeoutMS: 5000,
      appName: 'canonql',
      ...(config.tlsCAFile ? { tlsCAFile: config.tlsCAFile } : {}),
    });
    // Before connect(): the first check may already be the one that gets stuck.
    const watchdog = watchServerMonitors(client, options.logger ? { logger: options.logger } : {});
    try {
      await client.connect();
    } catch (error) {
      watchdog.stop();
      await client.close().catch(() => undefined);
      const failure = mongoConnectError(error, config.uri);
      const waitedMs = Date.now() - startedAt;
      if (!failure.retriable || Date.now() >= deadline) {
        if (!failure.retriable || config.startupTimeoutMs === undefined || config.startupTimeoutMs === 0) throw failure;
        throw new AppError(
          ErrorCode.STORE_UNAVAILABLE,
          `the state store at ${redact(config.uri)} did not answer within ${config.startupTimeoutMs} ms (CANONQL_STORE_STARTUP_TIMEOUT_MS; ${attempt} attempts): ${failure.message}`,
          { cause: error, retriable: true },
        );
      }
      options.logger?.warn(
        { store: redact(config.uri), attempt, waitedMs, deadlineMs: config.startupTimeoutMs, err: failure.message },
        `waiting for the state store (${Math.round(waitedMs / 1000)} s of ${Math.round(config.startupTimeoutMs! / 1000)} s)`,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - Date.now()))));
      continue;
    }
    if (attempt > 1) options.logger?.info({ store: redact(config.uri), attempt, waitedMs: Date.now() - startedAt }, 'the state store answered');
    const operations = config.operationTimeoutMs
      ? watchPoolOperations(client, { stuckAfterMs: config.operationTimeoutMs, ...(options.logger ? { logger: options.logger } : {}) })
      : null;
    const db = client.db(config.database);
    return {
      client,
      db,
      close: () => {
        watchdog.stop();
        operations?.stop();
        return client.close();
      },
    };
  }
}

/** MongoDB's AuthenticationFailed; the driver reports it from connect() when credentials are wrong. */
const AUTHENTICATION_FAILED = 18;

export function mongoConnectError(error: unknown, uri: string): AppError {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? redactText(error.message, uri) : String(error);
  if (code === AUTHENTICATION_FAILED) {
    return new AppError(ErrorCode.STORE_AUTH_FAILED, `MongoDB refused the credentials${userOf(uri)} at ${redact(uri)} (check MONGODB_URI): ${message}`, {
      cause: error,
      retriable: false,
    });
  }
  return new AppError(ErrorCode.STORE_UNAVAILABLE, `cannot reach MongoDB at ${redact(uri)}: ${message}`, { cause: error, retriable: true });
}

function userOf(uri: string): string {
  const match = /^[a-z+]+:\/\/([^:@/]+)(:[^@/]*)?@/i.exec(uri);
  return match ? ` of user "${decodeURIComponent(match[1]!)}"` : '';
}

/**
 * Connection strings may carry secrets: the password in the user info and, for MONGODB-AWS, a
 * session token among the options. Logs and errors get them masked.
 */
export function redact(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@').replace(/(AWS_SESSION_TOKEN(?::|%3A))[^,&]*/gi, '$1***');
}

/** A driver message may quote the URI or the raw password: mask both. */
function redactText(text: string, uri: string): string {
  const password = /\/\/[^:@/]+:([^@/]+)@/.exec(uri)?.[1];
  let out = text.split(uri).join(redact(uri));
  if (password) {
    for (const secret of new Set([password, safeDecode(password)])) out = out.split(secret).join('***');
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
