import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { Client as PgClient } from 'pg';
import { ensureScramUser, SASL_LISTENER, saslListenerProperties } from './kafka-scram';
import { postgresFiles, preparePostgresFiles } from './postgres-files';
import { isAlive, readPid, run, spawnDetached, stopPid, waitUntil } from './processes';
import { JVM_FLAGS, PORTS, type StackPaths } from './stack-config';

/**
 * The four servers of the local stack. Each knows how to start itself (idempotently), how to tell
 * it is really serving (with a real client, never by reading logs), and how to stop cleanly.
 */
export interface StackService {
  readonly name: 'postgres' | 'mongo' | 'kafka' | 'connect';
  readonly description: string;
  readonly port: number;
  /** Where the server's output goes (`stack logs`). */
  readonly logFile: string;
  pid(): number | null;
  /** Spawns the server unless it already runs; returns false when it was already running. */
  start(): Promise<boolean>;
  ready(): Promise<boolean>;
  waitReady(timeoutMs: number): Promise<void>;
  stop(): Promise<string>;
}

const HOST = PORTS.host;
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

function base(paths: StackPaths, name: StackService['name']) {
  return {
    pid: () => livePid(paths.pidFile(name)),
    alive: () => livePid(paths.pidFile(name)) !== null,
  };
}

export function postgresService(paths: StackPaths, options: { port?: number } = {}): StackService {
  const port = options.port ?? PORTS.postgresPort;
  const files = postgresFiles(paths);
  const { dataDir, socketDir } = files;
  const pgCtl = path.join(paths.postgresBin, 'pg_ctl');
  // PostgreSQL refuses to run as root; as root we run its tools as the `postgres` system user
  // that Debian's package creates, with its files where that user can reach them (postgres-files.ts).
  const asPostgres = (cmd: string, args: string[]) =>
    files.runAs ? run('runuser', ['-u', files.runAs, '--', cmd, ...args], { cwd: '/' }) : run(cmd, args);
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
        `-p ${port}`, `-c listen_addresses=${HOST}`, `-k ${socketDir}`,
        // Debezium's pgoutput plugin needs logical WAL and a slot + sender per connector.
        '-c wal_level=logical', '-c max_replication_slots=32', '-c max_wal_senders=32',
        // A development/test stack: durability across an OS crash is not needed, speed is.
        '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
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

export function mongoService(paths: StackPaths): StackService {
  const { pid, alive } = base(paths, 'mongo');
  const service: StackService = {
    name: 'mongo',
    description: 'MongoDB-wire store (mongo-java-server, H2 file backend)',
    port: PORTS.mongoPort,
    logFile: paths.logFile('mongo'),
    pid,
    async start() {
      if (pid() !== null) return false;
      const dataDir = paths.dataDir('mongo');
      fs.mkdirSync(dataDir, { recursive: true });
      spawnDetached('java', [
        '-Xms64m', '-Xmx768m', ...JVM_FLAGS,
        '-cp', `${paths.mongoServerClasses}${path.delimiter}${path.join(paths.mongoServerLibs, '*')}`,
        'MongoServerMain', HOST, String(PORTS.mongoPort), path.join(dataDir, 'canonql.mv'),
      ], { name: 'mongo', pidFile: paths.pidFile('mongo'), logFile: paths.logFile('mongo') });
      return true;
    },
    async ready() {
      const client = new MongoClient(`mongodb://${HOST}:${PORTS.mongoPort}/?directConnection=true`, {
        serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500,
      });
      try {
        await client.connect();
        const pong = await client.db('admin').command({ ping: 1 });
        return pong.ok === 1;
      } finally {
        await client.close();
      }
    },
    waitReady: (timeoutMs) =>
      waitUntil('MongoDB-wire store', () => service.ready(), { timeoutMs, logFile: paths.logFile('mongo'), alive }),
    async stop() {
      const current = pid();
      return current === null ? 'not-running' : stopPid(current, 20000);
    },
  };
  return service;
}

export function kafkaService(paths: StackPaths): StackService {
  const { pid, alive } = base(paths, 'kafka');
  const logDir = paths.dataDir('kafka');
  const propsFile = path.join(paths.stateDir, 'config', 'kafka.properties');
  const classpath = path.join(paths.kafkaLibs, '*');
  const java = (main: string, args: string[]) =>
    run('java', ['-cp', classpath, `-Dlog4j2.configurationFile=${paths.log4jConfig}`, main, ...args]);
  const service: StackService = {
    name: 'kafka',
    description: 'Apache Kafka broker + controller (KRaft)',
    port: PORTS.kafkaPort,
    logFile: paths.logFile('kafka'),
    pid,
    async start() {
      const properties = [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@${HOST}:${PORTS.kafkaControllerPort}`,
        `listeners=PLAINTEXT://${HOST}:${PORTS.kafkaPort},CONTROLLER://${HOST}:${PORTS.kafkaControllerPort},${SASL_LISTENER}`,
        `advertised.listeners=PLAINTEXT://${HOST}:${PORTS.kafkaPort},${SASL_LISTENER}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
        'inter.broker.listener.name=PLAINTEXT',
        ...saslListenerProperties(),
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
      const running = pid();
      if (running !== null) {
        // A broker started from older settings (e.g. before the SASL listener existed) is
        // restarted once so `up` brings every installation to the current configuration.
        if (readFileOr(propsFile, '') === properties) return false;
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
      spawnDetached('java', [
        '-Xms256m', '-Xmx768m', ...JVM_FLAGS, '-cp', classpath,
        `-Dlog4j2.configurationFile=${paths.log4jConfig}`, 'kafka.Kafka', propsFile,
      ], { name: 'kafka', pidFile: paths.pidFile('kafka'), logFile: paths.logFile('kafka') });
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
  return [paths.debeziumPlugins, paths.mongoSinkPlugins].join(',');
}

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
  return spawnDetached('java', [
    '-Xms128m', '-Xmx768m', ...JVM_FLAGS, '-cp', path.join(paths.kafkaLibs, '*'),
    `-Dlog4j2.configurationFile=${paths.log4jConfig}`,
    'org.apache.kafka.connect.cli.ConnectStandalone', propsFile,
  ], options);
}

export function connectService(paths: StackPaths): StackService {
  const { pid, alive } = base(paths, 'connect');
  const propsFile = path.join(paths.stateDir, 'config', 'connect.properties');
  const url = `http://${HOST}:${PORTS.connectPort}`;
  const service: StackService = {
    name: 'connect',
    description: 'Kafka Connect (standalone) with the Debezium PostgreSQL connector and the MongoDB sink connector',
    port: PORTS.connectPort,
    logFile: paths.logFile('connect'),
    pid,
    async start() {
      if (pid() !== null) return false;
      const dataDir = paths.dataDir('connect');
      fs.mkdirSync(dataDir, { recursive: true });
      writeFile(propsFile, connectWorkerProperties(paths, { brokers: `${HOST}:${PORTS.kafkaPort}`, url, offsetsFile: path.join(dataDir, 'offsets.dat') }));
      startConnectWorker(paths, propsFile, { name: 'connect', pidFile: paths.pidFile('connect'), logFile: paths.logFile('connect') });
      return true;
    },
    async ready() {
      const response = await fetch(`${url}/connector-plugins`, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) return false;
      const plugins = (await response.json()) as { class: string }[];
      return plugins.some((p) => p.class === 'io.debezium.connector.postgresql.PostgresConnector');
    },
    waitReady: (timeoutMs) =>
      waitUntil('Kafka Connect', () => service.ready(), { timeoutMs, logFile: paths.logFile('connect'), alive }),
    async stop() {
      const current = pid();
      return current === null ? 'not-running' : stopPid(current, 30000);
    },
  };
  return service;
}
