import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, ErrorCode } from '../../src/errors';

/** Runs a command to completion; on failure the error carries the tail of its output. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AppError(
      missing ? ErrorCode.STACK_TOOL_MISSING : ErrorCode.STACK_INSTALL_FAILED,
      missing ? `required tool "${command}" is not installed or not on PATH` : `${command} failed: ${result.error.message}`,
      { cause: result.error },
    );
  }
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    throw new AppError(ErrorCode.STACK_INSTALL_FAILED, `${command} ${args.join(' ')} exited with ${result.status}:\n${tail(output, 30)}`);
  }
  return output;
}

/** Fails with a message naming the missing tool and how to get it. */
export function requireTool(command: string, versionArgs: readonly string[], hint: string): string {
  const result = spawnSync(command, versionArgs, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new AppError(ErrorCode.STACK_TOOL_MISSING, `required tool "${command}" is missing: ${hint}`);
  }
  return `${result.stdout}${result.stderr}`;
}

export interface DetachedOptions {
  readonly name: string;
  readonly pidFile: string;
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts a long-lived server detached from this process (its own process group), appending its
 * output to a log file, and records its pid so `down` and `status` can find it later.
 */
export function spawnDetached(command: string, args: readonly string[], options: DetachedOptions): number {
  fs.mkdirSync(path.dirname(options.pidFile), { recursive: true });
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'a');
  fs.writeSync(log, `\n==== ${new Date().toISOString()} starting ${options.name}: ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  if (child.pid === undefined) {
    throw new AppError(ErrorCode.STACK_START_FAILED, `could not start ${options.name} (${command})`);
  }
  child.unref();
  fs.writeFileSync(options.pidFile, String(child.pid));
  return child.pid;
}

export function readPid(pidFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; /proc tells whether it is really running.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Resident memory of a process in MiB, from /proc (Linux). */
export function residentMiB(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** SIGTERM, wait for a clean exit, SIGKILL only past the deadline. */
export async function stopPid(pid: number, timeoutMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
  return 'killed';
}

export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

export function tailFile(file: string, lines: number): string {
  try {
    return tail(fs.readFileSync(file, 'utf8'), lines);
  } catch {
    return '(no log yet)';
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it resolves true; the error names the service and shows its log tail. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; logFile?: string; alive?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (options.alive && !options.alive()) {
      throw new AppError(
        ErrorCode.STACK_START_FAILED,
        `${what} exited during start-up. Last log lines:\n${options.logFile ? tailFile(options.logFile, 25) : ''}`,
      );
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  throw new AppError(
    ErrorCode.STACK_START_FAILED,
    `${what} not ready after ${options.timeoutMs / 1000}s (${String(lastError ?? 'no answer')}). ` +
      `Last log lines:\n${options.logFile ? tailFile(options.logFile, 25) : ''}`,
  );
}
