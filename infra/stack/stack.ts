import fs from 'node:fs';
import { AppError, ErrorCode } from '../../src/errors';
import { checkJavaAndMaven, installDebezium, installKafka, installMariadb, installMongoServer, installMongoSinkConnector, installPostgres } from './install';
import { removeExternalPostgresFiles } from './postgres-files';
import { residentMiB, tailFile } from './processes';
import { createProgress, type Progress } from './progress';
import { connectService, kafkaService, mariadbService, mongoService, postgresService, type StackService } from './services';
import { recordStackJit, requestedStackJit, stackPaths, type StackPaths } from './stack-config';

/** The local stack as a whole: install what is missing, start what is not running, report. */

export function stackServices(paths: StackPaths = stackPaths()): StackService[] {
  return [postgresService(paths), mariadbService(paths), mongoService(paths), kafkaService(paths), connectService(paths)];
}

export interface UpResult {
  /** Services that were not running. */
  readonly started: string[];
  /** Services that were running and were restarted (another launcher build, another JIT): a test run's teardown leaves them up. */
  readonly restarted: string[];
  readonly alreadyRunning: string[];
  readonly seconds: number;
}

const READY_TIMEOUT_MS = 120_000;

export async function stackUp(progress: Progress = createProgress(), paths: StackPaths = stackPaths()): Promise<UpResult> {
  const begun = Date.now();
  checkJavaAndMaven();
  fs.mkdirSync(paths.stateDir, { recursive: true });
  await installPostgres(paths, progress);
  await installMariadb(paths, progress);
  await installKafka(paths, progress);
  await installDebezium(paths, progress, 'postgres');
  await installDebezium(paths, progress, 'mysql');
  await installMongoSinkConnector(paths, progress);
  await installMongoServer(paths, progress);

  const [postgres, mariadb, mongo, kafka, connect] = stackServices(paths);
  // Only an explicit setting restarts a running JVM: unset, a stack is taken as it runs, and a JVM
  // it starts gets the setting recorded by the last up that named one.
  const jit = requestedStackJit();
  if (jit !== null) recordStackJit(paths, jit);
  const started: string[] = [];
  const restarted: string[] = [];
  const alreadyRunning: string[] = [];
  const startOne = async (service: StackService) => {
    const broken = service.broken ? await service.broken() : null;
    const runningJit = service.jit?.() ?? null;
    let stopped = false;
    if (broken !== null) {
      progress.info(`${service.name} runs but ${broken}: restarting it`);
      await progress.step(`stop ${service.name}`, () => service.stop());
      stopped = true;
    } else if (jit !== null && runningJit !== null && runningJit !== jit) {
      // Its data stays; only the JVM's compilers change (a benchmark asks for `full`, the tests run `c1`).
      progress.info(`${service.name} runs with the ${runningJit} JIT, CANONQL_STACK_JIT asks for ${jit}: restarting it`);
      await progress.step(`stop ${service.name}`, () => service.stop());
      stopped = true;
    }
    const didStart = await progress.step(`start ${service.description} on port ${service.port}`, () => service.start());
    (didStart ? (stopped ? restarted : started) : alreadyRunning).push(service.name);
  };
  // Kafka Connect needs the broker, so it starts once Kafka answers; the rest start together.
  await startOne(postgres);
  await startOne(mariadb);
  await startOne(mongo);
  await startOne(kafka);
  await progress.step('wait for Kafka', () => kafka.waitReady(READY_TIMEOUT_MS));
  await startOne(connect);
  await Promise.all([
    progress.step('wait for PostgreSQL', () => postgres.waitReady(READY_TIMEOUT_MS)),
    progress.step('wait for MariaDB', () => mariadb.waitReady(READY_TIMEOUT_MS)),
    progress.step('wait for the MongoDB-wire store', () => mongo.waitReady(READY_TIMEOUT_MS)),
    progress.step('wait for Kafka Connect + Debezium', () => connect.waitReady(READY_TIMEOUT_MS)),
  ]);
  const seconds = (Date.now() - begun) / 1000;
  progress.info(
    `stack is up in ${seconds.toFixed(1)}s (started: ${started.join(', ') || 'none'}; ` +
      (restarted.length > 0 ? `restarted: ${restarted.join(', ')}; ` : '') +
      `already running: ${alreadyRunning.join(', ') || 'none'})`,
  );
  return { started, restarted, alreadyRunning, seconds };
}

/** Stops services in reverse dependency order; `only` limits it to the named ones. */
export async function stackDown(progress: Progress = createProgress(), only?: readonly string[], paths: StackPaths = stackPaths()) {
  const services = stackServices(paths)
    .reverse()
    .filter((s) => !only || only.includes(s.name));
  for (const service of services) {
    const outcome = await progress.step(`stop ${service.name}`, () => service.stop());
    progress.info(`${service.name}: ${outcome}`);
  }
}

/** Stops everything and deletes the stack's data and logs, wherever they live (not the download cache). */
export async function stackReset(progress: Progress = createProgress(), paths: StackPaths = stackPaths()): Promise<string[]> {
  await stackDown(progress, undefined, paths);
  const removed = [removeExternalPostgresFiles(paths), paths.stateDir].filter((p): p is string => p !== null);
  fs.rmSync(paths.stateDir, { recursive: true, force: true });
  return removed;
}

export interface ServiceStatus {
  readonly name: string;
  readonly port: number;
  readonly pid: number | null;
  readonly ready: boolean;
  readonly memoryMiB: number | null;
}

export async function stackStatus(paths: StackPaths = stackPaths()): Promise<ServiceStatus[]> {
  return Promise.all(
    stackServices(paths).map(async (service) => {
      const pid = service.pid();
      const ready = pid === null ? false : await service.ready().catch(() => false);
      return { name: service.name, port: service.port, pid, ready, memoryMiB: pid === null ? null : residentMiB(pid) };
    }),
  );
}

export function stackLogs(names: readonly string[], lines: number, paths: StackPaths = stackPaths()): string {
  const services = stackServices(paths);
  const unknown = names.filter((name) => !services.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `unknown service ${unknown.join(', ')} (services: ${services.map((s) => s.name).join(', ')})`);
  }
  const selected = names.length > 0 ? services.filter((s) => names.includes(s.name)) : services;
  return selected.map((s) => `==> ${s.logFile} <==\n${tailFile(s.logFile, lines)}`).join('\n\n');
}
