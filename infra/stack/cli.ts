import { isAppError } from '../../src/errors';
import { stackDown, stackLogs, stackReset, stackStatus, stackUp } from './stack';

/**
 * `npm run stack -- <command>`: controls the local stack (no Docker needed).
 *   up               install what is missing (cached), start what is not running, wait until ready
 *   down [service]   stop everything (or one service); data is kept
 *   status           pid, readiness and memory of each service
 *   logs [service] [-n N]   the last N (default 40) log lines
 *   reset            stop everything and delete data and logs (the download cache is kept)
 */
const USAGE = 'usage: npm run stack -- up | down [service...] | status | logs [service...] [-n N] | reset';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      await stackUp();
      return 0;
    case 'down':
      await stackDown(undefined, rest.length > 0 ? rest : undefined);
      return 0;
    case 'status': {
      const statuses = await stackStatus();
      console.log('service   port   pid      ready  memory');
      for (const s of statuses) {
        console.log(
          `${s.name.padEnd(9)} ${String(s.port).padEnd(6)} ${String(s.pid ?? '-').padEnd(8)} ${(s.ready ? 'yes' : 'no').padEnd(6)} ${s.memoryMiB === null ? '-' : `${s.memoryMiB} MiB`}`,
        );
      }
      return statuses.every((s) => s.ready) ? 0 : 3;
    }
    case 'logs': {
      const n = rest.indexOf('-n');
      const lines = n >= 0 ? Number(rest[n + 1]) : 40;
      const names = n >= 0 ? rest.filter((_, i) => i !== n && i !== n + 1) : rest;
      console.log(stackLogs(names, lines));
      return 0;
    }
    case 'reset': {
      for (const removed of await stackReset()) console.log(`removed ${removed}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[stack] error${isAppError(error) ? ` ${error.code}` : ''}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
