import fs from 'node:fs';
import { stackDown } from '../../infra/stack/stack';
import { createProgress } from '../../infra/stack/progress';
import { STARTED_FILE } from './global-setup';

/** Stops the services this run started (a stack that was already up stays up). */
export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STARTED_FILE)) return;
  const started = JSON.parse(fs.readFileSync(STARTED_FILE, 'utf8')) as string[];
  fs.rmSync(STARTED_FILE);
  if (process.env.CANONQL_KEEP_STACK === '1' || started.length === 0) return;
  await stackDown(
    createProgress((line) => process.stderr.write(`${line}\n`)),
    started,
  );
}
