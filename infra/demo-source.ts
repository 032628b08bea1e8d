import { Client as PgClient } from 'pg';
import type { Config } from '../src/config';
import { createConnectClient, postgresConnectorConfig } from '../src/infra/connect-client';

/**
 * The demo relational source for `npm start`: the `public.customers` table of the source database,
 * captured by a Debezium connector whose topic (`canonql.public.customers`) is the one
 * `specs/customer.json` reads. Idempotent: an existing table or connector is left as it is.
 */
export const DEMO_CONNECTOR = 'canonql-demo-postgres';

export async function ensureDemoSource(config: Config, log: (line: string) => void): Promise<void> {
  const pg = new PgClient({ connectionString: config.sourcePostgresUrl });
  await pg.connect();
  try {
    await pg.query(`CREATE TABLE IF NOT EXISTS public.customers (
      id serial PRIMARY KEY, email text, name text, balance numeric(12,2), tier text,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
    // Full before-images on update and delete.
    await pg.query('ALTER TABLE public.customers REPLICA IDENTITY FULL');
  } finally {
    await pg.end();
  }
  const connect = createConnectClient(config.connectUrl);
  if (await connect.status(DEMO_CONNECTOR)) {
    log(`[start] Debezium connector ${DEMO_CONNECTOR} already registered`);
    return;
  }
  await connect.createConnector(
    DEMO_CONNECTOR,
    postgresConnectorConfig({
      url: config.sourcePostgresUrl,
      topicPrefix: 'canonql',
      tables: ['public.customers'],
      slotName: 'canonql_demo',
      publicationName: 'canonql_demo',
    }),
  );
  log(`[start] registered Debezium connector ${DEMO_CONNECTOR}: public.customers -> topic canonql.public.customers`);
}
