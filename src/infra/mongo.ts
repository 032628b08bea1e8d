import { MongoClient, type Db } from 'mongodb';
import { AppError, ErrorCode } from '../errors';
import type { Logger } from '../logger';
import { watchServerMonitors } from './mongo-monitor-watchdog';

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
};

/**
 * Connects to the state store and fails fast, with a coded error, when it cannot be reached.
 * TLS and credentials come from the URI (Atlas: `mongodb+srv://user:pass@cluster/…`, TLS implied);
 * MONGODB_TLS_CA_FILE adds a private CA. Refused credentials are not retriable: STORE_AUTH_FAILED.
 * A watchdog restarts a server monitor whose check never ends (mongo-monitor-watchdog.ts), so the
 * client finds the store again after an outage whatever the driver's monitor went through.
 */
export async function connectMongo(config: MongoSettings, options: { logger?: Logger } = {}): Promise<MongoHandle> {
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
    throw mongoConnectError(error, config.uri);
  }
  const db = client.db(config.database);
  return {
    client,
    db,
    close: () => {
      watchdog.stop();
      return client.close();
    },
  };
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
