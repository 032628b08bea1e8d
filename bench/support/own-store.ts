/**
 * A MongoDB-wire store of a benchmark's own: the stack's launcher (infra/java/*.java, compiled)
 * and jars, started as a process on a free port with a throw-away data file, never the shared
 * stack's store. bench:store-jit compares JVM settings and launcher builds with it; bench:values
 * runs on it when given `--classes`, to measure a launcher change before the stack installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { jvmFlags, STORE_FLAGS, stackPaths } from '../../infra/stack/stack-config';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function startStore(flags: readonly string[], classes: string, port: number, dataFile: string): ChildProcess {
  const paths = stackPaths();
  return spawn(
    'java',
    [
      '-Xms64m',
      '-Xmx768m',
      ...STORE_FLAGS,
      ...flags,
      '-Djava.awt.headless=true',
      '-cp',
      `${classes}${path.delimiter}${path.join(paths.mongoServerLibs, '*')}`,
      'MongoServerMain',
      '127.0.0.1',
      String(port),
      dataFile,
    ],
    { stdio: 'ignore' },
  );
}

export async function stopStore(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  await exited;
  clearTimeout(timer);
}

/** Milliseconds from `startedAt` until the store answers a ping. */
export async function waitForPing(uri: string, startedAt: number, child: ChildProcess): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the store exited with ${child.exitCode} before answering`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 200, connectTimeoutMS: 200 });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return performance.now() - startedAt;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await client.close();
    }
  }
}

export interface OwnStore {
  readonly uri: string;
  stop(): Promise<void>;
}

/**
 * A store of its own with the stack's JVM flags (plus `extraFlags`), the launcher classes in
 * `classes`; ready when returned. Its data file is a throw-away one, or `dataFile` (kept when it
 * stops, so a later store can open it again).
 */
export async function startOwnStore(classes: string, options: { dataFile?: string; extraFlags?: readonly string[] } = {}): Promise<OwnStore> {
  if (!fs.existsSync(path.join(classes, 'MongoServerMain.class'))) throw new Error(`--classes: no MongoServerMain.class in ${classes}`);
  const port = await freePort();
  const dir = options.dataFile ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-own-store-'));
  const uri = `mongodb://127.0.0.1:${port}/?directConnection=true`;
  const flags = [...jvmFlags(), ...(options.extraFlags ?? [])];
  const child = startStore(flags, classes, port, options.dataFile ?? path.join(dir!, 'bench.mv'));
  try {
    await waitForPing(uri, performance.now(), child);
  } catch (error) {
    await stopStore(child);
    throw error;
  }
  return {
    uri,
    async stop() {
      await stopStore(child);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
