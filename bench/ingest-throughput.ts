/**
 * Ingestion throughput benchmark: canonql's full pipeline against a baseline doing the least a
 * sink can do (kafkajs consume + JSON.parse + unordered bulk upsert of the same documents into
 * the same store), on the same Debezium topic, in the same run, alternating rounds.
 *
 *   npm run bench:ingest -- [--events 100000] [--keys 10000] [--rounds 2]
 *
 * Uses the local stack (started if needed) or MONGODB_URI / KAFKA_BROKERS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EJSON } from 'bson';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { MongoClient, type AnyBulkWriteOperation } from 'mongodb';
import pino from 'pino';
import { loadCanonicalSchemas } from '../src/catalog/canonical-schemas';
import { loadConfig } from '../src/config';
import { createIngestion } from '../src/ingestion/ingestion-service';
import { compileForPipeline } from '../src/ingestion/pipeline-spec';
import type { MappingSpec } from '../src/mapping/mapping-spec';
import { stackUp } from '../infra/stack/stack';
import { createProgress } from '../infra/stack/progress';

const ROOT = path.join(__dirname, '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 100_000);
const KEYS = arg('keys', 10_000);
const ROUNDS = arg('rounds', 2);
const PARTITIONS = 4;

const config = loadConfig();
const kafka = new Kafka({ clientId: 'canonql-bench', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING });
const stamp = Date.now().toString(36);
const oid = (n: number) => n.toString(16).padStart(24, '0');

/** Mixed creates (first change of a key), updates, and about 5% deletes, in per-key order. */
function generate(): Message[] {
  const versions = new Array<number>(KEYS).fill(0);
  const messages: Message[] = [];
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < EVENTS; i += 1) {
    const k = Math.floor(random() * KEYS);
    const v = (versions[k] += 1);
    const id = JSON.stringify({ $oid: oid(k) });
    const op = v === 1 ? 'c' : random() < 0.05 ? 'd' : 'u';
    const doc = { _id: { $oid: oid(k) }, orderId: `o-${k}`, customer: { email: `User${k}@Example.com` },
      items: [{ sku: `sku-${v}`, qty: v }, { sku: 'gift' }], total: { $numberDecimal: `${v}.99` } };
    messages.push({
      key: JSON.stringify({ id }),
      value: JSON.stringify({
        before: null, after: op === 'd' ? null : JSON.stringify(doc), updateDescription: null,
        source: { connector: 'mongodb', name: 'bench', ts_ms: 1_700_000_000_000 + i, ord: 1, db: 'shop', collection: 'orders', snapshot: 'false' },
        op, ts_ms: 1_700_000_000_000 + i,
      }),
    });
  }
  return messages;
}

async function produceAll(topic: string, messages: Message[]) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < messages.length; i += 2000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
  await producer.disconnect();
}

async function runBaseline(topic: string, mongo: MongoClient): Promise<number> {
  const collection = mongo.db(`bench_baseline_${stamp}`).collection<{ _id: string }>('orders');
  const consumer = kafka.consumer({ groupId: `bench-baseline-${stamp}-${Math.random()}`, maxBytesPerPartition: 1024 * 1024, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.CRASH, (e) => console.error('baseline consumer crashed', e.payload.error));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      partitionsConsumedConcurrently: 2,
      eachBatch: async ({ batch }) => {
        const ops: AnyBulkWriteOperation<{ _id: string }>[] = [];
        for (const message of batch.messages) {
          const key = JSON.parse(JSON.parse(message.key!.toString()).id).$oid as string;
          const value = JSON.parse(message.value!.toString());
          if (value.op === 'd') ops.push({ deleteOne: { filter: { _id: key } } });
          else {
            const { _id: _ignored, ...doc } = EJSON.parse(value.after, { relaxed: true }) as Record<string, unknown>;
            ops.push({ updateOne: { filter: { _id: key }, update: { $set: doc }, upsert: true } });
          }
        }
        if (ops.length > 0) await collection.bulkWrite(ops, { ordered: false });
        if (process.env.BENCH_DEBUG) console.error(`baseline batch p${batch.partition} ${batch.messages.length} seen ${seen + batch.messages.length}`);
        seen += batch.messages.length;
        if (seen >= EVENTS) resolve();
      },
    }).catch(reject);
  });
  const seconds = (Date.now() - started) / 1000;
  await consumer.disconnect();
  await mongo.db(`bench_baseline_${stamp}`).dropDatabase();
  return EVENTS / seconds;
}

async function runCanonql(topic: string, mongo: MongoClient): Promise<number> {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', 'order.json'), 'utf8')) as MappingSpec;
  const schemas = loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical'));
  const db = mongo.db(`bench_canonql_${stamp}`);
  const ingestion = createIngestion({
    kafka, db, specs: [compileForPipeline({ ...spec, source: { ...spec.source, topic } })],
    validate: (subject, doc) => schemas.get(subject)?.validate(doc) ?? [],
    groupId: `bench-canonql-${stamp}-${Math.random()}`, deadLetterTopic: `bench.dlq.${stamp}`,
    canonicalPartitions: PARTITIONS, canonicalTopicPrefix: `bench.canonical.${stamp}.`, fromBeginning: true,
    logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }),
  });
  const started = Date.now();
  await ingestion.start();
  for (;;) {
    const total = Object.values(ingestion.stats.outcomes).reduce((a, b) => a + b, 0);
    if (total >= EVENTS) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (Date.now() - started) / 1000;
  const outcomes = { ...ingestion.stats.outcomes };
  await ingestion.stop();
  await db.dropDatabase();
  if (outcomes['dead-lettered'] > 0) throw new Error(`benchmark events were dead-lettered: ${JSON.stringify(outcomes)}`);
  return EVENTS / seconds;
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const topic = `bench.raw.orders.${stamp}`;
  console.log(`generating and producing ${EVENTS} Debezium MongoDB events over ${KEYS} keys to ${topic} (${PARTITIONS} partitions)...`);
  await produceAll(topic, generate());
  const rows: { round: number; baseline: number; canonql: number }[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const baseline = await runBaseline(topic, mongo);
    const canonql = await runCanonql(topic, mongo);
    rows.push({ round, baseline, canonql });
    console.log(`round ${round}: baseline ${baseline.toFixed(0)} events/s, canonql ${canonql.toFixed(0)} events/s, ratio ${(canonql / baseline).toFixed(2)}`);
  }
  const best = (key: 'baseline' | 'canonql') => Math.max(...rows.map((r) => r[key]));
  console.log('\n| system | events/s (best of rounds) | ratio to baseline |');
  console.log('|---|---|---|');
  console.log(`| baseline: kafkajs + JSON.parse + unordered bulk upsert | ${best('baseline').toFixed(0)} | 1.00 |`);
  console.log(`| canonql ingestion (decode, map, validate, guarded upsert, event log, publish) | ${best('canonql').toFixed(0)} | ${(best('canonql') / best('baseline')).toFixed(2)} |`);
  await mongo.close();
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
