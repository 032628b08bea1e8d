import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { run } from './processes';
import type { StackPaths } from './stack-config';

/**
 * Where the local PostgreSQL keeps its cluster, socket and log.
 *
 * PostgreSQL refuses to run as root, so as root the stack runs it as Debian's `postgres` system
 * user. That user cannot traverse a clone kept in a private folder (root's home or a `mktemp -d`
 * folder, mode 0700), so as root the files live under that user's own home, one directory per
 * stack keyed by the stack directory's absolute path:
 *
 *   <home of postgres>/canonql/<basename of the clone>-<sha256(stack dir), 12 hex>/
 *     data/  socket/  postgres.log  stack-dir (the stack directory it belongs to)
 *
 * Run as any other user, PostgreSQL runs as that user and its files stay in the stack directory
 * (`.stack/data/postgres`, `.stack/run/pg-socket`, `.stack/logs/postgres.log`). A stack whose
 * cluster was created there before this layout existed keeps using it.
 */
export interface PostgresFiles {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  /** The per-stack directory outside the stack directory, or null when the files are inside it. */
  readonly externalDir: string | null;
  /** The system user the server runs as, or null for the invoking user. */
  readonly runAs: 'postgres' | null;
}

export const POSTGRES_SYSTEM_USER = 'postgres';

const isRoot = () => process.getuid?.() === 0;

function inStackDir(paths: StackPaths): PostgresFiles {
  return {
    dataDir: paths.dataDir('postgres'),
    socketDir: path.join(paths.stateDir, 'run', 'pg-socket'),
    logFile: paths.logFile('postgres'),
    externalDir: null,
    runAs: isRoot() ? POSTGRES_SYSTEM_USER : null,
  };
}

/**
 * The postgres user's home from the passwd database; Debian's default before the package (which
 * creates the user) is installed, so `status` works on a machine without PostgreSQL.
 */
function postgresHome(): string {
  const entry = spawnSync('getent', ['passwd', POSTGRES_SYSTEM_USER], { encoding: 'utf8' });
  return (entry.status === 0 && entry.stdout.trim().split(':')[5]) || '/var/lib/postgresql';
}

/** The per-stack directory under the postgres user's home (see above); pure apart from getent. */
export function externalPostgresDir(stateDir: string, home: string = postgresHome()): string {
  const absolute = path.resolve(stateDir);
  const key = crypto.createHash('sha256').update(absolute).digest('hex').slice(0, 12);
  const label = path.basename(path.dirname(absolute)).replace(/[^A-Za-z0-9._-]/g, '_') || 'stack';
  return path.join(home, 'canonql', `${label}-${key}`);
}

export function postgresFiles(paths: StackPaths): PostgresFiles {
  const legacy = inStackDir(paths);
  // Not root: PostgreSQL runs as the invoking user, who can reach its own stack directory.
  if (!isRoot()) return legacy;
  // A cluster created inside the stack directory earlier stays where it is (real directory only).
  const legacyVersion = path.join(legacy.dataDir, 'PG_VERSION');
  if (fs.existsSync(legacyVersion) && !fs.lstatSync(legacy.dataDir).isSymbolicLink()) return legacy;
  const externalDir = externalPostgresDir(paths.stateDir);
  return {
    dataDir: path.join(externalDir, 'data'),
    socketDir: path.join(externalDir, 'socket'),
    logFile: path.join(externalDir, 'postgres.log'),
    externalDir,
    runAs: POSTGRES_SYSTEM_USER,
  };
}

/**
 * Creates the directories the server writes and hands them to the user it runs as (each directory
 * itself: initdb fills the data directory as that user). Outside the stack directory it also
 * records which stack directory the files belong to.
 */
export function preparePostgresFiles(paths: StackPaths, files: PostgresFiles): void {
  const dirs = [files.dataDir, files.socketDir, path.dirname(files.logFile)];
  for (const dir of dirs) fs.mkdirSync(dir, { recursive: true });
  if (files.externalDir) {
    fs.writeFileSync(path.join(files.externalDir, 'stack-dir'), `${path.resolve(paths.stateDir)}\n`);
    // The parent (`<home>/canonql`) belongs to the postgres user too, so it can list its stacks.
    dirs.push(path.dirname(files.externalDir));
  }
  if (files.runAs) run('chown', [`${files.runAs}:${files.runAs}`, ...new Set(dirs)]);
}

/** `reset`: the files outside the stack directory go with it (the ones inside go with the folder). */
export function removeExternalPostgresFiles(paths: StackPaths): string | null {
  const files = postgresFiles(paths);
  if (!files.externalDir) return null;
  fs.rmSync(files.externalDir, { recursive: true, force: true });
  return files.externalDir;
}
