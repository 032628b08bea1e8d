import crypto from 'node:crypto';
import { loadConfig } from '../src/config';
import { main } from '../src/main';
import { ensureDemoSource } from './demo-source';
import { stackUp } from './stack/stack';

/**
 * `npm start`: the main job on one machine. With MONGODB_URI / KAFKA_BROKERS unset it installs
 * and starts the local stack first (cached, idempotent) with the demo PostgreSQL source captured
 * by Debezium, then runs canonql in this process.
 */
async function runLocal(): Promise<void> {
  // The main job shows live data at once; CANONQL_DEMO_FEED=false turns the demo feed off.
  process.env.CANONQL_DEMO_FEED ??= 'true';
  // Admin mutations need a key: a local run gets a fresh one, printed below, unless one is set.
  const generatedKey = process.env.CANONQL_ADMIN_KEYS ? null : `dev-${crypto.randomBytes(18).toString('base64url')}`;
  if (generatedKey) process.env.CANONQL_ADMIN_KEYS = generatedKey;
  const config = loadConfig();
  if (config.usesLocalStack) {
    await stackUp();
    await ensureDemoSource(config, (line) => console.error(line));
  } else {
    console.error('[start] MONGODB_URI / KAFKA_BROKERS are set: using those servers, no local stack');
  }
  const base = `http://${config.http.host}:${config.http.port}`;
  console.error(`[start] canonql: ${base}/  (what is running, and links); GraphQL + explorer: ${base}/graphql; mapping studio: ${base}/studio`);
  console.error(
    generatedKey
      ? `[start] admin key for this run (mutations): Authorization: Bearer ${generatedKey}  (set CANONQL_ADMIN_KEYS to choose your own)`
      : '[start] admin keys: from CANONQL_ADMIN_KEYS',
  );
  console.error(
    `[start] health ${base}/healthz, readiness ${base}/readyz; demo feed ${config.demo.enabled ? 'on (CANONQL_DEMO_FEED=false turns it off)' : 'off'}`,
  );
  console.error(`[start] try: psql ${config.sourcePostgresUrl} -c "INSERT INTO customers (email, tier, balance) VALUES ('ada@example.com', 'gold', 10.50)"`);
  console.error(`[start] Kafka ${config.kafka.brokers.join(',')}; Kafka Connect ${config.connectUrl}; MongoDB ${config.mongo.uri}`);
  await main();
}

runLocal().catch((error: unknown) => {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
