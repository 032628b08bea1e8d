import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { startOwnStore } from '../../bench/support/own-store';
import { compileStoreLauncher } from '../../infra/stack/install';
import { stackPaths } from '../../infra/stack/stack-config';
import type { createLeftovers } from './test-env';

/** One store process on the file: started, connected, given to `work`, then stopped. */
export type WithStore = <T>(work: (client: MongoClient) => Promise<T>, options?: { extraFlags?: readonly string[]; client?: MongoClientOptions }) => Promise<T>;

/**
 * A store of the test's own, built from this checkout's launcher (infra/java; the shared stack's
 * store runs the build it was started with), on a throw-away data file. Each `withStore` is a
 * new process on the same file, so every call after the first reads every page from the file: a
 * restart. The directory and any process left running go with `leftovers`.
 */
export function checkoutStoreOnFile(name: string, leftovers: ReturnType<typeof createLeftovers>): WithStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `canonql-${name}-`));
  leftovers.add(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const classes = path.join(dir, 'classes');
  compileStoreLauncher(stackPaths().mongoServerLibs, classes);
  const dataFile = path.join(dir, 'store.mv');
  return async (work, options = {}) => {
    const store = await startOwnStore(classes, { dataFile, extraFlags: options.extraFlags ?? [] });
    leftovers.add(() => store.stop());
    const client = await MongoClient.connect(store.uri, options.client);
    try {
      return await work(client);
    } finally {
      await client.close();
      await store.stop();
    }
  };
}
