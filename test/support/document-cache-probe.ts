/**
 * Child-process probe (`node --expose-gc --import tsx test/support/document-cache-probe.ts N`):
 * starts the API (api role, the real stack's store and broker), posts N distinct large documents
 * that the limits refuse (5,000 aliased fields each, about 100 KB: ALIAS_LIMIT_EXCEEDED), and
 * prints one JSON line `{ documents, bytesEach, codes, heapBeforeMb, heapAfterMb }` with the heap
 * used after a full GC before and after. In a process of its own, so the heap is the API's alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { uniqueName } from './test-env';

async function main(): Promise<void> {
  const documents = Number(process.argv[2] ?? 1000);
  const app = await startApp(
    loadConfig({
      ...process.env,
      CANONQL_MODE: 'test',
      CANONQL_ROLES: 'api',
      CANONQL_HTTP_PORT: '0',
      MONGODB_DATABASE: uniqueName('doc_cache_probe'),
      CANONQL_CANONICAL_TOPIC_PREFIX: `${uniqueName('canonical')}.`,
      CANONQL_SPECS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-')),
      CANONQL_RATE_LIMIT_PER_MINUTE: '0',
      CANONQL_DEMO_FEED: 'false',
    }),
    pino({ level: 'error' }),
  );
  const gc = (globalThis as { gc?: () => void }).gc!;
  const heapMb = () => {
    gc();
    gc();
    return Math.round(process.memoryUsage().heapUsed / 1024 / 1024);
  };
  const post = async (query: string) => {
    const response = await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return ((await response.json()) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code ?? 'OK';
  };
  const document = (i: number) => `{ ${Array.from({ length: 5000 }, (_, n) => `d${i}_${n}: __typename`).join(' ')} }`;
  await post(document(-1));
  const heapBeforeMb = heapMb();
  const codes: Record<string, number> = {};
  for (let i = 0; i < documents; i += 1) {
    const code = await post(document(i));
    codes[code] = (codes[code] ?? 0) + 1;
  }
  const heapAfterMb = heapMb();
  process.stdout.write(`${JSON.stringify({ documents, bytesEach: document(0).length, codes, heapBeforeMb, heapAfterMb })}\n`);
  await app.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
