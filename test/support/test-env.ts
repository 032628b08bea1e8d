import crypto from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import * as mariadb from 'mariadb';
import { Client as PgClient } from 'pg';
import { loadConfig, type Config } from '../../src/config';
import { kafkaConnection } from '../../src/infra/kafka';

/**
 * What an integration test needs to reach the servers: the same config the service reads, plus
 * unique names so every test file can share one stack without seeing another's data.
 */
export const testConfig: Config = loadConfig({ ...process.env, CANONQL_MODE: 'test' });

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
}

export function testKafka(): Kafka {
  // The service's own connection options, so tests also run against a SASL/TLS cluster.
  return new Kafka({ ...kafkaConnection({ ...testConfig.kafka, clientId: 'canonql-test' }), logLevel: logLevel.NOTHING });
}

export async function testMongo(): Promise<MongoClient> {
  const client = new MongoClient(testConfig.mongo.uri, { serverSelectionTimeoutMS: 10000 });
  await client.connect();
  return client;
}

/** A connection to the MariaDB source (`SOURCE_MARIADB_URL`); BIGINT and DECIMAL come back as strings. */
export async function testMariadb(): Promise<mariadb.Connection> {
  const url = new URL(testConfig.sourceMariadbUrl);
  return mariadb.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, ''),
    bigIntAsNumber: false,
    decimalAsNumber: false,
    dateStrings: true,
  });
}

export async function testPostgres(): Promise<PgClient> {
  const client = new PgClient({ connectionString: testConfig.sourcePostgresUrl });
  await client.connect();
  return client;
}

/**
 * Disposes whatever a test started, last first, even when the test failed half-way:
 * `const leftovers = createLeftovers(); afterAll(() => leftovers.dispose());`.
 */
export function createLeftovers() {
  const items: (() => Promise<unknown>)[] = [];
  return {
    add(dispose: () => Promise<unknown>) {
      items.push(dispose);
    },
    async dispose() {
      for (const dispose of items.reverse()) {
        await dispose().catch(() => undefined);
      }
      items.length = 0;
    },
  };
}

/**
 * Registers the hooks of a describe block whose every test starts on an empty database of its
 * own: one client for the block, a new uniquely named database before each test, dropped after
 * the block. Call it in the describe body; the returned function gives the current test's database.
 */
export function databasePerTest(prefix: string): () => Db {
  const leftovers = createLeftovers();
  let client: MongoClient | undefined;
  let db: Db | undefined;
  beforeAll(async () => {
    const connected = await testMongo();
    client = connected;
    leftovers.add(() => connected.close());
  });
  beforeEach(() => {
    if (!client) throw new Error('databasePerTest: the store client did not connect');
    const fresh = client.db(uniqueName(prefix));
    db = fresh;
    leftovers.add(() => fresh.dropDatabase());
  });
  afterAll(() => leftovers.dispose());
  return () => {
    if (!db) throw new Error('databasePerTest: the database is created before each test, not at describe time');
    return db;
  };
}
