import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
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

describeLocal('the local stack across `down` and `up`', () => {
  it('keeps stored data, and a second up installs nothing', async () => {
    const dbName = uniqueName('restart');
    let client = await testMongo();
    await client
      .db(dbName)
      .collection('docs')
      .insertOne({ _id: 'kept' as never, n: 42 });
    await client.close();

    const down = stack('down');
    expect(down).toMatch(/stop mongo/);
    const up = stack('up');
    expect(up).not.toMatch(/install .*: done/);
    expect(up).toMatch(/stack is up/);

    client = await testMongo();
    try {
      expect(
        await client
          .db(dbName)
          .collection('docs')
          .findOne({ _id: 'kept' as never }),
      ).toEqual({ _id: 'kept', n: 42 });
      await client.db(dbName).dropDatabase();
    } finally {
      await client.close();
    }
  });

  it('restarts a store that runs another build of the launcher than the installed one, keeping its data', async () => {
    const dbName = uniqueName('relaunch');
    let client = await testMongo();
    await client
      .db(dbName)
      .collection('docs')
      .insertOne({ _id: 'kept' as never, n: 7 });
    await client.close();
    // What a store started before infra/java changed holds: the record of an older build.
    const paths = stackPaths();
    const record = path.join(path.dirname(paths.pidFile('mongo')), 'mongo.launcher');
    const installed = fs.readFileSync(`${paths.mongoServerClasses}.complete`, 'utf8');
    fs.writeFileSync(record, 'an-older-build');

    const up = stack('up');
    expect(up).toMatch(/mongo runs but its launcher is another build than the installed one .*: restarting it/);
    expect(fs.readFileSync(record, 'utf8')).toBe(installed);
    // A second up finds it current and leaves it running.
    expect(stack('up')).not.toMatch(/mongo runs but/);

    client = await testMongo();
    try {
      expect(
        await client
          .db(dbName)
          .collection('docs')
          .findOne({ _id: 'kept' as never }),
      ).toEqual({ _id: 'kept', n: 7 });
      await client.db(dbName).dropDatabase();
    } finally {
      await client.close();
    }
  });
});
