import type { MongoClient } from 'mongodb';
import { dropStaleTestDatabases, STALE_AFTER_MS } from '../../support/stale-databases';
import { deleteStaleTestTopics } from '../../support/stale-topics';
import { testKafka, testMongo, uniqueName } from '../../support/test-env';

/** The test run's global setup drops what earlier runs left in the local store (test/support/global-setup.ts). */
describe('dropStaleTestDatabases, on the real store', () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = await testMongo();
  });
  afterAll(async () => {
    await client.close();
  });

  it('drops a database an earlier run left, keeps one a run still uses and any other name', async () => {
    const left = `stale_probe_${(Date.now() - STALE_AFTER_MS - 60_000).toString(36)}_a1b2c3`;
    const current = uniqueName('stale_probe');
    const other = `${uniqueName('stale_probe')}_kept`;
    for (const name of [left, current, other]) await client.db(name).collection('docs').insertOne({ n: 1 });
    try {
      const dropped = await dropStaleTestDatabases(client);
      expect(dropped).toContain(left);
      expect(dropped).not.toContain(current);
      const names = (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
      expect(names).not.toContain(left);
      expect(names).toEqual(expect.arrayContaining([current, other]));
    } finally {
      for (const name of [left, current, other]) await client.db(name).dropDatabase();
    }
  });
});

describe('deleteStaleTestTopics, on the real broker', () => {
  it('deletes a topic an earlier run left, keeps one a run still uses and any other name', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    const left = `stale_probe_${(Date.now() - STALE_AFTER_MS - 60_000).toString(36)}_a1b2c3.order`;
    const current = `${uniqueName('stale_probe')}.order`;
    const other = `${uniqueName('stale_probe')}_kept`;
    try {
      await admin.createTopics({ topics: [left, current, other].map((topic) => ({ topic, numPartitions: 1 })) });
      const deleted = await deleteStaleTestTopics(admin);
      expect(deleted).toContain(left);
      expect(deleted).not.toContain(current);
      const topics = await admin.listTopics();
      expect(topics).not.toContain(left);
      expect(topics).toEqual(expect.arrayContaining([current, other]));
    } finally {
      const remaining = new Set(await admin.listTopics());
      await admin.deleteTopics({ topics: [left, current, other].filter((topic) => remaining.has(topic)) });
      await admin.disconnect();
    }
  });
});
