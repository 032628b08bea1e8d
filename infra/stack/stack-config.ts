import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVENT_LOG_COLLECTION } from '../../src/events/event-log';
import { LOCAL_STACK } from '../../src/local-stack';

/**
 * Where the local stack lives and which versions it runs. Downloads (jars, plugin archives,
 * compiled launchers) go to a per-user cache shared by every clone on the machine, so a fresh CI
 * clone installs nothing twice; data and logs go to `.stack/` inside the clone (ignored by git).
 */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const VERSIONS = Object.freeze({
  kafka: '4.3.1',
  debezium: '3.6.0.Final',
  /** The MongoDB Kafka sink connector, the peer the benchmarks compare ingestion with. */
  mongoKafkaConnect: '2.0.1',
  mongoJavaServer: '1.47.0',
  postgresMajor: '15',
  /** MariaDB's JDBC driver, added to the Debezium MySQL connector's plugin folder (install.ts). */
  mariadbJdbc: '3.5.6',
  mavenDependencyPlugin: '3.8.1',
});

export interface StackPaths {
  readonly cacheDir: string;
  readonly stateDir: string;
  readonly kafkaLibs: string;
  readonly debeziumPlugins: string;
  /** Debezium's MySQL connector (it captures the MariaDB source), a plugin.path entry of its own. */
  readonly debeziumMysqlPlugins: string;
  /** A second plugin.path entry: the MongoDB Kafka sink connector (`-all` jar, driver bundled). */
  readonly mongoSinkPlugins: string;
  readonly mongoServerLibs: string;
  readonly mongoServerClasses: string;
  readonly log4jConfig: string;
  readonly postgresBin: string;
  /** MariaDB's programs (Debian's paths; CANONQL_MARIADB_BIN names one folder holding all three). */
  readonly mariadb: { readonly server: string; readonly installDb: string; readonly client: string };
  dataDir(service: string): string;
  logFile(service: string): string;
  pidFile(service: string): string;
}

export function stackPaths(env: NodeJS.ProcessEnv = process.env): StackPaths {
  const cacheDir = env.CANONQL_CACHE_DIR || path.join(os.homedir(), '.cache', 'canonql');
  const stateDir = env.CANONQL_STACK_DIR || path.join(REPO_ROOT, '.stack');
  return {
    cacheDir,
    stateDir,
    kafkaLibs: path.join(cacheDir, `kafka-${VERSIONS.kafka}`, 'libs'),
    debeziumPlugins: path.join(cacheDir, `debezium-${VERSIONS.debezium}`, 'plugins'),
    debeziumMysqlPlugins: path.join(cacheDir, `debezium-mysql-${VERSIONS.debezium}`, 'plugins'),
    mongoSinkPlugins: path.join(cacheDir, `mongo-kafka-connect-${VERSIONS.mongoKafkaConnect}`, 'plugins'),
    mongoServerLibs: path.join(cacheDir, `mongo-java-server-${VERSIONS.mongoJavaServer}`, 'libs'),
    mongoServerClasses: path.join(cacheDir, `mongo-java-server-${VERSIONS.mongoJavaServer}`, 'classes'),
    log4jConfig: path.join(REPO_ROOT, 'infra', 'config', 'log4j2.properties'),
    postgresBin: env.CANONQL_PG_BIN || `/usr/lib/postgresql/${VERSIONS.postgresMajor}/bin`,
    mariadb: env.CANONQL_MARIADB_BIN
      ? {
          server: path.join(env.CANONQL_MARIADB_BIN, 'mariadbd'),
          installDb: path.join(env.CANONQL_MARIADB_BIN, 'mariadb-install-db'),
          client: path.join(env.CANONQL_MARIADB_BIN, 'my_print_defaults'),
        }
      : { server: '/usr/sbin/mariadbd', installDb: '/usr/bin/mariadb-install-db', client: '/usr/bin/my_print_defaults' },
    dataDir: (service) => path.join(stateDir, 'data', service),
    logFile: (service) => path.join(stateDir, 'logs', `${service}.log`),
    pidFile: (service) => path.join(stateDir, 'run', `${service}.pid`),
  };
}

export const PORTS = LOCAL_STACK;

/** The JIT compilers the stack's JVMs run: `c1` (quick start, no optimising compiler) or `full` (C1 then C2). */
export type StackJit = 'c1' | 'full';
const STACK_JITS: readonly StackJit[] = ['c1', 'full'];

/** `CANONQL_STACK_JIT` when set (null when not); anything else than c1 or full is an error naming them. */
export function requestedStackJit(env: NodeJS.ProcessEnv = process.env): StackJit | null {
  const value = env.CANONQL_STACK_JIT?.trim();
  if (!value) return null;
  if (!(STACK_JITS as readonly string[]).includes(value)) throw new Error(`CANONQL_STACK_JIT="${value}" is not one of ${STACK_JITS.join(', ')}`);
  return value as StackJit;
}

/**
 * The compilers a JVM of the stack starts with: `CANONQL_STACK_JIT` when set, else the setting the
 * last `stack up` that named one recorded (`recorded`, see recordedStackJit), else `c1`.
 */
export function stackJit(env: NodeJS.ProcessEnv = process.env, recorded: StackJit | null = null): StackJit {
  return requestedStackJit(env) ?? recorded ?? 'c1';
}

/**
 * The store's, Kafka's and Connect's JVM settings: the serial collector (the whole stack has to fit
 * beside the tests on 2 cores) and the compilers stackJit gives (docs/local-stack.md).
 */
export function jvmFlags(env: NodeJS.ProcessEnv = process.env, recorded: StackJit | null = null): string[] {
  return ['-XX:+UseSerialGC', ...(stackJit(env, recorded) === 'c1' ? ['-XX:TieredStopAtLevel=1'] : []), '-Djava.awt.headless=true'];
}

/**
 * The `CANONQL_STACK_JIT` the last `stack up` that set it asked for, kept in the stack's state
 * directory, or null. A JVM started later without the variable (a test stopping and starting
 * Kafka or the store, a plain `stack up`) then runs the same compilers as the rest of the stack,
 * instead of silently turning a stack on the full JIT back to C1 under a benchmark.
 */
export function recordedStackJit(paths: Pick<StackPaths, 'stateDir'>): StackJit | null {
  try {
    const value = fs.readFileSync(jitRecordFile(paths), 'utf8').trim();
    return (STACK_JITS as readonly string[]).includes(value) ? (value as StackJit) : null;
  } catch {
    return null;
  }
}

/** The JVM settings a JVM of the stack in `paths` starts with: the variable, else the recorded setting. */
export function stackJvmFlags(paths: Pick<StackPaths, 'stateDir'>): string[] {
  return jvmFlags(process.env, recordedStackJit(paths));
}

/** Records the setting a `stack up` was asked for (see recordedStackJit). */
export function recordStackJit(paths: Pick<StackPaths, 'stateDir'>, jit: StackJit): void {
  fs.mkdirSync(path.dirname(jitRecordFile(paths)), { recursive: true });
  fs.writeFileSync(jitRecordFile(paths), `${jit}\n`);
}

const jitRecordFile = (paths: Pick<StackPaths, 'stateDir'>) => path.join(paths.stateDir, 'run', 'jit');

/**
 * The store launcher's own settings: stored documents in its compact form rather than Java
 * serialization (infra/java/DocumentValues.java; docs/local-stack.md), and the event log kept in
 * insertion order rather than by its hashed ids (infra/java/MongoServerMain.java,
 * IdFirstCollection.insertOrdered).
 */
export const STORE_FLAGS = ['-Dcanonql.store.compactDocuments=true', `-Dcanonql.store.insertOrderedCollections=${EVENT_LOG_COLLECTION}`];
