import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError, ErrorCode } from '../../src/errors';
import type { Progress } from './progress';
import { requireTool, run } from './processes';
import { REPO_ROOT, VERSIONS, type StackPaths } from './stack-config';

/**
 * Installers for the local stack. Each writes a `.complete` marker holding a fingerprint of what
 * it installed, so a second `up` installs nothing, and a changed POM or version reinstalls.
 */

const MAVEN_DEPENDENCY_PLUGIN = `org.apache.maven.plugins:maven-dependency-plugin:${VERSIONS.mavenDependencyPlugin}`;

export function checkJavaAndMaven(): void {
  const java = requireTool('java', ['-version'], 'install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)');
  const major = Number(/version "(\d+)/.exec(java)?.[1] ?? 0);
  if (major < 17) {
    throw new AppError(ErrorCode.STACK_TOOL_MISSING, `Java 17 or newer is required by Kafka 4 and Debezium 3 (found ${major})`);
  }
  requireTool('mvn', ['-v'], 'install Apache Maven 3.8+ (Debian: apt-get install maven)');
  requireTool('tar', ['--version'], 'install tar');
}

function fingerprint(parts: readonly string[]): string {
  return crypto.createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

async function installOnce(progress: Progress, label: string, dir: string, print: string, install: (tmp: string) => void): Promise<'cached' | 'installed'> {
  const marker = path.join(dir, '..', `${path.basename(dir)}.complete`);
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === print && fs.existsSync(dir)) {
    progress.info(`${label}: cached in ${dir}`);
    return 'cached';
  }
  await progress.step(label, async () => {
    // Install into a temporary sibling and rename: an interrupted install never looks complete.
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    install(tmp);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    fs.writeFileSync(marker, print);
  });
  return 'installed';
}

function mavenCopyDependencies(pom: string, outputDir: string): void {
  run('mvn', ['-q', '-B', '-f', pom, `${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${outputDir}`, '-DincludeScope=runtime'], {
    cwd: os.tmpdir(),
  });
}

export async function installKafka(paths: StackPaths, progress: Progress): Promise<void> {
  const pom = path.join(REPO_ROOT, 'infra', 'maven', 'kafka.pom.xml');
  const print = fingerprint([fs.readFileSync(pom, 'utf8')]);
  await installOnce(progress, `install Apache Kafka ${VERSIONS.kafka} + Kafka Connect jars (Maven)`, paths.kafkaLibs, print, (tmp) =>
    mavenCopyDependencies(pom, tmp),
  );
}

/** Debezium's source connectors the Connect worker loads, each a plugin archive in its own plugin.path entry. */
export type DebeziumConnector = 'postgres' | 'mysql';

export function debeziumPluginDir(paths: StackPaths, connector: DebeziumConnector): string {
  return connector === 'postgres' ? paths.debeziumPlugins : paths.debeziumMysqlPlugins;
}

/**
 * The MySQL connector reaches MariaDB through MariaDB's own JDBC driver (the bundled MySQL driver
 * asks MariaDB 10.11 for variables it lacks): the driver jar goes into the plugin's folder, on the
 * plugin's class path. Debezium's dedicated MariaDB connector is not obtainable from Maven Central
 * here (docs/local-stack.md).
 */
const PLUGIN_EXTRA_JARS: Record<DebeziumConnector, readonly string[]> = {
  postgres: [],
  mysql: [`org.mariadb.jdbc:mariadb-java-client:${VERSIONS.mariadbJdbc}:jar`],
};

export async function installDebezium(paths: StackPaths, progress: Progress, connector: DebeziumConnector = 'postgres'): Promise<void> {
  const artifact = `io.debezium:debezium-connector-${connector}:${VERSIONS.debezium}:tar.gz:plugin`;
  const extras = PLUGIN_EXTRA_JARS[connector];
  const label = connector === 'postgres' ? 'PostgreSQL' : 'MySQL (captures MariaDB)';
  const dir = debeziumPluginDir(paths, connector);
  await installOnce(progress, `install Debezium ${label} connector ${VERSIONS.debezium} (Maven)`, dir, fingerprint([artifact, ...extras]), (tmp) => {
    const download = path.join(tmp, '..', `debezium-${connector}-download-${process.pid}`);
    fs.mkdirSync(download, { recursive: true });
    try {
      run('mvn', ['-q', '-B', `${MAVEN_DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${download}`], { cwd: os.tmpdir() });
      const archive = fs.readdirSync(download).find((f) => f.endsWith('.tar.gz'));
      if (!archive) throw new AppError(ErrorCode.STACK_INSTALL_FAILED, `Maven returned no archive for ${artifact}`);
      // The plugin archive is unpacked into plugin.path (its own class loader), never onto the
      // worker classpath, as Kafka Connect's plugin isolation expects.
      run('tar', ['xzf', path.join(download, archive), '-C', tmp]);
      const pluginFolder = path.join(tmp, `debezium-connector-${connector}`);
      for (const extra of extras) {
        run('mvn', ['-q', '-B', `${MAVEN_DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${extra}`, `-DoutputDirectory=${pluginFolder}`], { cwd: os.tmpdir() });
      }
    } finally {
      fs.rmSync(download, { recursive: true, force: true });
    }
  });
}

/**
 * The official MongoDB Kafka sink connector, for the benchmarks' side-by-side peer. The `-all`
 * jar bundles the MongoDB Java driver, so one jar in its own plugin directory is the whole plugin.
 */
export async function installMongoSinkConnector(paths: StackPaths, progress: Progress): Promise<void> {
  const artifact = `org.mongodb.kafka:mongo-kafka-connect:${VERSIONS.mongoKafkaConnect}:jar:all`;
  await installOnce(
    progress,
    `install MongoDB Kafka sink connector ${VERSIONS.mongoKafkaConnect} (Maven)`,
    paths.mongoSinkPlugins,
    fingerprint([artifact]),
    (tmp) => {
      const pluginDir = path.join(tmp, 'mongo-kafka-connect');
      fs.mkdirSync(pluginDir, { recursive: true });
      run('mvn', ['-q', '-B', `${MAVEN_DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${pluginDir}`], { cwd: os.tmpdir() });
      if (!fs.readdirSync(pluginDir).some((f) => f.endsWith('.jar'))) {
        throw new AppError(ErrorCode.STACK_INSTALL_FAILED, `Maven returned no jar for ${artifact}`);
      }
    },
  );
}

/** The launcher and the classes it uses (OrderedIndex.java, DocumentValues.java): every .java file of infra/java. */
function storeLauncherSources(): string[] {
  const javaDir = path.join(REPO_ROOT, 'infra', 'java');
  return fs
    .readdirSync(javaDir)
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => path.join(javaDir, f));
}

/** Compiles this checkout's store launcher into `outDir` against mongo-java-server's jars in `libsDir`. */
export function compileStoreLauncher(libsDir: string, outDir: string): void {
  run('javac', ['-cp', path.join(libsDir, '*'), '-d', outDir, ...storeLauncherSources()]);
}

export async function installMongoServer(paths: StackPaths, progress: Progress): Promise<void> {
  const pom = path.join(REPO_ROOT, 'infra', 'maven', 'mongo-server.pom.xml');
  const sources = storeLauncherSources();
  await installOnce(
    progress,
    `install mongo-java-server ${VERSIONS.mongoJavaServer} (Maven)`,
    paths.mongoServerLibs,
    fingerprint([fs.readFileSync(pom, 'utf8')]),
    (tmp) => mavenCopyDependencies(pom, tmp),
  );
  await installOnce(
    progress,
    'compile the MongoDB-wire server launcher',
    paths.mongoServerClasses,
    fingerprint([...sources.map((source) => fs.readFileSync(source, 'utf8')), fs.readFileSync(pom, 'utf8')]),
    (tmp) => compileStoreLauncher(paths.mongoServerLibs, tmp),
  );
}

/**
 * A server from Debian's packages: found when its programs exist; as root we install the packages
 * with apt, otherwise we say what to run.
 */
async function installDebianPackages(
  progress: Progress,
  options: {
    label: string;
    programs: readonly string[];
    packages: readonly string[];
    setting: string;
  },
): Promise<void> {
  const missing = options.programs.filter((program) => !fs.existsSync(program));
  if (missing.length === 0) {
    progress.info(`${options.label}: found (${options.programs[0]})`);
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new AppError(
      ErrorCode.STACK_TOOL_MISSING,
      `${options.label} is missing (${missing.join(', ')}); install it with: ` +
        `sudo apt-get install -y ${options.packages.join(' ')} (or set ${options.setting})`,
    );
  }
  await progress.step(`install ${options.label} (apt)`, async () => {
    run('apt-get', ['update', '-q']);
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...options.packages], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  });
}

/** PostgreSQL comes from Debian's packages. */
export async function installPostgres(paths: StackPaths, progress: Progress): Promise<void> {
  await installDebianPackages(progress, {
    label: `PostgreSQL ${VERSIONS.postgresMajor}`,
    programs: [path.join(paths.postgresBin, 'pg_ctl')],
    packages: [`postgresql-${VERSIONS.postgresMajor}`],
    setting: 'CANONQL_PG_BIN',
  });
}

/**
 * MariaDB comes from Debian's packages too: the server binaries and `mariadb-install-db`
 * (mariadb-server-core) and the client with `my_print_defaults` that the install script needs
 * (mariadb-client-core); not `mariadb-server`, whose install starts a system-wide server.
 */
export async function installMariadb(paths: StackPaths, progress: Progress): Promise<void> {
  await installDebianPackages(progress, {
    label: 'MariaDB',
    programs: [paths.mariadb.server, paths.mariadb.installDb, paths.mariadb.client],
    packages: ['mariadb-server-core', 'mariadb-client-core'],
    setting: 'CANONQL_MARIADB_BIN',
  });
}
