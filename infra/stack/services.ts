import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import * as mariadb from 'mariadb';
import { MongoClient, MongoServerError } from 'mongodb';
import { Client as PgClient } from 'pg';
import { ensureScramUser, SASL_LISTENER, saslListenerProperties } from './kafka-scram';
import { ensureLocalTls, TLS_LISTENERS, tlsListenerProperties, tlsListenersReady } from './kafka-tls';
import { postgresFiles, preparePostgresFiles } from './postgres-files';
import { AppError, ErrorCode } from '../../src/errors';
import { isAlive, readPid, run, spawnDetached, stopPid, tailFile, waitUntil } from './processes';
import { PORTS, STORE_FLAGS, stackJvmFlags, type StackJit, type StackPaths } from './stack-config';

/**
 * The four servers of the local stack. Each knows how to start itself (idempotently), how to tell
 * it is really serving (with a real client, never by reading logs), and how to stop cleanly.
 */
export interface StackService {
  readonly name: 'postgres' | 'mariadb' | 'mongo' | 'kafka' | 'connect';
  readonly description: string;
  readonly port: number;
  /** Where the server's output goes (`stack logs`). */
  readonly logFile: string;
  pid(): number | null;
  /** Spawns the server unless it already runs; returns false when it was already running. */
  start(): Promise<boolean>;
  ready(): Promise<boolean>;
  /**
   * Why a running server that answers still cannot serve, or null when it can (only servers that
   * can end up so: the store, whose data store closes for good after an error such as running
   * out of heap, while its wire protocol still answers `ping`). `stack up` restarts such a server.
   */
  broken?(): Promise<string | null>;
  /** A JVM's compilers as it was started (null: not running, or not a JVM): `stack up` restarts one that differs from CANONQL_STACK_JIT. */
  jit?(): StackJit | null;
  waitReady(timeoutMs: number): Promise<void>;
  stop(): Promise<string>;
}

const HOST = PORTS.host;

/** Lists the store's databases: this reads its data store, which `ping` does not (a closed one fails it). */
const listDatabases = (client: MongoClient) => client.db('admin').admin().listDatabases({ nameOnly: true });

/** Runs `work` with a short-lived client of the local store. */
async function withMongo<T>(work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(`mongodb://${HOST}:${PORTS.mongoPort}/?directConnection=true`, {
    serverSelectionTimeoutMS: 1500,
    connectTimeoutMS: 1500,
  });
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.close();
  }
}
function livePid(pidFile: string): number | null {
  const pid = readPid(pidFile);
  return pid !== null && isAlive(pid) ? pid : null;
}

function writeFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

function readFileOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Whether a running process was started with `argument` on its command line (Linux /proc). */
function startedWith(pid: number, argument: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(argument);
  } catch {
    return false;
  }
}

function base(paths: StackPaths, name: StackService['name']) {
  return {
    pid: () => livePid(paths.pidFile(name)),
    alive: () => livePid(paths.pidFile(name)) !== null,
  };
}

/** The compilers a running JVM of the stack was started with (see jvmFlags). */
function jitOf(pid: () => number | null): () => StackJit | null {
  return () => {
    const running = pid();
    return running === null ? null : startedWith(running, '-XX:TieredStopAtLevel=1') ? 'c1' : 'full';
  };
}

export function postgresService(paths: StackPaths, options: { port?: number } = {}): StackService {
  const port = options.port ?? PORTS.postgresPort;
  const files = postgresFiles(paths);
  const { dataDir, socketDir } = files;
  const pgCtl = path.join(paths.postgresBin, 'pg_ctl');
  // PostgreSQL refuses to run as root; as root we run its tools as the `postgres` system user
  // that Debian's package creates, with its files where that user can reach them (postgres-files.ts).
  const asPostgres = (cmd: string, args: string[]) => (files.runAs ? run('runuser', ['-u', files.runAs, '--', cmd, ...args], { cwd: '/' }) : run(cmd, args));
  const postmasterPid = (): number | null => {
    try {
      const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return pid > 0 && isAlive(pid) ? pid : null;
    } catch {
      return null;
    }
  };
  const query = async (sql: string) => {
    const client = new PgClient({ host: HOST, port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const service: StackService = {
    name: 'postgres',
    description: 'PostgreSQL (Debezium source, logical decoding)',
    port,
    logFile: files.logFile,
    pid: postmasterPid,
    async start() {
      if (postmasterPid() !== null) return false;
      preparePostgresFiles(paths, files);
      if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
        asPostgres(path.join(paths.postgresBin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
      }
      const options = [
        `-p ${port}`,
        `-c listen_addresses=${HOST}`,
        `-k ${socketDir}`,
        // Debezium's pgoutput plugin needs logical WAL and a slot + sender per connector.
        '-c wal_level=logical',
        '-c max_replication_slots=32',
        '-c max_wal_senders=32',
        // A development/test stack: durability across an OS crash is not needed, speed is.
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
      ].join(' ');
      asPostgres(pgCtl, ['-D', dataDir, '-l', files.logFile, '-o', options, '-w', '-t', '60', 'start']);
      return true;
    },
    async ready() {
      const result = await query("SELECT 1 AS ok, current_setting('wal_level') AS wal");
      return result.rows[0]?.wal === 'logical';
    },
    async waitReady(timeoutMs) {
      await waitUntil('PostgreSQL', () => service.ready(), { timeoutMs, logFile: files.logFile });
      // The demo source database that Debezium captures; created once.
      const exists = await query("SELECT 1 FROM pg_database WHERE datname = 'canonql_source'");
      if (exists.rowCount === 0) await query('CREATE DATABASE canonql_source');
    },
    async stop() {
      if (postmasterPid() === null) return 'not-running';
      asPostgres(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      return 'stopped';
    },
  };
  return service;
}

/**
 * The local MariaDB: the second relational source captured by Debezium. It runs as the invoking
 * user (as root with `--user=root`, which MariaDB allows), so its files stay in the stack directory
 * whatever folder that is. The binlog is on in ROW format with full row images, as Debezium's
 * MariaDB connector requires. An init file, run at every start, creates (if missing) the source
 * database `canonql_source`, its demo table `products` and the passwordless `root`@`127.0.0.1`
 * account the connector and the tests use (local only, like PostgreSQL's trust authentication).
 */
export const MARIADB_INIT_SQL = [
  'CREATE DATABASE IF NOT EXISTS canonql_source;',
  "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';",
  "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;",
  'CREATE TABLE IF NOT EXISTS canonql_source.products (id INT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(64) NOT NULL UNIQUE, ' +
    "name VARCHAR(200), price DECIMAL(12,2), status ENUM('draft','active','retired') NOT NULL DEFAULT 'draft', " +
    'updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6));',
  '',
].join('\n');

/**
 * The version the server reports: MySQL 8.0's number in front of MariaDB's own. Debezium's MySQL
 * connector (what captures MariaDB here, see install.ts) reads a leading 10.11 as MySQL >= 8.4 and
 * asks for `SHOW BINARY LOG STATUS`, which MariaDB 10.11 lacks; as "8.0" it uses `SHOW MASTER
 * STATUS`, which MariaDB has, and "MariaDB" in the string keeps its binlog reader in MariaDB mode.
 */
export function mariadbReportedVersion(paths: StackPaths): string {
  const own = /Ver\s+(\S+)/.exec(run(paths.mariadb.server, ['--version']))?.[1] ?? 'MariaDB';
  return `8.0.36-${own}`;
}

/**
 * The server's Unix socket (nothing here uses it: clients connect over TCP). A socket path may not
 * exceed 107 bytes and a clone can sit deep in the file system, so it lives in the temporary
 * folder under a name keyed by the stack directory.
 */
export function mariadbSocket(paths: StackPaths): string {
  const key = crypto.createHash('sha256').update(path.resolve(paths.stateDir)).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `canonql-mariadb-${key}.sock`);
}

export function mariadbService(paths: StackPaths): StackService {
  const { pid, alive } = base(paths, 'mariadb');
  const dataDir = paths.dataDir('mariadb');
  const initFile = path.join(paths.stateDir, 'config', 'mariadb-init.sql');
  const user = os.userInfo().username;
  const connect = () => mariadb.createConnection({ host: HOST, port: PORTS.mariadbPort, user: 'root', connectTimeout: 2000 });
  const service: StackService = {
    name: 'mariadb',
    description: 'MariaDB (Debezium source, binlog in ROW format)',
    port: PORTS.mariadbPort,
    logFile: paths.logFile('mariadb'),
    pid,
    async start() {
      if (pid() !== null) return false;
      if (!fs.existsSync(path.join(dataDir, 'mysql'))) {
        // A half-made data directory (an interrupted first start) is made again from scratch.
        fs.rmSync(dataDir, { recursive: true, force: true });
        fs.mkdirSync(dataDir, { recursive: true });
        run(
          paths.mariadb.installDb,
          ['--no-defaults', `--datadir=${dataDir}`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
          { cwd: dataDir },
        );
      }
      writeFile(initFile, MARIADB_INIT_SQL);
      spawnDetached(
        paths.mariadb.server,
        [
          '--no-defaults',
          `--datadir=${dataDir}`,
          `--user=${user}`,
          `--version=${mariadbReportedVersion(paths)}`,
          `--port=${PORTS.mariadbPort}`,
          `--bind-address=${HOST}`,
          `--socket=${mariadbSocket(paths)}`,
          `--pid-file=${path.join(dataDir, 'mariadbd.pid')}`,
          `--init-file=${initFile}`,
          '--skip-name-resolve',
          // What Debezium's MariaDB connector needs: the binlog, row-based, with full row images.
          '--server-id=1',
          '--log-bin=binlog',
          '--binlog-format=ROW',
          '--binlog-row-image=FULL',
          '--expire-logs-days=7',
          '--character-set-server=utf8mb4',
          '--collation-server=utf8mb4_general_ci',
          // A development/test server: small memory, no durability across an OS crash.
          '--innodb-buffer-pool-size=64M',
          '--innodb-log-file-size=48M',
          '--innodb-flush-log-at-trx-commit=0',
          '--sync-binlog=0',
          '--performance-schema=OFF',
          '--max-connections=200',
        ],
        { name: 'mariadb', pidFile: paths.pidFile('mariadb'), logFile: paths.logFile('mariadb') },
      );
      return true;
    },
    async ready() {
      const connection = await connect();
      try {
        const [row] = await connection.query<{ format: string; table: bigint }[]>(
          "SELECT @@binlog_format AS format, (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'canonql_source' AND table_name = 'products') AS `table`",
        );
        return row?.format === 'ROW' && Number(row.table) === 1;
      } finally {
        await connection.end();
      }
    },
    waitReady: (timeoutMs) => waitUntil('MariaDB', () => service.ready(), { timeoutMs, logFile: paths.logFile('mariadb'), alive }),
    async stop() {
      const current = pid();
      return current === null ? 'not-running' : stopPid(current, 30000);
    },
  };
  return service;
}

export function mongoService(paths: StackPaths): StackService {
  const { pid, alive } = base(paths, 'mongo');
  const service: StackService = {
    name: 'mongo',
    description: 'MongoDB-wire store (mongo-java-server, H2 file backend)',
    port: PORTS.mongoPort,
    logFile: paths.logFile('mongo'),
    pid,
    jit: jitOf(pid),
    async start() {
      if (pid() !== null) return false;
      const dataDir = paths.dataDir('mongo');
      fs.mkdirSync(dataDir, { recursive: true });
      spawnDetached(
        'java',
        [
          '-Xms64m',
          '-Xmx768m',
          ...stackJvmFlags(paths),
          ...STORE_FLAGS,
          '-cp',
          `${paths.mongoServerClasses}${path.delimiter}${path.join(paths.mongoServerLibs, '*')}`,
          'MongoServerMain',
          HOST,
          String(PORTS.mongoPort),
          path.join(dataDir, 'canonql.mv'),
        ],
        { name: 'mongo', pidFile: paths.pidFile('mongo'), logFile: paths.logFile('mongo') },
      );
      fs.mkdirSync(path.dirname(launcherRecordFile(paths)), { recursive: true });
      fs.writeFileSync(launcherRecordFile(paths), installedLauncher(paths) ?? '');
      return true;
    },
    async ready() {
      return withMongo(async (client) => {
        await listDatabases(client);
        return true;
      });
    },
    async broken() {
      if (pid() === null) return null;
      // The launcher's classes are one folder of the cache, rebuilt when infra/java changes: a store
      // started before runs the old build, and would load any class it has not loaded yet from the new.
      const running = fs.existsSync(launcherRecordFile(paths)) ? fs.readFileSync(launcherRecordFile(paths), 'utf8') : null;
      if (running !== installedLauncher(paths)) return 'its launcher is another build than the installed one (infra/java changed since it started)';
      return withMongo(async (client) => {
        try {
          await listDatabases(client);
          return null;
        } catch (error) {
          // An answer with an error is a server that runs and cannot serve; no answer is not.
          return error instanceof MongoServerError ? `its data store fails every command (${error.message})` : null;
        }
      }).catch(() => null);
    },
    async waitReady(timeoutMs) {
      try {
        await waitUntil('MongoDB-wire store', () => service.ready(), { timeoutMs, logFile: paths.logFile('mongo'), alive });
      } catch (error) {
        if (!tailFile(paths.logFile('mongo'), 200).includes('OutOfMemoryError')) throw error;
        throw new AppError(
          ErrorCode.STACK_START_FAILED,
          `${(error as Error).message}\nThe store ran out of heap (-Xmx768m) opening its data file ${path.join(paths.dataDir('mongo'), 'canonql.mv')}: ` +
            'it opens every database it holds, including those of interrupted test or benchmark runs. `npm run stack -- reset` starts the stack empty.',
        );
      }
    },
    async stop() {
      const current = pid();
      return current === null ? 'not-running' : stopPid(current, 20000);
    },
  };
  return service;
}

/** Where the running store's launcher build is recorded (its classes' install fingerprint when it started). */
export const launcherRecordFile = (paths: StackPaths) => path.join(path.dirname(paths.pidFile('mongo')), 'mongo.launcher');

/** The installed launcher build's fingerprint, or null before the first install. */
export function installedLauncher(paths: StackPaths): string | null {
  const marker = `${paths.mongoServerClasses}.complete`;
  return fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : null;
}

export function kafkaService(paths: StackPaths): StackService {
  const { pid, alive } = base(paths, 'kafka');
  const logDir = paths.dataDir('kafka');
  // Named apart from the `kafka.properties` of earlier versions, which restart any broker whose
  // file differs from theirs: a checkout still on an older version then leaves this broker (with
  // the TLS listeners) running instead of restarting it without them.
  const propsFile = path.join(paths.stateDir, 'config', 'kafka-broker.properties');
  const classpath = path.join(paths.kafkaLibs, '*');
  const java = (main: string, args: string[]) => run('java', ['-cp', classpath, `-Dlog4j2.configurationFile=${paths.log4jConfig}`, main, ...args]);
  const service: StackService = {
    name: 'kafka',
    description: 'Apache Kafka broker + controller (KRaft)',
    port: PORTS.kafkaPort,
    logFile: paths.logFile('kafka'),
    pid,
    jit: jitOf(pid),
    async start() {
      const properties = [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@${HOST}:${PORTS.kafkaControllerPort}`,
        `listeners=PLAINTEXT://${HOST}:${PORTS.kafkaPort},CONTROLLER://${HOST}:${PORTS.kafkaControllerPort},${[SASL_LISTENER, ...TLS_LISTENERS].join(',')}`,
        `advertised.listeners=PLAINTEXT://${HOST}:${PORTS.kafkaPort},${[SASL_LISTENER, ...TLS_LISTENERS].join(',')}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL',
        'inter.broker.listener.name=PLAINTEXT',
        ...saslListenerProperties(),
        ...tlsListenerProperties(paths),
        `log.dirs=${logDir}`,
        'num.partitions=1',
        'auto.create.topics.enable=true',
        // Single node: every internal topic has one replica. One offsets partition and no initial
        // rebalance delay keep consumer-group joins fast in tests (the default delay is 3 s).
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'group.initial.rebalance.delay.ms=0',
        'log.retention.hours=168',
        '',
      ].join('\n');
      // The CA and certificates of the TLS listeners, generated once per stack.
      ensureLocalTls(paths);
      const running = pid();
      if (running !== null) {
        // A broker started from older settings (e.g. before the SASL listener existed), or from
        // another properties file (an older version's `kafka.properties`), is restarted once so
        // `up` brings every installation to the current configuration.
        if (readFileOr(propsFile, '') === properties && startedWith(running, propsFile)) return false;
        await stopPid(running, 45000);
      }
      // Reported as already running after such a restart: a test run's teardown stops only the
      // services the run brought up, and this broker was up before it.
      const restarted = running !== null;
      writeFile(propsFile, properties);
      if (!fs.existsSync(path.join(logDir, 'meta.properties'))) {
        fs.mkdirSync(logDir, { recursive: true });
        const clusterId = java('kafka.tools.StorageTool', ['random-uuid']).trim().split('\n').pop()!.trim();
        java('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', propsFile]);
      }
      spawnDetached(
        'java',
        ['-Xms256m', '-Xmx768m', ...stackJvmFlags(paths), '-cp', classpath, `-Dlog4j2.configurationFile=${paths.log4jConfig}`, 'kafka.Kafka', propsFile],
        { name: 'kafka', pidFile: paths.pidFile('kafka'), logFile: paths.logFile('kafka') },
      );
      return !restarted;
    },
    async ready() {
      const admin = new Kafka({ brokers: [`${HOST}:${PORTS.kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
      } finally {
        await admin.disconnect();
      }
    },
    async waitReady(timeoutMs) {
      await waitUntil('Kafka', () => service.ready(), { timeoutMs, logFile: paths.logFile('kafka'), alive });
      // The SASL/SCRAM listener answers and its user exists (added on first start, kept after).
      await ensureScramUser(paths, timeoutMs);
      // Both TLS listeners complete a handshake with the stack's certificates.
      await waitUntil('Kafka TLS listeners', () => tlsListenersReady(paths), { timeoutMs, logFile: paths.logFile('kafka'), alive });
    },
    async stop() {
      const current = pid();
      return current === null ? 'not-running' : stopPid(current, 45000);
    },
  };
  return service;
}

/** Debezium's source connectors and the MongoDB sink connector, each in its own class loader. */
export function connectPluginPath(paths: StackPaths): string {
  return [paths.debeziumPlugins, paths.debeziumMysqlPlugins, paths.mongoSinkPlugins].join(',');
}

/** The connector classes the stack's worker must offer before it counts as ready. */
export const DEBEZIUM_SOURCE_CLASSES = ['io.debezium.connector.postgresql.PostgresConnector', 'io.debezium.connector.mysql.MySqlConnector'];

/**
 * A standalone Connect worker's settings. JSON converters with schemas: what the Debezium tests
 * and canonql's relational decoding expect (a sink connector sets its own converters).
 */
export function connectWorkerProperties(paths: StackPaths, options: { brokers: string; url: string; offsetsFile: string }): string {
  return [
    `bootstrap.servers=${options.brokers}`,
    `listeners=${options.url}`,
    'key.converter=org.apache.kafka.connect.json.JsonConverter',
    'value.converter=org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable=true',
    'value.converter.schemas.enable=true',
    `offset.storage.file.filename=${options.offsetsFile}`,
    'offset.flush.interval.ms=1000',
    `plugin.path=${connectPluginPath(paths)}`,
    'plugin.discovery=hybrid_warn',
    '',
  ].join('\n');
}

export function startConnectWorker(paths: StackPaths, propsFile: string, options: { name: string; pidFile: string; logFile: string }): number {
  return spawnDetached(
    'java',
    [
      '-Xms128m',
      '-Xmx768m',
      ...stackJvmFlags(paths),
      '-cp',
      path.join(paths.kafkaLibs, '*'),
      `-Dlog4j2.configurationFile=${paths.log4jConfig}`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      propsFile,
    ],
    options,
  );
}

export function connectService(paths: StackPaths): StackService {
  const { pid, alive } = base(paths, 'connect');
  const propsFile = path.join(paths.stateDir, 'config', 'connect.properties');
  const url = `http://${HOST}:${PORTS.connectPort}`;
  const service: StackService = {
    name: 'connect',
    description: 'Kafka Connect (standalone) with the Debezium PostgreSQL and MySQL connectors and the MongoDB sink connector',
    port: PORTS.connectPort,
    logFile: paths.logFile('connect'),
    pid,
    jit: jitOf(pid),
    async start() {
      const dataDir = paths.dataDir('connect');
      const properties = connectWorkerProperties(paths, { brokers: `${HOST}:${PORTS.kafkaPort}`, url, offsetsFile: path.join(dataDir, 'offsets.dat') });
      const running = pid();
      if (running !== null) {
        // A worker started from older settings (e.g. before a plugin was added: the worker scans
        // plugin.path at start only) is restarted once, like the broker.
        if (readFileOr(propsFile, '') === properties) return false;
        await stopPid(running, 30000);
      }
      fs.mkdirSync(dataDir, { recursive: true });
      writeFile(propsFile, properties);
      startConnectWorker(paths, propsFile, { name: 'connect', pidFile: paths.pidFile('connect'), logFile: paths.logFile('connect') });
      return running === null;
    },
    async ready() {
      const response = await fetch(`${url}/connector-plugins`, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) return false;
      const plugins = (await response.json()) as { class: string }[];
      return DEBEZIUM_SOURCE_CLASSES.every((c) => plugins.some((p) => p.class === c));
    },
    waitReady: (timeoutMs) => waitUntil('Kafka Connect', () => service.ready(), { timeoutMs, logFile: paths.logFile('connect'), alive }),
    async stop() {
      const current = pid();
      return current === null ? 'not-running' : stopPid(current, 30000);
    },
  };
  return service;
}
