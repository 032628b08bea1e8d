import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { stackUp } from '../../infra/stack/stack';
import { createProgress } from '../../infra/stack/progress';

/**
 * Brings the local stack up once per test run, unless MONGODB_URI and KAFKA_BROKERS name other
 * servers (e.g. the docker-compose stack). Records what it started so teardown stops only that.
 */
export const STARTED_FILE = path.join(__dirname, '..', '..', '.stack', 'test-started.json');

export default async function globalSetup(): Promise<void> {
  const config = loadConfig();
  if (!config.usesLocalStack) {
    process.stderr.write(`\n[test] using servers from the environment: ${config.kafka.brokers.join(',')} / ${config.mongo.uri}\n`);
    return;
  }
  process.stderr.write('\n');
  const result = await stackUp(createProgress((line) => process.stderr.write(`${line}\n`)));
  fs.mkdirSync(path.dirname(STARTED_FILE), { recursive: true });
  // Several projects (integration, browser) run this setup; keep the union of what they started.
  const earlier = fs.existsSync(STARTED_FILE) ? (JSON.parse(fs.readFileSync(STARTED_FILE, 'utf8')) as string[]) : [];
  fs.writeFileSync(STARTED_FILE, JSON.stringify([...new Set([...earlier, ...result.started])]));
}
