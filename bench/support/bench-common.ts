/**
 * Shared pieces of the API and subscription benchmarks: settings, unique names, the real
 * ingestion (src/, not test/), Debezium MongoDB-connector order events, child processes,
 * percentiles and result files.
 */
import type { BatchDecoder } from '../../src/ingestion/registry/registry-decoder';
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { Kafka, logLevel, type Message } from 'kafkajs';
import pino from 'pino';
import { loadCanonicalSchemas } from '../../src/catalog/canonical-schemas';
import { loadConfig } from '../../src/config';
import { ensureTopics } from '../../src/infra/kafka-topics';
import { createIngestion, type Ingestion } from '../../src/ingestion/ingestion-service';
import { compileForPipeline } from '../../src/ingestion/pipeline-spec';
import type { MappingSpec } from '../../src/mapping/mapping-spec';
import { kafkaConnection } from '../../src/infra/kafka';
import { oid } from '../../test/support/debezium-messages';

export const ROOT = path.join(__dirname, '..', '..');
export const config = loadConfig();

export function benchKafka(clientId = 'canonql-bench'): Kafka {
  // The service's connection settings (SASL, TLS) apply to the benchmark's clients too.
  return new Kafka({ ...kafkaConnection({ ...config.kafka, clientId }), logLevel: logLevel.NOTHING });
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
}

export { oid };
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A MongoDB connector (3.x) create event of one order, as Debezium writes it with the JSON
 * converter and schemas disabled (the shape of test/support/debezium-messages.ts `mongoChange`).
 */
export function orderCreate(n: number, orderId: string, tsMs: number): Message {
  const id = { $oid: oid(n) };
  const after = { _id: id, orderId, customer: { email: `User${n}@Example.com` }, items: [{ sku: `sku-${n % 97}`, qty: 1 }, { sku: 'gift' }] };
  return {
    key: JSON.stringify({ id: JSON.stringify(id) }),
    value: JSON.stringify({
      before: null,
      after: JSON.stringify(after),
      updateDescription: null,
      source: {
        version: '3.6.0.Final',
        connector: 'mongodb',
        name: 'bench',
        ts_ms: tsMs,
        snapshot: 'false',
        db: 'shop',
        collection: 'orders',
        ord: 1,
        lsid: null,
        txnNumber: null,
      },
      op: 'c',
      ts_ms: tsMs + 1,
      transaction: null,
    }),
  };
}

const TIERS = ['gold', 'silver', 'bronze'] as const;

/**
 * A PostgreSQL connector (3.x) create event of one row of public.customers, as Debezium writes it
 * with the JSON converter and schemas disabled (the shape of test/support/debezium-messages.ts
 * `pgChange`). Its e-mail is the one `orderCreate(n)`'s customer has, lower-cased as the order
 * spec stores it, so order n's relation finds customer n.
 */
export function customerCreate(n: number, tsMs: number): Message {
  const lsn = 1_000_000 + n;
  const at = new Date(tsMs).toISOString();
  return {
    key: JSON.stringify({ id: n + 1 }),
    value: JSON.stringify({
      before: null,
      after: { id: n + 1, email: `user${n}@example.com`, name: `Customer ${n}`, balance: `${n % 1000}.50`, tier: TIERS[n % 3], created_at: at, updated_at: at },
      source: {
        version: '3.6.0.Final',
        connector: 'postgresql',
        name: 'bench',
        ts_ms: tsMs,
        snapshot: 'false',
        db: 'shop',
        sequence: JSON.stringify([null, String(lsn)]),
        schema: 'public',
        table: 'customers',
        txId: lsn,
        lsn,
        xmin: null,
      },
      op: 'c',
      ts_ms: tsMs + 1,
      transaction: null,
    }),
  };
}

/** Creates a topic with `numPartitions` partitions (if it does not exist yet). */
export function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  return ensureTopics(kafka, [{ topic, numPartitions }]);
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10000 });
  } catch {
    // Leftover topics are harmless (unique names); never fail a benchmark on cleanup.
  } finally {
    await admin.disconnect();
  }
}

interface IngestionOptions {
  kafka: Kafka;
  db: import('mongodb').Db;
  topic: string;
  topicPrefix: string;
  deadLetterTopic: string;
  canonicalPartitions?: number;
  /** Decodes registry-encoded topics (src/ingestion/registry/registry-decoder.ts). */
  decoder?: BatchDecoder;
  /** The consumer group (default: one of its own): instances given the same share the topic's partitions. */
  groupId?: string;
}

/** The real ingestion role (as src/app.ts builds it) for the seed order spec, re-pointed at `topic`. */
export function orderIngestion(options: IngestionOptions): Ingestion {
  return specIngestion('order.json', options);
}

/** The real ingestion role for one seed spec (specs/<file>), re-pointed at `topic`. */
export function specIngestion(specFile: string, options: IngestionOptions): Ingestion {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', specFile), 'utf8')) as MappingSpec;
  const schemas = loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical'));
  return createIngestion({
    kafka: options.kafka,
    db: options.db,
    specs: [compileForPipeline({ ...spec, source: { ...spec.source, topic: options.topic } })],
    validate: (subject, doc) => schemas.get(subject)?.validate(doc) ?? [],
    groupId: options.groupId ?? uniqueName('bench-ingest'),
    deadLetterTopic: options.deadLetterTopic,
    canonicalPartitions: options.canonicalPartitions ?? 3,
    canonicalTopicPrefix: options.topicPrefix,
    fromBeginning: true,
    stateCacheEntries: config.ingest.stateCacheEntries,
    fetchMaxBytes: config.ingest.fetchMaxBytes,
    logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }),
    ...(options.decoder ? { decoder: options.decoder } : {}),
  });
}

export const totalOutcomes = (ingestion: Ingestion) => Object.values(ingestion.stats.outcomes).reduce((a, b) => a + b, 0);

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Percentile (nearest rank) of an ascending-sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function writeResults(name: string, results: unknown): string {
  const dir = path.join(ROOT, 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return path.relative(ROOT, file);
}

export function machine() {
  const os = require('node:os') as typeof import('node:os');
  return { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', totalMemMiB: Math.round(os.totalmem() / 2 ** 20) };
}

/** A benchmark child process (TypeScript through tsx, with --expose-gc), driven over IPC. */
export interface Child {
  readonly process: ChildProcess;
  /** Sends a command and resolves with the child's reply to it. */
  call<T = Record<string, unknown>>(command: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Resolves with the first message of `type` the child sends on its own. */
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export function startChild(script: string, env: Record<string, string>): Child {
  const child = fork(path.join(__dirname, script), [], {
    execArgv: [
      '--expose-gc',
      '--max-old-space-size=2048',
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seq = 0;
  const pending = new Map<number, (value: Record<string, unknown>) => void>();
  const waiting: { type: string; resolve: (value: Record<string, unknown>) => void }[] = [];
  const early: Record<string, unknown>[] = [];
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.on('message', (raw) => {
    const message = raw as Record<string, unknown>;
    if (typeof message.replyTo === 'number') {
      pending.get(message.replyTo)?.(message);
      pending.delete(message.replyTo);
      return;
    }
    const i = waiting.findIndex((w) => w.type === message.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(message);
    else early.push(message);
  });
  const withTimeout = <T>(what: string, promise: Promise<T>, timeoutMs: number) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${script}: no ${what} within ${timeoutMs} ms`)), timeoutMs).unref()),
      exitPromise.then(() => {
        throw new Error(`${script} exited (code ${child.exitCode}) while waiting for ${what}`);
      }),
    ]);
  return {
    process: child,
    call(command, timeoutMs = 60000) {
      const id = (seq += 1);
      const reply = new Promise<Record<string, unknown>>((resolve) => pending.set(id, resolve));
      child.send({ ...command, seq: id });
      return withTimeout(`reply to ${String(command.cmd)}`, reply, timeoutMs) as never;
    },
    next(type, timeoutMs = 60000) {
      const i = early.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(early.splice(i, 1)[0]) as never;
      return withTimeout(`"${type}" message`, new Promise<Record<string, unknown>>((resolve) => waiting.push({ type, resolve })), timeoutMs) as never;
    },
    async stop() {
      if (exited) return;
      child.send({ cmd: 'stop', seq: -1 });
      const killed = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exitPromise;
      clearTimeout(killed);
    },
  };
}

/** In a child: answers the parent's commands; `stop` runs `onStop` and exits. */
export function serveCommands(handlers: Record<string, (command: Record<string, unknown>) => unknown>, onStop: () => Promise<void>): void {
  process.on('message', (raw) => {
    const command = raw as Record<string, unknown> & { cmd: string; seq: number };
    if (command.cmd === 'stop') {
      void onStop()
        .catch((error: unknown) => console.error(error))
        .finally(() => process.exit(0));
      return;
    }
    void (async () => {
      const handler = handlers[command.cmd];
      const reply = handler ? await handler(command) : { error: `unknown command ${command.cmd}` };
      process.send!({ ...(reply as object), replyTo: command.seq });
    })().catch((error: unknown) => process.send!({ error: String(error), replyTo: command.seq }));
  });
  // The parent going away (Ctrl-C, crash) must not leave servers running.
  process.on(
    'disconnect',
    () =>
      void onStop()
        .catch(() => undefined)
        .finally(() => process.exit(0)),
  );
}

/** Memory after two full collections (the child runs with --expose-gc). */
export function memoryAfterGc() {
  const gc = (global as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  // Written after measuring (writing one allocates): bench:heap-diff compares two of them.
  const dir = process.env.BENCH_HEAP_DIR;
  const snapshot = dir ? v8.writeHeapSnapshot(path.join(dir, `heap-${process.pid}-${Date.now()}.heapsnapshot`)) : null;
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, gc: Boolean(gc), snapshot };
}

export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
