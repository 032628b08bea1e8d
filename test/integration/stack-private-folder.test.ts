import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { postgresFiles } from '../../infra/stack/postgres-files';
import { createProgress } from '../../infra/stack/progress';
import { postgresService } from '../../infra/stack/services';
import { stackPaths } from '../../infra/stack/stack-config';
import { stackReset } from '../../infra/stack/stack';
import { testConfig } from '../support/test-env';

/**
 * The stack from a private folder (issue: `npm ci && npm start` failed in root's home or a
 * `mktemp -d` folder because PostgreSQL, run as the `postgres` user, could not reach its data under
 * the clone). This runs the stack's own PostgreSQL service, the part that runs as another user,
 * for a stack directory inside a fresh mode-0700 folder, on a free port of its own so it never
 * meets the shared stack's servers: cold start (initdb), a write, stop, warm start, the write is
 * still there, and `reset` removes the files kept outside the folder.
 */
const describeLocal = testConfig.usesLocalStack ? describe : describe.skip;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function withPg<T>(port: number, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ host: '127.0.0.1', port, user: 'postgres', database: 'canonql_source' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const isRoot = process.getuid?.() === 0;

describeLocal('the local stack in a private (0700) folder', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-private-'));
  const paths = stackPaths({ ...process.env, CANONQL_STACK_DIR: path.join(folder, 'clone', '.stack') });
  const quiet = createProgress(() => undefined);

  afterAll(async () => {
    await stackReset(quiet, paths).catch(() => undefined);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('initialises, starts, keeps data across a restart and resets, printing cold and warm start times', async () => {
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    if (isRoot) {
      // The situation of the issue: the user PostgreSQL runs as cannot enter the folder.
      expect(spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', folder]).status).not.toBe(0);
    }
    const port = await freePort();
    const service = postgresService(paths, { port });
    const files = postgresFiles(paths);
    if (isRoot) {
      expect(files.runAs).toBe('postgres');
      expect(files.externalDir).not.toBeNull();
      expect(files.dataDir.startsWith(folder)).toBe(false);
    } else {
      expect(files.dataDir.startsWith(folder)).toBe(true);
    }

    let begun = Date.now();
    expect(await service.start()).toBe(true);
    await service.waitReady(60_000);
    const coldMs = Date.now() - begun;
    expect(fs.existsSync(path.join(files.dataDir, 'PG_VERSION'))).toBe(true);
    expect(service.pid()).not.toBeNull();
    await withPg(port, async (pg) => {
      expect((await pg.query("SELECT current_setting('port') AS port")).rows[0].port).toBe(String(port));
      await pg.query('CREATE TABLE kept (id int PRIMARY KEY, note text)');
      await pg.query("INSERT INTO kept VALUES (1, 'written before the restart')");
    });
    expect(await service.stop()).toBe('stopped');
    expect(service.pid()).toBeNull();

    begun = Date.now();
    expect(await service.start()).toBe(true);
    await service.waitReady(60_000);
    const warmMs = Date.now() - begun;
    await withPg(port, async (pg) => {
      expect((await pg.query('SELECT note FROM kept WHERE id = 1')).rows).toEqual([{ note: 'written before the restart' }]);
    });
    console.log(
      `[measure] PostgreSQL of a stack in a 0700 folder (${files.runAs ?? 'invoking user'}, data in ${files.dataDir}): ` +
        `cold start incl. initdb ${coldMs} ms, warm start ${warmMs} ms`,
    );

    const removed = await stackReset(quiet, paths);
    expect(service.pid()).toBeNull();
    expect(removed).toContain(paths.stateDir);
    expect(fs.existsSync(paths.stateDir)).toBe(false);
    if (files.externalDir) {
      expect(removed).toContain(files.externalDir);
      expect(fs.existsSync(files.externalDir)).toBe(false);
    }
  });
});
