import { DEAD_LETTER_COLLECTION } from '../../src/ingestion/dead-letter';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Message, Producer } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { canonicalTopic } from '../../src/events/canonical-event';
import { ensureTopics } from '../../src/infra/kafka-topics';
import { stateCollectionName } from '../../src/state/entity-store';
import { mongoChange, oid } from './debezium-messages';
import { specFromFile } from './ingestion-harness';
import { checkReliability, createOffsetSampler, type CheckReport, type OffsetSampler } from './reliability-checker';
import { startService, type ServiceProcess } from './service-process';
import { testKafka, testMongo, uniqueName } from './test-env';

const ROOT = path.join(__dirname, '..', '..');

/**
 * One reliability case's world: a raw topic of MongoDB-connector order changes produced by the
 * test (the source, modelled here), canonql ingestion processes as real child processes
 * (src/main.ts, so SIGKILL is a crash), and the checker's inputs (model, raw log, offset sampler).
 *
 * The stream: change n touches key n mod `keys` with version ⌊n / keys⌋ + 1; each key goes to a
 * fixed partition (key mod partitions), so per-key order in the source is the produce order.
 * With `transactions`, the changes come as MongoDB multi-document transactions (see
 * {@link transactionStream}); a case can also bring its own `stream` (any changes, deletes and
 * dead-letter expectations included). The model is kept from what was produced.
 */
export { oid };
const BASE_TS = 1_700_000_000_000;

/** One change of a world's stream, with what the source's state is after it. */
export interface WorldChange {
  /** Key number: the document id is `oid(k)`; the partition is k mod partitions. */
  readonly k: number;
  /** The key's version after this change (its number of changes, deletes included). */
  readonly v: number;
  readonly message: Message;
  /** The key's canonical data after this change; null once deleted (hard delete: no live entity). */
  readonly data: Record<string, unknown> | null;
  /** The error code this change's canonical event is expected to be dead-lettered with. */
  readonly deadLetterCode?: string;
}

export interface WorldOptions {
  readonly keys: number;
  readonly partitions: number;
  /** Changes come in MongoDB transactions: each touches every key `changesPerDocument` times. */
  readonly transactions?: { readonly changesPerDocument: number; readonly metadata: boolean };
  /** The whole stream, instead of the default one: change n. */
  readonly stream?: (n: number) => WorldChange;
  /** The subject's mapping spec file in specs/ (default order.json); `deleteMode` overrides its delete mode. */
  readonly deleteMode?: 'soft' | 'hard';
  /** Topic configs of the canonical topic, created before ingestion starts (e.g. max.message.bytes). */
  readonly canonicalTopicConfig?: Record<string, string>;
}

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
  /** Resolves once the store holds every produced change; fails after `timeoutMs` without a change applied, saying how far it got. */
  waitApplied(timeoutMs?: number): Promise<void>;
  check(): Promise<CheckReport>;
  dispose(): Promise<void>;
}

export async function createReliabilityWorld(name: string, options: WorldOptions): Promise<ReliabilityWorld> {
  const kafka = testKafka();
  const mongo = await testMongo();
  const database = uniqueName(`rel_${name}`);
  const db = mongo.db(database);
  const rawTopic = uniqueName(`raw.orders.${name}`);
  const prefix = `${uniqueName('canonical')}.`;
  const groupId = uniqueName(`rel-${name}`);
  const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
  const spec = specFromFile('order.json', rawTopic);
  fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(options.deleteMode ? { ...spec, deleteMode: options.deleteMode } : spec));
  // Raw messages of several MB are allowed on the raw topic (oversized-entity cases).
  await ensureTopics(kafka, [
    { topic: rawTopic, numPartitions: options.partitions, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] },
  ]);
  if (options.canonicalTopicConfig) {
    await ensureTopics(kafka, [
      {
        topic: canonicalTopic('order', prefix),
        numPartitions: options.partitions,
        configEntries: Object.entries(options.canonicalTopicConfig).map(([name, value]) => ({ name, value })),
      },
    ]);
  }
  const rawLog = new Map<number, ({ key: string; version: number } | undefined)[]>();
  const sends = { started: 0, finished: 0 };
  const sampler = createOffsetSampler({ kafka, db, subject: 'order', groupId, rawTopic, rawLog, sends: () => ({ ...sends }) });
  const processes: ServiceProcess[] = [];
  let producer: Producer | null = null;
  let produced = 0;
  const model = new Map<string, { version: number; data: Record<string, unknown> | null }>();
  const deadLettered = new Map<string, string>();

  const changeOf = options.stream ?? (options.transactions ? transactionStream(options.keys, options.transactions) : defaultStream(options.keys));

  const world: ReliabilityWorld = {
    kafka,
    mongo,
    db,
    database,
    rawTopic,
    groupId,
    sampler,
    canonicalTopic: canonicalTopic('order', prefix),
    produced: () => produced,
    async produce(count) {
      if (!producer) {
        producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
      }
      const changes = Array.from({ length: count }, (_, i) => changeOf(produced + i));
      sends.started += 1;
      try {
        const metadata = await producer.send({
          topic: rawTopic,
          acks: -1,
          messages: changes.map((c) => ({ ...c.message, partition: c.k % options.partitions })),
        });
        for (const meta of metadata) {
          const list = rawLog.get(meta.partition) ?? [];
          rawLog.set(meta.partition, list);
          let offset = Number(meta.baseOffset);
          for (const c of changes) if (c.k % options.partitions === meta.partition) list[offset++] = { key: oid(c.k), version: c.v };
        }
      } finally {
        sends.finished += 1;
      }
      for (const c of changes) {
        model.set(oid(c.k), { version: c.v, data: c.data });
        if (c.deadLetterCode) deadLettered.set(`${oid(c.k)}@${c.v}`, c.deadLetterCode);
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
      // Waits as long as changes keep being applied; fails after `timeoutMs` without progress, saying
      // how far it got, what ingestion has consumed and what the processes said last: a change lost
      // (everything consumed, some key short) reads differently from a slow pipeline.
      const progress = async () => {
        const docs = await db
          .collection<{ _id: string; _meta: { version: number } }>(stateCollectionName('order'))
          .find({}, { projection: { _meta: 1 } })
          .toArray();
        const versions = new Map(docs.map((d) => [String(d._id), d._meta.version]));
        // A hard-deleted key may be gone from the store, or kept as a deleted marker at its version.
        const behind = [...model].filter(([key, want]) => !(versions.get(key) === want.version || (want.data === null && !versions.has(key))));
        const unexpected = docs.filter((d) => !model.has(String(d._id))).length;
        const applied = [...model].reduce((sum, [key, want]) => sum + Math.min(versions.get(key) ?? (want.data === null ? want.version : 0), want.version), 0);
        // A batch's dead letters are written after its state (and before its offsets are
        // committed): the state alone being current does not mean the letters are in yet.
        let lettersMissing = 0;
        if (behind.length === 0 && unexpected === 0 && deadLettered.size > 0) {
          const letters = await db
            .collection<{ code: string; details: { key?: string; version?: number } | null }>(DEAD_LETTER_COLLECTION)
            .find({}, { projection: { code: 1, details: 1 } })
            .toArray();
          lettersMissing = [...deadLettered].filter(
            ([kv, code]) => !letters.some((l) => l.code === code && `${l.details?.key}@${l.details?.version}` === kv),
          ).length;
        }
        return {
          done: behind.length === 0 && unexpected === 0 && lettersMissing === 0,
          applied: applied - lettersMissing,
          behind: behind.map(([key, want]) => `${key}@${versions.get(key) ?? '-'}/${want.version}`),
          unexpected,
          lettersMissing,
        };
      };
      let last = await progress();
      let lastMoved = Date.now();
      while (!last.done) {
        if (Date.now() - lastMoved > timeoutMs) {
          const admin = kafka.admin();
          await admin.connect();
          const lag = await Promise.all([admin.fetchTopicOffsets(rawTopic), admin.fetchOffsets({ groupId, topics: [rawTopic] })])
            .then(([ends, [committed]]) =>
              ends.map((p) => `p${p.partition} ${committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? '-'}/${p.high}`).join(', '),
            )
            .finally(() => admin.disconnect());
          const tails = processes.map(
            (p, i) =>
              `--- ingestion process ${i + 1} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}), last output:\n${p.output.join('').split('\n').slice(-15).join('\n')}`,
          );
          throw new Error(
            `no change applied for ${timeoutMs} ms: ${last.applied} of ${produced} changes in state; keys behind (key@stored/expected): ${last.behind.slice(0, 20).join(' ')}${last.behind.length > 20 ? ' …' : ''}; unexpected keys ${last.unexpected}; dead letters missing ${last.lettersMissing}; ingestion group committed/end offsets: ${lag}\n${tails.join('\n')}`,
          );
        }
        await sleep(500);
        const next = await progress();
        if (next.applied !== last.applied) lastMoved = Date.now();
        last = next;
      }
    },
    async check() {
      await sampler.sample();
      await sampler.stop();
      return checkReliability({
        kafka,
        db,
        canonicalTopic: world.canonicalTopic,
        offsets: sampler,
        model: { subject: 'order', expected: model, deadLettered },
      });
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

/** The canonical document of the default stream's key k at version v (see specs/order.json). */
export const orderData = (k: number, v: number): Record<string, unknown> => ({
  order_id: `o-${k}`,
  customer: { email: `v${v}@x.io` },
  line_items: [{ sku: `sku-${k}-${v}` }],
  currency: 'USD',
  created_by: 'system',
});

/** The default stream: change n is key n mod keys at version ⌊n / keys⌋ + 1, one oplog entry each. */
export function defaultStream(keys: number): (n: number) => WorldChange {
  return (n) => {
    const k = n % keys;
    const v = Math.floor(n / keys) + 1;
    return {
      k,
      v,
      data: orderData(k, v),
      message: mongoChange({
        op: v === 1 ? 'c' : 'u',
        id: { $oid: oid(k) },
        tsMs: BASE_TS + v * 1000,
        ord: k + 1,
        after: { orderId: `o-${k}`, customer: { email: `v${v}@x.io` }, items: [{ sku: `sku-${k}-${v}` }] },
      }),
    };
  };
}

/**
 * The default stream's changes grouped into MongoDB multi-document transactions: transaction g
 * changes every key `changesPerDocument` times (versions g·c+1 … g·c+c), interleaved. Like the
 * connector writes them, all changes of one transaction carry the same cluster time (`ts_ms`,
 * `ord`) and session (`lsid`, `txnNumber`); with `metadata`, also `transaction.total_order`.
 */
export function transactionStream(keys: number, options: { readonly changesPerDocument: number; readonly metadata: boolean }): (n: number) => WorldChange {
  const lsid = JSON.stringify({
    id: { $binary: { base64: 'c2Vzc2lvbi0wMDAwMDAwMQ==', subType: '04' } },
    uid: { $binary: { base64: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', subType: '00' } },
  });
  const c = options.changesPerDocument;
  return (n) => {
    const k = n % keys;
    const v = Math.floor(n / keys) + 1;
    const g = Math.floor((v - 1) / c);
    const totalOrder = ((v - 1) % c) * keys + k + 1;
    return {
      k,
      v,
      data: orderData(k, v),
      message: mongoChange({
        op: v === 1 ? 'c' : 'u',
        id: { $oid: oid(k) },
        tsMs: BASE_TS + (g + 1) * 1000,
        ord: 1,
        after: { orderId: `o-${k}`, customer: { email: `v${v}@x.io` }, items: [{ sku: `sku-${k}-${v}` }] },
        txn: { lsid, txnNumber: g + 1, ...(options.metadata ? { totalOrder } : {}) },
      }),
    };
  };
}

/** Each key's last version and document after the first `produced` changes. */
export function expectedModel(produced: number, keys: number): Map<string, { version: number; data: Record<string, unknown> }> {
  const model = new Map<string, { version: number; data: Record<string, unknown> }>();
  for (let k = 0; k < Math.min(keys, produced); k += 1) {
    const v = Math.floor((produced - 1 - k) / keys) + 1;
    model.set(oid(k), { version: v, data: orderData(k, v) });
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
  if (report.violations.length > 0)
    throw new Error(`reliability check failed (${JSON.stringify(report.facts)}):\n${report.violations.slice(0, 40).join('\n')}`);
}
