import { createConnectClient, postgresConnectorConfig } from '../../src/infra/connect-client';
import { testConfig, testPostgres, uniqueName } from './test-env';
import { waitFor } from './wait-for';

/**
 * Registers a Debezium PostgreSQL connector capturing `tables` of the source database, with its
 * own slot and publication, waits until it runs, and returns a disposer that removes all three.
 */
export async function startPostgresCapture(tables: readonly string[]) {
  const connect = createConnectClient(testConfig.connectUrl);
  const name = uniqueName('dbz');
  const topicPrefix = name;
  await connect.createConnector(name, postgresConnectorConfig({
    url: testConfig.sourcePostgresUrl,
    topicPrefix,
    tables,
    slotName: name,
    publicationName: `pub_${name}`,
  }));
  const status = await waitFor(`connector ${name} RUNNING`, async () => {
    const s = await connect.status(name);
    const failed = s?.tasks.find((t) => t.state === 'FAILED');
    if (failed) throw new Error(`connector task failed: ${failed.trace}`);
    return s && s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING') ? s : undefined;
  }, { timeoutMs: 60000 });

  return {
    name,
    status,
    topicFor: (table: string) => `${topicPrefix}.${table}`,
    async stop() {
      await connect.deleteConnector(name);
      const pg = await testPostgres();
      try {
        // The slot stays active for a moment after the connector task stops.
        await waitFor(`slot ${name} released`, async () => {
          const r = await pg.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name]);
          if (r.rowCount === 0) return true;
          if (r.rows[0].active) return undefined;
          await pg.query('SELECT pg_drop_replication_slot($1)', [name]);
          return true;
        }, { timeoutMs: 30000 });
        await pg.query(`DROP PUBLICATION IF EXISTS "pub_${name}"`);
      } finally {
        await pg.end();
      }
    },
  };
}
