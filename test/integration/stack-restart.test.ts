import { spawnSync } from 'node:child_process';
import path from 'node:path';
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
});
