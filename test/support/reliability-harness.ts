import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { canonicalTopic } from '../../src/events/canonical-event';
import { ensureTopics } from '../../src/infra/kafka-topics';
import { stateCollectionName } from '../../src/state/entity-store';
import { mongoChange } from './debezium-messages';
import { specFromFile } from './ingestion-harness';
import { checkReliability, createOffsetSampler, type CheckReport, type OffsetSampler } from './reliability-checker';
import { startService, type ServiceProcess } from './service-process';
import { testKafka, testMongo, uniqueName } from './test-env';
import { waitFor } from './wait-for';

const ROOT = path.join(__dirname, '..', '..');

/**
 * One reliability case's world: a raw topic of MongoDB-connector order changes produced by the
 * test (the source, modelled here), canonql ingestion processes as real child processes
 * (src/main.ts, so SIGKILL is a crash), and the checker's inputs (model, raw log, offset sampler).
 *
 * The stream: change n touches key n mod `keys` with version ⌊n / keys⌋ + 1; each key goes to a
 * fixed partition (key mod partitions), so per-key order in the source is the produce order.
 */
export const oid = (n: number) => n.toString(16).padStart(24, '0');
const BASE_TS = 1_700_000_000_000;

export interface ReliabilityWorld {
  readonly kafka: ReturnType<typeof testKafka>;
  readonly mongo: MongoClient;
  readonly db: Db;
  readonly database: string;
  readonly rawTopic: string;
  readonly canonicalTopic: string;
  readonly groupId: string;
  readonly sampler: OffsetSampler;
  /** Changes produced (and acknowledged) so far. */
  produced(): number;
  /** Produces the next `count` changes (acks from all replicas), recording their offsets. */
  produce(count: number): Promise<void>;
  /** Environment of an ingestion (or api) process of this world. */
  env(extra?: Record<string, string>): Record<string, string>;
  startIngestion(extra?: Record<string, string>): ServiceProcess;
  /** Resolves once the store holds every produced change. */
  waitApplied(timeoutMs?: number): Promise<void>;
  check(): Promise<CheckReport>;
  dispose(): Promise<void>;
}

export async function createReliabilityWorld(name: string, options: { keys: number; partitions: number }): Promise<ReliabilityWorld> {
  const kafka = testKafka();
  const mongo = await testMongo();
  const database = uniqueName(`rel_${name}`);
  const db = mongo.db(database);
  const rawTopic = uniqueName(`raw.orders.${name}`);
  const prefix = `${uniqueName('canonical')}.`;
  const groupId = uniqueName(`rel-${name}`);
  const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
  fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', rawTopic)));
  await ensureTopics(kafka, [{ topic: rawTopic, numPartitions: options.partitions }]);
  const rawLog = new Map<number, ({ key: string; version: number } | undefined)[]>();
  const sampler = createOffsetSampler({ kafka, db, subject: 'order', groupId, rawTopic, rawLog });
  const processes: ServiceProcess[] = [];
  let producer: Producer | null = null;
  let produced = 0;

  const changeOf = (n: number) => {
    const k = n % options.keys;
    const v = Math.floor(n / options.keys) + 1;
    return { k, v, message: mongoChange({
      op: v === 1 ? 'c' : 'u', id: { $oid: oid(k) }, tsMs: BASE_TS + v * 1000, ord: k + 1,
      after: { orderId: `o-${k}`, customer: { email: `v${v}@x.io` }, items: [{ sku: `sku-${k}-${v}` }] },
    }) };
  };

  const world: ReliabilityWorld = {
    kafka, mongo, db, database, rawTopic, groupId, sampler,
    canonicalTopic: canonicalTopic('order', prefix),
    produced: () => produced,
    async produce(count) {
      if (!producer) {
        producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
      }
      const changes = Array.from({ length: count }, (_, i) => changeOf(produced + i));
      const metadata = await producer.send({
        topic: rawTopic, acks: -1,
        messages: changes.map((c) => ({ ...c.message, partition: c.k % options.partitions })),
      });
      for (const meta of metadata) {
        const list = rawLog.get(meta.partition) ?? [];
        rawLog.set(meta.partition, list);
        let offset = Number(meta.baseOffset);
        for (const c of changes) if (c.k % options.partitions === meta.partition) list[offset++] = { key: oid(c.k), version: c.v };
      }
      produced += count;
    },
    env(extra = {}) {
      return {
        CANONQL_MODE: 'test',
        CANONQL_ROLES: 'ingest',
        CANONQL_SPECS_DIR: specsDir,
        MONGODB_DATABASE: database,
        CANONQL_INGEST_GROUP_ID: groupId,
        CANONQL_METRICS: 'false',
        CANONQL_DISCOVERY_SAMPLE_RATE: '0',
        CANONQL_CANONICAL_TOPIC_PREFIX: prefix,
        CANONQL_DEADLETTER_TOPIC: `${rawTopic}.dlq`,
        // A killed process holds its partitions until its session expires; the broker minimum.
        CANONQL_INGEST_SESSION_TIMEOUT_MS: '6000',
        ...extra,
      };
    },
    startIngestion(extra = {}) {
      const service = startService(world.env(extra));
      processes.push(service);
      return service;
    },
    async waitApplied(timeoutMs = 90000) {
      const want = expectedModel(produced, options.keys);
      await waitFor(`all ${produced} changes applied`, async () => {
        const docs = await db.collection<{ _id: string; _meta: { version: number } }>(stateCollectionName('order')).find({}, { projection: { _meta: 1 } }).toArray();
        return docs.length === want.size && docs.every((d) => d._meta.version === want.get(String(d._id))?.version);
      }, { timeoutMs, intervalMs: 500 });
    },
    async check() {
      await sampler.sample();
      await sampler.stop();
      return checkReliability({ kafka, db, canonicalTopic: world.canonicalTopic, offsets: sampler, model: { subject: 'order', expected: expectedModel(produced, options.keys) } });
    },
    async dispose() {
      await sampler.stop().catch(() => undefined);
      for (const p of processes) await p.kill('SIGKILL').catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      await db.dropDatabase().catch(() => undefined);
      await mongo.close().catch(() => undefined);
      fs.rmSync(specsDir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Each key's last version and document after the first `produced` changes. */
export function expectedModel(produced: number, keys: number): Map<string, { version: number; data: Record<string, unknown> }> {
  const model = new Map<string, { version: number; data: Record<string, unknown> }>();
  for (let k = 0; k < Math.min(keys, produced); k += 1) {
    const v = Math.floor((produced - 1 - k) / keys) + 1;
    model.set(oid(k), { version: v, data: { order_id: `o-${k}`, customer: { email: `v${v}@x.io` }, line_items: [{ sku: `sku-${k}-${v}` }], currency: 'USD', created_by: 'system' } });
  }
  return model;
}

/** Stops or starts one service of the local stack (`down kafka`, `up`). */
export function stack(command: 'down' | 'up', service?: string): string {
  const result = spawnSync('npx', ['tsx', 'infra/stack/cli.ts', command, ...(service ? [service] : [])], { cwd: ROOT, encoding: 'utf8', timeout: 180000 });
  if (result.status !== 0) throw new Error(`stack ${command} ${service ?? ''} failed:\n${result.stdout}${result.stderr}`);
  return `${result.stdout}${result.stderr}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fails with every violation listed, so a failing case says everything that went wrong at once. */
export function expectReliable(report: CheckReport): void {
  if (report.violations.length > 0) throw new Error(`reliability check failed (${JSON.stringify(report.facts)}):\n${report.violations.slice(0, 40).join('\n')}`);
}
