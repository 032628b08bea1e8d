import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AnyBulkWriteOperation, Db, Document, Filter } from 'mongodb';
import type { CompiledMetric } from '../../src/metrics/aggregation';
import { computeFromState } from '../../src/metrics/backfill';
import { BUCKET_SUMMARY_PROJECTION, BUCKETS_COLLECTION, CONTRIBUTIONS_COLLECTION, type EntityChange, type RollupStore } from '../../src/metrics/rollup-store';
import { BASE_MS, bruteKeyOf, compiledMetric } from '../unit/metrics/metric-model';

export { compiledMetric };
import { withCollection } from './intercepted-db';
import type { ReliabilityWorld } from './reliability-harness';
import { freePort } from './resuming-subscriber';
import type { ServiceProcess } from './service-process';
import { waitFor } from './wait-for';

/**
 * The metric side of the reliability cases: a world's ingest + api process with the metrics role
 * on, and the one check every such case makes — the stored rollups equal a recomputation from
 * the current state.
 */

export interface ServingWithMetrics {
  readonly port: number;
  readonly service: ServiceProcess;
  /** The process's CANONQL_METRICS_DIR, holding the one definition (`<name>.json`). */
  readonly metricsDir: string;
  /** Removes the metrics folder (the world's dispose stops the process). */
  removeMetricsDir(): void;
}

/** Starts `ingest,api` with metrics on, `definition` the only metric file, and waits for readiness. */
export async function startServingWithMetrics(
  world: ReliabilityWorld,
  definition: { readonly name: string },
  extraEnv: Record<string, string> = {},
): Promise<ServingWithMetrics> {
  const metricsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-metrics-'));
  fs.writeFileSync(path.join(metricsDir, `${definition.name}.json`), JSON.stringify(definition));
  const port = await freePort();
  world.sampler.start(1000);
  const service = world.startIngestion({
    CANONQL_ROLES: 'ingest,api',
    CANONQL_HTTP_PORT: String(port),
    CANONQL_METRICS: 'true',
    CANONQL_METRICS_DIR: metricsDir,
    ...extraEnv,
  });
  await waitFor('the process to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok ?? false, {
    timeoutMs: 60_000,
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${service.output.join('')}`);
  });
  return { port, service, metricsDir, removeMetricsDir: () => fs.rmSync(metricsDir, { recursive: true, force: true }) };
}

/** Validates and compiles a metric definition, failing with its problems. */
/** An order with one line (a mug at `price`), in the same hour and day buckets of `region` as every other such order. */
export const oneLineOrder = (price: string, region = 'eu'): Record<string, unknown> => ({
  region,
  created_at: new Date(BASE_MS + 3_600_000 + 60_000).toISOString(),
  line_items: [{ sku: 'mug', price, qty: 1 }],
  status: 'paid',
});

/** An entity's state at `version` (null: deleted), changed at BASE_MS + version. */
export const entityChange = (key: string, version: number, data: Record<string, unknown> | null): EntityChange => ({
  key,
  version,
  data,
  changeTsMs: BASE_MS + version,
});

/**
 * The database with one collection's whole-document reads (the filters of its finds without a
 * projection) and its bulk writes' operations recorded, for tests of what the rollup store sends.
 */
export function observedCollection(db: Db, name: string): { db: Db; reads: Filter<Document>[]; writes: AnyBulkWriteOperation[][] } {
  const reads: Filter<Document>[] = [];
  const writes: AnyBulkWriteOperation[][] = [];
  const observed = (collection: ReturnType<Db['collection']>) =>
    new Proxy(collection, {
      get(real, property, receiver) {
        if (property === 'find')
          return (filter: Filter<Document>, options?: { projection?: object }) => {
            if (!options?.projection) reads.push(filter);
            return real.find(filter, options);
          };
        if (property === 'bulkWrite')
          return (ops: AnyBulkWriteOperation[], options: object) => {
            writes.push(ops);
            return real.bulkWrite(ops, options);
          };
        return Reflect.get(real, property, receiver);
      },
    });
  return { db: withCollection(db, name, observed), reads, writes };
}

/** Bucket id → count of the metric's stored buckets that count anything. */
export async function storedCounts(db: Db, metric: CompiledMetric): Promise<Record<string, number>> {
  const buckets = await db
    .collection<{ _id: string; count: number }>('metric_buckets')
    .find({ metric: metric.key, count: { $gt: 0 } })
    .toArray();
  return Object.fromEntries(buckets.map((d) => [d._id, d.count]));
}

/** Bucket id → count of the same metric computed afresh from the subject's current state. */
export async function recomputedCounts(db: Db, metric: CompiledMetric): Promise<Record<string, number>> {
  return Object.fromEntries([...(await computeFromState(db, metric))].map(([id, summary]) => [id, summary.count]));
}

/**
 * The metric's stored non-empty buckets in the brute force's terms (test/unit/metrics/metric-model.ts):
 * "window|startMs|region|product" → count and the exact sum, min and max.
 */
export async function storedBucketSummaries(db: Db, metric: CompiledMetric) {
  const docs = await db
    .collection(BUCKETS_COLLECTION)
    .find({ metric: metric.key, count: { $gt: 0 } }, { projection: BUCKET_SUMMARY_PROJECTION })
    .toArray();
  return new Map(docs.map((d) => [bruteKeyOf(d._id as unknown as string), { count: d.count, sum: d.sum, min: d.min, max: d.max }]));
}

/**
 * What of the metric is left unsettled once these stores' batches are done: contributions marked
 * dirty and batch intents (a batch applied but not settled, or its intent's removal not answered).
 */
export async function unsettledRecords(db: Db, metric: CompiledMetric, stores: readonly RollupStore[]): Promise<number> {
  for (const store of stores) await store.intentsClosed();
  return db.collection(CONTRIBUTIONS_COLLECTION).countDocuments({ metric: metric.key, dirty: true });
}
