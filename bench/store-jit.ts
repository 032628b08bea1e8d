/**
 * `npm run bench:store-jit`: the local store's JVM flags, measured. Starts mongo-java-server
 * (the stack's launcher and jars, infra/java/MongoServerMain.java) as a process of its own on a
 * free port with a throw-away data file, once per JVM setting and run, and measures
 *
 * - start-up: spawn until the first `ping` answers;
 * - bulk upserts/s: unordered `bulkWrite` of `replaceOne` upserts (500 per call) of documents
 *   shaped like canonql's entity state (`data`, `_k`, `_meta`), first into an empty collection
 *   (cold, right after start) and again over the same keys;
 * - compare-and-set/s: the ingestion's `writeMany` shape, `replaceOne({_id, '_meta.version'})`
 *   in unordered `bulkWrite`s of 200, and single `replaceOne`s with 8 in flight;
 * - a sorted page of 20: the list query's reads (`find({'_meta.deleted': false})` sorted by `_id`,
 *   limit 21, alone and with `countDocuments`, with the store's CPU per page + count), the count
 *   alone, the count of an order-key range (`_k.amount`, indexed) of documents not deleted (the
 *   filtered list query's), and a page sorted on an order key, over the collection (10,000
 *   documents by default), p50 of the repetitions after warm-ups.
 *
 * Settings alternate within each run (A B, then B A, ...), so a load spike from other work on the
 * machine hits both; the figure is the median of the runs, every run is printed. The shared stack
 * is never touched: each process is started and stopped here.
 *
 *   npm run bench:store-jit -- [--docs 10000] [--runs 3] [--pages 30] [--settings c1,default] [--classes DIR] [--reads-only]
 *
 * A setting may name its own launcher build, `c1@DIR`: `--settings c1,c1@/tmp/new` compares two
 * builds of the launcher with the same flags, alternating within each run.
 *
 * `--reads-only`: load the documents with one unordered bulk insert and time only the pages.
 *
 * `--classes DIR`: the launcher's compiled classes to run (default: the stack's, in the per-user
 * cache), e.g. `javac -cp '<cache>/mongo-java-server-<version>/libs/*' -d DIR infra/java/*.java`
 * to measure a change of the launcher before the stack installs it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type AnyBulkWriteOperation, type Collection, type Document } from 'mongodb';
import { stackPaths } from '../infra/stack/stack-config';
import { orderKeysOf } from '../src/state/order-keys';
import { numberKey } from '../src/values/order-key';
import { fmt, machine, percentile, writeResults } from './support/bench-common';
import { readBenchArgs } from './support/bench-args';
import { processCpuSeconds } from './support/profiling';
import { freePort, startStore, stopStore, waitForPing } from './support/own-store';

const { values: args } = readBenchArgs({
  command: 'npm run bench:store-jit --',
  options: {
    docs: { type: 'number', default: 10000, help: 'documents written and read per run' },
    runs: { type: 'number', default: 3, help: 'runs per setting' },
    pages: { type: 'number', default: 30, help: 'pages read per run' },
    settings: {
      type: 'list',
      default: ['c1', 'default'],
      placeholder: 'NAME[@DIR],...',
      help: 'JVM settings compared (c1, default, default-g1), each optionally with its launcher classes',
    },
    classes: { type: 'string', placeholder: 'DIR', help: "the launcher's compiled classes (default: the stack's)" },
    'reads-only': { type: 'flag', help: 'load with one bulk insert and time only the pages' },
  },
});
const { docs: DOCS, runs: RUNS, pages: PAGES, 'reads-only': READS_ONLY } = args;

const CLASSES = path.resolve(args.classes ?? stackPaths().mongoServerClasses);

/** The JVM settings compared; `c1` is what the stack ran with before this benchmark. */
const SETTINGS: Record<string, readonly string[]> = {
  c1: ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'],
  default: ['-XX:+UseSerialGC'],
  'default-g1': [],
};
/** `name` or `name@DIR`: the JVM flags of `name`, the launcher classes in DIR (default: --classes). */
const selected = args.settings;
const flagsOf = (setting: string) => SETTINGS[setting.split('@')[0]!]!;
const classesOf = (setting: string) => (setting.includes('@') ? path.resolve(setting.slice(setting.indexOf('@') + 1)) : CLASSES);
for (const setting of selected) {
  if (!SETTINGS[setting.split('@')[0]!])
    throw new Error(`--settings: unknown setting "${setting}" (known: ${Object.keys(SETTINGS).join(', ')}, each optionally @DIR)`);
  if (!fs.existsSync(path.join(classesOf(setting), 'MongoServerMain.class')))
    throw new Error(`--settings ${setting}: no MongoServerMain.class in ${classesOf(setting)}`);
}

interface Measured {
  startupMs: number;
  upsertsColdPerS: number;
  upsertsWarmPerS: number;
  bulkCasPerS: number;
  singleCasPerS: number;
  idPageOnlyP50Ms: number;
  idPageP50Ms: number;
  idPageCpuMs: number;
  countP50Ms: number;
  rangeCountP50Ms: number;
  keyPageP50Ms: number;
  rssMiB: number;
}

function entity(n: number, version: number): Document {
  const data = {
    order_id: `o-${n}`,
    status: ['NEW', 'PAID', 'SHIPPED'][n % 3],
    amount: `${(n * 37) % 100000}.${String(n % 100).padStart(2, '0')}`,
    placed_at: new Date(Date.UTC(2024, 0, 1) + n * 60000).toISOString(),
    customer: { email: `user${n}@example.com` },
    items: [
      { sku: `sku-${n % 97}`, qty: (n % 5) + 1 },
      { sku: 'gift', qty: 1 },
    ],
  };
  const now = new Date();
  return {
    _id: `k-${String(n).padStart(8, '0')}`,
    data,
    _k: orderKeysOf(data),
    _meta: {
      version,
      positions: { 'raw.orders': `kafka:0:${String(n * 10 + version).padStart(20, '0')}` },
      position: `kafka:0:${n}`,
      specId: 'order',
      specVersion: 1,
      sourceTsMs: now.getTime(),
      createdAt: now,
      updatedAt: now,
      deleted: false,
      lastEventId: `e-${n}-${version}`,
    },
  };
}

const rate = (count: number, startedAt: number) => count / ((performance.now() - startedAt) / 1000);

async function bulkUpserts(coll: Collection<Document>, version: number): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < DOCS; from += 500) {
    const ops: AnyBulkWriteOperation<Document>[] = [];
    for (let n = from; n < Math.min(DOCS, from + 500); n++) {
      const { _id, ...rest } = entity(n, version);
      ops.push({ replaceOne: { filter: { _id }, replacement: rest, upsert: true } });
    }
    await coll.bulkWrite(ops, { ordered: false });
  }
  return rate(DOCS, started);
}

async function bulkCas(coll: Collection<Document>, fromVersion: number): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < DOCS; from += 200) {
    const ops: AnyBulkWriteOperation<Document>[] = [];
    for (let n = from; n < Math.min(DOCS, from + 200); n++) {
      const { _id, ...rest } = entity(n, fromVersion + 1);
      ops.push({ replaceOne: { filter: { _id, '_meta.version': fromVersion }, replacement: rest } });
    }
    const result = await coll.bulkWrite(ops, { ordered: false });
    if (result.matchedCount !== ops.length) throw new Error(`bulk compare-and-set matched ${result.matchedCount} of ${ops.length}`);
  }
  return rate(DOCS, started);
}

async function singleCas(coll: Collection<Document>, fromVersion: number): Promise<number> {
  const count = Math.min(DOCS, 3000);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const n = next++;
        const { _id, ...rest } = entity(n, fromVersion + 1);
        const result = await coll.replaceOne({ _id, '_meta.version': fromVersion }, rest);
        if (result.matchedCount !== 1) throw new Error(`compare-and-set of ${_id} matched nothing`);
      }
    }),
  );
  return rate(count, started);
}

/** The store process's CPU time so far (user + system), in ms. */
const cpuMs = (pid: number): number => processCpuSeconds(pid) * 1000;

async function pageP50(read: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await read();
  const times: number[] = [];
  for (let i = 0; i < PAGES; i++) {
    const started = performance.now();
    await read();
    times.push(performance.now() - started);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

async function measure(setting: string): Promise<Measured> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-store-jit-'));
  const port = await freePort();
  const uri = `mongodb://127.0.0.1:${port}/?directConnection=true`;
  const startedAt = performance.now();
  const child = startStore(flagsOf(setting), classesOf(setting), port, path.join(dir, 'bench.mv'));
  try {
    const startupMs = await waitForPing(uri, startedAt, child);
    const client = await MongoClient.connect(uri);
    try {
      const coll = client.db('bench_store_jit').collection<Document>('state_order');
      await coll.createIndex({ '_meta.updatedAt': 1, _id: 1 });
      await coll.createIndex({ '_meta.deleted': 1, _id: 1 });
      let upsertsColdPerS = NaN;
      let upsertsWarmPerS = NaN;
      let bulkCasPerS = NaN;
      let singleCasPerS = NaN;
      if (READS_ONLY) {
        await coll.insertMany(
          Array.from({ length: DOCS }, (_, n) => entity(n, 1)),
          { ordered: false },
        );
      } else {
        upsertsColdPerS = await bulkUpserts(coll, 1);
        upsertsWarmPerS = await bulkUpserts(coll, 2);
        bulkCasPerS = await bulkCas(coll, 2);
        singleCasPerS = await singleCas(coll, 3);
      }
      const idPageOnlyP50Ms = await pageP50(() => coll.find({ '_meta.deleted': false }).sort({ _id: 1 }).limit(21).toArray());
      const cpuBefore = cpuMs(child.pid!);
      const idPageP50Ms = await pageP50(() =>
        Promise.all([coll.find({ '_meta.deleted': false }).sort({ _id: 1 }).limit(21).toArray(), coll.countDocuments({ '_meta.deleted': false })]),
      );
      // The store's CPU per page + count, warm-ups included (5 + --pages reads).
      const idPageCpuMs = (cpuMs(child.pid!) - cpuBefore) / (PAGES + 5);
      const countP50Ms = await pageP50(() => coll.countDocuments({ '_meta.deleted': false }));
      // The filtered list query's count: a range of an order key (a tenth of the amounts), not deleted.
      await coll.createIndex({ '_k.amount': 1, _id: 1 });
      const rangeCountP50Ms = await pageP50(() =>
        coll.countDocuments({ $and: [{ '_k.amount': { $gte: numberKey('10000'), $lt: numberKey('20000') } }, { '_meta.deleted': false }] }),
      );
      const keyPageP50Ms = await pageP50(() => coll.find({ '_meta.deleted': false }).sort({ '_k.amount': -1, _id: 1 }).limit(21).toArray());
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const rssMiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
      return {
        startupMs,
        upsertsColdPerS,
        upsertsWarmPerS,
        bulkCasPerS,
        singleCasPerS,
        idPageOnlyP50Ms,
        idPageP50Ms,
        idPageCpuMs,
        countP50Ms,
        rangeCountP50Ms,
        keyPageP50Ms,
        rssMiB,
      };
    } finally {
      await client.close();
    }
  } finally {
    await stopStore(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const COLUMNS: [keyof Measured, string, number][] = [
  ['startupMs', 'start-up ms', 0],
  ['upsertsColdPerS', 'bulk upserts/s, cold', 0],
  ['upsertsWarmPerS', 'bulk upserts/s, 2nd pass', 0],
  ['bulkCasPerS', 'bulk CAS/s', 0],
  ['singleCasPerS', 'single CAS/s (8 in flight)', 0],
  ['idPageOnlyP50Ms', 'page of 20 by _id, p50 ms', 1],
  ['idPageP50Ms', 'page of 20 by _id + count, p50 ms', 1],
  ['idPageCpuMs', 'store CPU ms per page + count', 2],
  ['countP50Ms', 'countDocuments of not deleted, p50 ms', 1],
  ['rangeCountP50Ms', 'countDocuments of a _k.amount range, not deleted, p50 ms', 1],
  ['keyPageP50Ms', 'page of 20 by _k.amount, p50 ms', 1],
  ['rssMiB', 'RSS MiB after', 0],
];

async function main(): Promise<void> {
  const runs: { run: number; setting: string; load1: number; measured: Measured }[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const order = run % 2 === 1 ? selected : [...selected].reverse();
    for (const setting of order) {
      const load1 = os.loadavg()[0]!;
      const measured = await measure(setting);
      runs.push({ run, setting, load1, measured });
      console.log(`run ${run} ${setting} (load ${load1.toFixed(2)}): ${COLUMNS.map(([k, label, d]) => `${label} ${fmt(measured[k], d)}`).join(', ')}`);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`\n${DOCS} documents; median of ${RUNS} runs (every run in brackets)\n`);
  console.log(`| measure | ${selected.join(' | ')} |`);
  console.log(`|---|${selected.map(() => '---').join('|')}|`);
  const medians: Record<string, Record<string, number>> = {};
  for (const [key, label, digits] of COLUMNS) {
    const cells = selected.map((setting) => {
      const values = runs.filter((r) => r.setting === setting).map((r) => r.measured[key]);
      (medians[setting] ??= {})[key] = median(values);
      return `${fmt(median(values), digits)} (${values.map((v) => fmt(v, digits)).join(', ')})`;
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
  const file = writeResults('store-jit', {
    settings: {
      docs: DOCS,
      runs: RUNS,
      pages: PAGES,
      classes: CLASSES,
      readsOnly: READS_ONLY,
      flags: Object.fromEntries(selected.map((s) => [s, { flags: flagsOf(s), classes: classesOf(s) }])),
    },
    machine: machine(),
    runs,
    medians,
  });
  console.log(`\nresults: ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
