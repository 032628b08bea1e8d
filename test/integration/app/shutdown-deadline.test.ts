import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { specFromFile } from '../../support/ingestion-harness';
import { startService } from '../../support/service-process';
import { createLeftovers, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

/**
 * The shutdown deadline path, on a real child process: a client that sent half of a request body
 * keeps a request in flight that the GraphQL drain waits for (up to its own 10 s grace), so SIGTERM cannot finish within
 * CANONQL_SHUTDOWN_TIMEOUT_MS; the process exits 1 at the deadline, with one log line naming
 * what was still closing (the resource it was waiting for first, then those after it).
 */
const TIMEOUT_MS = 2000;

describe('shutdown past its deadline', () => {
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  it('exits 1 at CANONQL_SHUTDOWN_TIMEOUT_MS, naming what did not finish', async () => {
    const database = uniqueName('shutdown_deadline');
    const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    leftovers.add(async () => fs.rmSync(specsDir, { recursive: true, force: true }));
    const topic = uniqueName('raw.orders.deadline');
    fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', topic)));
    const mongo = await testMongo();
    leftovers.add(async () => {
      await mongo.db(database).dropDatabase();
      await mongo.close();
    });
    const service = startService({
      CANONQL_MODE: 'test',
      CANONQL_ROLES: 'api',
      CANONQL_SPECS_DIR: specsDir,
      MONGODB_DATABASE: database,
      CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
      CANONQL_METRICS: 'false',
      CANONQL_DEMO_FEED: 'false',
      CANONQL_SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    leftovers.add(() => service.kill('SIGKILL'));
    const url = new URL(
      await waitFor(
        'the service to start',
        () => {
          for (const line of service.output.join('').split('\n')) if (line.includes('"canonql started"')) return (JSON.parse(line) as { url: string }).url;
          return undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      ),
    );

    // Complete headers, a tenth of the announced body: the request is in flight until the rest comes.
    const socket = net.connect(Number(url.port), url.hostname);
    leftovers.add(async () => void socket.destroy());
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"query":"{ __typename`);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const signalled = Date.now();
    const code = await service.kill('SIGTERM');
    const tookMs = Date.now() - signalled;
    expect(code).toBe(1);
    const line = service.output
      .join('')
      .split('\n')
      .find((l) => l.includes('shutdown did not finish'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line!) as { msg: string; pending: string[]; timeoutMs: number };
    expect(logged.timeoutMs).toBe(TIMEOUT_MS);
    expect(logged.msg).toBe(`shutdown did not finish within ${TIMEOUT_MS} ms: ${logged.pending.join(', ')} still closing`);
    // It was draining the connection (GraphQL drain or the HTTP server), and had not closed the store yet.
    expect(['graphql', 'http']).toContain(logged.pending[0]);
    expect(logged.pending).toContain('mongo');
    // At the deadline, not long after (generous margin: a loaded machine, process exit included).
    expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(tookMs).toBeLessThan(TIMEOUT_MS + 5000);
    expect(service.output.join('')).not.toContain('"shut down"');
    console.log(`shutdown deadline: exit ${code} after ${tookMs} ms; pending: ${logged.pending.join(', ')}`);
  });
});
