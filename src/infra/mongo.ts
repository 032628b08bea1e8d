import { MongoClient, type Db } from 'mongodb';
import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';

export interface MongoHandle {
  readonly client: MongoClient;
  readonly db: Db;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Connects to the state store and fails fast, with a coded error, when it cannot be reached. */
export async function connectMongo(config: Config['mongo']): Promise<MongoHandle> {
  const client = new MongoClient(config.uri, { serverSelectionTimeoutMS: 5000, appName: 'canonql' });
  try {
    await client.connect();
  } catch (error) {
    throw new AppError(ErrorCode.STORE_UNAVAILABLE, `cannot reach MongoDB at ${redact(config.uri)}`, { cause: error, retriable: true });
  }
  const db = client.db(config.database);
  return {
    client,
    db,
    async ping() {
      const result = await db.command({ ping: 1 });
      return result.ok === 1;
    },
    close: () => client.close(),
  };
}

/** Connection strings may carry passwords; logs and errors get them masked. */
export function redact(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
