import fs from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../../src/config';
import { stackUp } from '../../infra/stack/stack';
import { createProgress } from '../../infra/stack/progress';
import { dropStaleTestDatabases } from './stale-databases';
import { deleteStaleTestTopics } from './stale-topics';
import { testKafka } from './test-env';

/**
 * Brings the local stack up once per test run, unless MONGODB_URI and KAFKA_BROKERS name other
 * servers (e.g. the docker-compose stack), and drops the databases and topics earlier runs left in
 * its store and broker (stale-databases.ts, stale-topics.ts). Records what it started so teardown
 * stops only that.
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
  // Only on the local stack: servers named by the environment may hold databases not ours.
  const client = new MongoClient(config.mongo.uri);
  try {
    await client.connect();
    const dropped = await dropStaleTestDatabases(client);
    if (dropped.length > 0) process.stderr.write(`[test] dropped ${dropped.length} databases left by earlier test runs\n`);
  } finally {
    await client.close();
  }
  const admin = testKafka().admin();
  try {
    await admin.connect();
    const deleted = await deleteStaleTestTopics(admin);
    if (deleted.length > 0) process.stderr.write(`[test] deleted ${deleted.length} topics left by earlier test runs\n`);
  } finally {
    await admin.disconnect();
  }
  fs.mkdirSync(path.dirname(STARTED_FILE), { recursive: true });
  // Several projects (integration, browser) run this setup; keep the union of what they started.
  const earlier = fs.existsSync(STARTED_FILE) ? (JSON.parse(fs.readFileSync(STARTED_FILE, 'utf8')) as string[]) : [];
  fs.writeFileSync(STARTED_FILE, JSON.stringify([...new Set([...earlier, ...result.started])]));
}
