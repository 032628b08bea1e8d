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

async function installOnce(
  progress: Progress,
  label: string,
  dir: string,
  print: string,
  install: (tmp: string) => void,
): Promise<'cached' | 'installed'> {
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
  run('mvn', ['-q', '-B', '-f', pom, `${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies`,
    `-DoutputDirectory=${outputDir}`, '-DincludeScope=runtime'], { cwd: os.tmpdir() });
}

export async function installKafka(paths: StackPaths, progress: Progress): Promise<void> {
  const pom = path.join(REPO_ROOT, 'infra', 'maven', 'kafka.pom.xml');
  const print = fingerprint([fs.readFileSync(pom, 'utf8')]);
  await installOnce(progress, `install Apache Kafka ${VERSIONS.kafka} + Kafka Connect jars (Maven)`, paths.kafkaLibs, print,
    (tmp) => mavenCopyDependencies(pom, tmp));
}

export async function installDebezium(paths: StackPaths, progress: Progress): Promise<void> {
  const artifact = `io.debezium:debezium-connector-postgres:${VERSIONS.debezium}:tar.gz:plugin`;
  await installOnce(progress, `install Debezium PostgreSQL connector ${VERSIONS.debezium} (Maven)`, paths.debeziumPlugins,
    fingerprint([artifact]), (tmp) => {
      const download = path.join(tmp, '..', `debezium-download-${process.pid}`);
      fs.mkdirSync(download, { recursive: true });
      try {
        run('mvn', ['-q', '-B', `${MAVEN_DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${download}`],
          { cwd: os.tmpdir() });
        const archive = fs.readdirSync(download).find((f) => f.endsWith('.tar.gz'));
        if (!archive) throw new AppError(ErrorCode.STACK_INSTALL_FAILED, `Maven returned no archive for ${artifact}`);
        // The plugin archive is unpacked into plugin.path (its own class loader), never onto the
        // worker classpath, as Kafka Connect's plugin isolation expects.
        run('tar', ['xzf', path.join(download, archive), '-C', tmp]);
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
  await installOnce(progress, `install MongoDB Kafka sink connector ${VERSIONS.mongoKafkaConnect} (Maven)`, paths.mongoSinkPlugins,
    fingerprint([artifact]), (tmp) => {
      const pluginDir = path.join(tmp, 'mongo-kafka-connect');
      fs.mkdirSync(pluginDir, { recursive: true });
      run('mvn', ['-q', '-B', `${MAVEN_DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${pluginDir}`],
        { cwd: os.tmpdir() });
      if (!fs.readdirSync(pluginDir).some((f) => f.endsWith('.jar'))) {
        throw new AppError(ErrorCode.STACK_INSTALL_FAILED, `Maven returned no jar for ${artifact}`);
      }
    });
}

export async function installMongoServer(paths: StackPaths, progress: Progress): Promise<void> {
  const pom = path.join(REPO_ROOT, 'infra', 'maven', 'mongo-server.pom.xml');
  const source = path.join(REPO_ROOT, 'infra', 'java', 'MongoServerMain.java');
  await installOnce(progress, `install mongo-java-server ${VERSIONS.mongoJavaServer} (Maven)`, paths.mongoServerLibs,
    fingerprint([fs.readFileSync(pom, 'utf8')]), (tmp) => mavenCopyDependencies(pom, tmp));
  await installOnce(progress, 'compile the MongoDB-wire server launcher', paths.mongoServerClasses,
    fingerprint([fs.readFileSync(source, 'utf8'), fs.readFileSync(pom, 'utf8')]), (tmp) => {
      run('javac', ['-cp', path.join(paths.mongoServerLibs, '*'), '-d', tmp, source]);
    });
}

/** PostgreSQL comes from Debian's packages; as root we install it, otherwise we say what to run. */
export async function installPostgres(paths: StackPaths, progress: Progress): Promise<void> {
  if (fs.existsSync(path.join(paths.postgresBin, 'pg_ctl'))) {
    progress.info(`PostgreSQL ${VERSIONS.postgresMajor}: found in ${paths.postgresBin}`);
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new AppError(ErrorCode.STACK_TOOL_MISSING,
      `PostgreSQL ${VERSIONS.postgresMajor} is missing (${paths.postgresBin}); install it with: ` +
        `sudo apt-get install -y postgresql-${VERSIONS.postgresMajor} (or set CANONQL_PG_BIN)`);
  }
  await progress.step(`install PostgreSQL ${VERSIONS.postgresMajor} (apt)`, async () => {
    run('apt-get', ['update', '-q']);
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', `postgresql-${VERSIONS.postgresMajor}`],
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  });
}
