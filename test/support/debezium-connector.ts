import { createConnectClient, mariadbConnectorConfig, postgresConnectorConfig } from '../../src/infra/connect-client';
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
  await connect.createConnector(
    name,
    postgresConnectorConfig({
      url: testConfig.sourcePostgresUrl,
      topicPrefix,
      tables,
      slotName: name,
      publicationName: `pub_${name}`,
    }),
  );
  const status = await waitForRunning(name);

  return {
    name,
    status,
    topicFor: (table: string) => `${topicPrefix}.${table}`,
    async stop() {
      await connect.deleteConnector(name);
      const pg = await testPostgres();
      try {
        // The slot stays active for a moment after the connector task stops.
        await waitFor(
          `slot ${name} released`,
          async () => {
            const r = await pg.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name]);
            if (r.rowCount === 0) return true;
            if (r.rows[0].active) return undefined;
            await pg.query('SELECT pg_drop_replication_slot($1)', [name]);
            return true;
          },
          { timeoutMs: 30000 },
        );
        await pg.query(`DROP PUBLICATION IF EXISTS "pub_${name}"`);
      } finally {
        await pg.end();
      }
    },
  };
}

/** Waits until a connector and all its tasks run; a failed task fails the wait with its trace. */
export async function waitForRunning(name: string) {
  const connect = createConnectClient(testConfig.connectUrl);
  return waitFor(
    `connector ${name} RUNNING`,
    async () => {
      const s = await connect.status(name);
      const failed = s?.tasks.find((t) => t.state === 'FAILED');
      if (failed) throw new Error(`connector task failed: ${failed.trace}`);
      return s && s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING') ? s : undefined;
    },
    { timeoutMs: 60000 },
  );
}

/**
 * Registers a Debezium connector capturing MariaDB `tables` (`db.table`) of the MariaDB source,
 * with its own topic prefix, replication client id and schema history topic, waits until it runs,
 * and returns a disposer that removes it.
 */
export async function startMariadbCapture(tables: readonly string[]) {
  const connect = createConnectClient(testConfig.connectUrl);
  const name = uniqueName('dbzm');
  const topicPrefix = name;
  // Replication client ids must differ between concurrent connectors of one server.
  const serverId = 100_000 + Math.floor(Math.random() * 4_000_000_000);
  await connect.createConnector(
    name,
    mariadbConnectorConfig({
      url: testConfig.sourceMariadbUrl,
      topicPrefix,
      tables,
      serverId,
      brokers: testConfig.kafka.brokers,
    }),
  );
  const status = await waitForRunning(name);
  return {
    name,
    status,
    topicFor: (table: string) => `${topicPrefix}.${table}`,
    stop: () => connect.deleteConnector(name),
  };
}
