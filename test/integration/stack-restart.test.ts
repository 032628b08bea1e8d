import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { installedLauncher, launcherRecordFile } from '../../infra/stack/services';
import { stackPaths } from '../../infra/stack/stack-config';
import { testConfig, testMongo, uniqueName } from '../support/test-env';

const REPO = path.join(__dirname, '..', '..');
const stack = (command: string) => {
  const result = spawnSync('npx', ['tsx', 'infra/stack/cli.ts', command], { cwd: REPO, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`stack ${command} failed:\n${result.stdout}${result.stderr}`);
  return `${result.stdout}${result.stderr}`;
};

// Only meaningful for the embedded stack: with MONGODB_URI/KAFKA_BROKERS set, those servers are
// someone else's to restart.
const describeLocal = testConfig.usesLocalStack ? describe : describe.skip;

/** Stores one document in a database of its own, before the store goes down or restarts. */
async function storeOne(dbName: string, n: number): Promise<void> {
  const client = await testMongo();
  try {
    await client
      .db(dbName)
      .collection('docs')
      .insertOne({ _id: 'kept' as never, n });
  } finally {
    await client.close();
  }
}

/** The document storeOne stored, read back after the restart; then its database is dropped. */
async function storedOne(dbName: string): Promise<unknown> {
  const client = await testMongo();
  try {
    return await client
      .db(dbName)
      .collection('docs')
      .findOne({ _id: 'kept' as never });
  } finally {
    await client.db(dbName).dropDatabase();
    await client.close();
  }
}

describeLocal('the local stack across `down` and `up`', () => {
  it('keeps stored data, and a second up installs nothing', async () => {
    const dbName = uniqueName('restart');
    await storeOne(dbName, 42);

    const down = stack('down');
    expect(down).toMatch(/stop mongo/);
    const up = stack('up');
    expect(up).not.toMatch(/install .*: done/);
    expect(up).toMatch(/stack is up/);

    expect(await storedOne(dbName)).toEqual({ _id: 'kept', n: 42 });
  });

  it('restarts a store that runs another build of the launcher than the installed one, keeping its data', async () => {
    const dbName = uniqueName('relaunch');
    await storeOne(dbName, 7);
    // What a store started before infra/java changed holds: the record of an older build.
    const paths = stackPaths();
    const record = launcherRecordFile(paths);
    const installed = installedLauncher(paths);
    fs.writeFileSync(record, 'an-older-build');

    const up = stack('up');
    expect(up).toMatch(/mongo runs but its launcher is another build than the installed one .*: restarting it/);
    // Restarted, not started: a test run's teardown stops only what was not running before it.
    expect(up).toMatch(/stack is up in .*\(started: none; restarted: mongo; already running: postgres, mariadb, kafka, connect\)/);
    expect(fs.readFileSync(record, 'utf8')).toBe(installed);
    // A second up finds it current and leaves it running.
    expect(stack('up')).not.toMatch(/mongo runs but/);

    expect(await storedOne(dbName)).toEqual({ _id: 'kept', n: 7 });
  });
});
