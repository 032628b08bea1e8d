import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort, startStore, stopStore, waitForPing } from '../../bench/support/own-store';
import { compileStoreLauncher } from '../../infra/stack/install';
import { stackPaths } from '../../infra/stack/stack-config';

export interface OwnStore {
  /** The client of the running store. */
  client(): MongoClient;
  /** Stops the store and starts it again on the same data file (its in-memory indexes are rebuilt from the documents). */
  restart(): Promise<void>;
}

/**
 * A store of the test file's own, built from this checkout's launcher (infra/java), on a data file
 * of its own, so a launcher change is tested before the stack installs it and the store can be
 * restarted. Registers the file's beforeAll (compile, start) and afterAll (stop, remove).
 */
export function ownStoreFixture(name: string): OwnStore {
  let classes: string;
  let dir: string;
  let port: number;
  let child: ChildProcess | null = null;
  let client: MongoClient | null = null;
  const uri = () => `mongodb://127.0.0.1:${port}/?directConnection=true`;

  async function start(): Promise<void> {
    child = startStore(['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'], classes, port, path.join(dir, 'store.mv'));
    await waitForPing(uri(), performance.now(), child);
    client = await MongoClient.connect(uri());
  }

  async function stop(): Promise<void> {
    await client?.close();
    client = null;
    if (child) await stopStore(child);
    child = null;
  }

  beforeAll(async () => {
    classes = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-launcher-'));
    compileStoreLauncher(stackPaths().mongoServerLibs, classes);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `canonql-${name}-`));
    port = await freePort();
    await start();
  });
  afterAll(async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(classes, { recursive: true, force: true });
  });

  return {
    client: () => client!,
    async restart() {
      await stop();
      await start();
    },
  };
}
