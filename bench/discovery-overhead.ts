/**
 * Cost of raw-schema discovery: canonql's full ingestion with the profiler off, at sample rate 1
 * and 0.1 (and the default of CANONQL_DISCOVERY_SAMPLE_RATE if it is another), in the same run, on the same
 * Debezium topic, alternating the order of the modes per round. Also the profiler's CPU time
 * per record in isolation (records decoded once beforehand), next to the decoder's.
 *
 *   npx tsx bench/discovery-overhead.ts [--events 20000] [--keys 2000] [--rounds 2]
 *
 * Uses the local stack (started if needed) or MONGODB_URI / KAFKA_BROKERS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { stackUp } from '../infra/stack/stack';
import { createProgress } from '../infra/stack/progress';
import { loadCanonicalSchemas } from '../src/catalog/canonical-schemas';
import { loadConfig, SETTINGS } from '../src/config';
import { oid } from '../test/support/debezium-messages';
import { createProfiler } from '../src/discovery/profiler';
import { decodeRecord } from '../src/ingestion/debezium/decode-record';
import type { DecodedRecord, RawRecord } from '../src/ingestion/debezium/decoded-record';
import { createIngestion } from '../src/ingestion/ingestion-service';
import { compileForPipeline } from '../src/ingestion/pipeline-spec';
import type { MappingSpec } from '../src/mapping/mapping-spec';
import { kafkaConnection } from '../src/infra/kafka';
import { seededRandom } from '../test/support/seeded-random';
import { readBenchArgs } from './support/bench-args';

const ROOT = path.join(__dirname, '..');
const { values: args } = readBenchArgs({
  command: 'npx tsx bench/discovery-overhead.ts',
  options: {
    events: { type: 'number', default: 20_000, help: 'Debezium events on the topic' },
    keys: { type: 'number', default: 2_000, help: 'distinct entity keys among them' },
    rounds: { type: 'number', default: 2, help: 'rounds, alternating the order of the modes' },
  },
});
const { events: EVENTS, keys: KEYS, rounds: ROUNDS } = args;
const PARTITIONS = 4;
const DEFAULT_RATE = Number(SETTINGS.find((s) => s.name === 'CANONQL_DISCOVERY_SAMPLE_RATE')!.default);

const config = loadConfig();
const kafka = new Kafka({ ...kafkaConnection({ ...config.kafka, clientId: 'canonql-bench' }), logLevel: logLevel.NOTHING });
const stamp = Date.now().toString(36);
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });

/** Order documents like the ingest benchmark's, with a few more fields of several types and formats. */
function generate(): Message[] {
  const versions = new Array<number>(KEYS).fill(0);
  const messages: Message[] = [];
  const random = seededRandom(42);
  for (let i = 0; i < EVENTS; i += 1) {
    const k = Math.floor(random() * KEYS);
    const v = (versions[k] += 1);
    const op = v === 1 ? 'c' : random() < 0.05 ? 'd' : 'u';
    const doc = {
      _id: { $oid: oid(k) },
      orderId: `o-${k}`,
      customer: { email: `User${k}@Example.com`, tier: k % 3 === 0 ? 'gold' : null },
      items: [{ sku: `sku-${v}`, qty: v }, { sku: 'gift' }],
      total: { $numberDecimal: `${v}.99` },
      status: ['new', 'paid', 'shipped'][v % 3],
      createdAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
      paid: v % 2 === 0,
      weight: v * 0.25,
    };
    messages.push({
      key: JSON.stringify({ id: JSON.stringify({ $oid: oid(k) }) }),
      value: JSON.stringify({
        before: null,
        after: op === 'd' ? null : JSON.stringify(doc),
        updateDescription: null,
        source: { connector: 'mongodb', name: 'bench', ts_ms: 1_700_000_000_000 + i, ord: 1, db: 'shop', collection: 'orders', snapshot: 'false' },
        op,
        ts_ms: 1_700_000_000_000 + i,
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

/** Full ingestion of the topic from the beginning; `rate` null: no profiler at all. */
async function runIngestion(topic: string, mongo: MongoClient, rate: number | null): Promise<{ eventsPerSecond: number; cpuMs: number }> {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', 'order.json'), 'utf8')) as MappingSpec;
  const schemas = loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical'));
  const db = mongo.db(`bench_discovery_${stamp}_${Math.random().toString(36).slice(2, 8)}`);
  const profiler = rate === null ? null : createProfiler({ db, sampleRate: rate, flushMs: 2000, samples: 50, removalWindow: 1000, logger });
  await profiler?.start();
  const ingestion = createIngestion({
    kafka,
    db,
    specs: [compileForPipeline({ ...spec, source: { ...spec.source, topic } })],
    validate: (subject, doc) => schemas.get(subject)?.validate(doc) ?? [],
    groupId: `bench-discovery-${stamp}-${Math.random()}`,
    deadLetterTopic: `bench.dlq.${stamp}`,
    canonicalPartitions: PARTITIONS,
    canonicalTopicPrefix: `bench.canonical.${stamp}.`,
    fromBeginning: true,
    logger,
    ...(profiler?.enabled ? { observe: profiler.observe } : {}),
  });
  const cpu = process.cpuUsage();
  const started = Date.now();
  await ingestion.start();
  for (;;) {
    const total = Object.values(ingestion.stats.outcomes).reduce((a, b) => a + b, 0);
    if (total >= EVENTS) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await ingestion.stop();
  await profiler?.stop();
  await db.dropDatabase();
  return { eventsPerSecond: EVENTS / seconds, cpuMs: (used.user + used.system) / 1000 };
}

/** Profiler CPU per record, in isolation: observe() over records decoded beforehand, no store writes. */
function measureObserve(records: { raw: RawRecord; decoded: DecodedRecord }[], rate: number, mongo: MongoClient): number {
  const profiler = createProfiler({ db: mongo.db('unused'), sampleRate: rate, flushMs: 60_000, samples: 50, removalWindow: 1000, logger });
  for (const { raw, decoded } of records) profiler.observe(raw, decoded); // warm-up (JIT)
  let best = Infinity;
  for (let pass = 0; pass < 3; pass += 1) {
    const started = process.hrtime.bigint();
    for (const { raw, decoded } of records) profiler.observe(raw, decoded);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e3 / records.length);
  }
  return best;
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const topic = `bench.raw.discovery.${stamp}`;
  const messages = generate();
  console.log(`producing ${EVENTS} Debezium MongoDB events over ${KEYS} keys to ${topic} (${PARTITIONS} partitions)...`);
  await produceAll(topic, messages);

  // In isolation: decode each record once, then time the profiler alone.
  const raws: RawRecord[] = messages.map((m, i) => ({
    topic,
    partition: 0,
    offset: String(i),
    key: Buffer.from(m.key as string),
    value: Buffer.from(m.value as string),
  }));
  const records = raws.map((raw) => ({ raw, decoded: decodeRecord(raw) }));
  let decodeUs = Infinity;
  for (let pass = 0; pass < 3; pass += 1) {
    const started = process.hrtime.bigint();
    for (const raw of raws) decodeRecord(raw);
    decodeUs = Math.min(decodeUs, Number(process.hrtime.bigint() - started) / 1e3 / raws.length);
  }
  const observeFull = measureObserve(records, 1, mongo);
  const observeTenth = measureObserve(records, 0.1, mongo);

  const modes: { name: string; rate: number | null }[] = [
    { name: 'discovery off', rate: null },
    { name: `discovery on, sample rate 1${DEFAULT_RATE === 1 ? ' (default)' : ''}`, rate: 1 },
    { name: `discovery on, sample rate 0.1${DEFAULT_RATE === 0.1 ? ' (default)' : ''}`, rate: 0.1 },
    ...(DEFAULT_RATE !== 1 && DEFAULT_RATE !== 0.1 ? [{ name: `discovery on, sample rate ${DEFAULT_RATE} (default)`, rate: DEFAULT_RATE }] : []),
  ];
  const results = new Map<string, { eventsPerSecond: number; cpuMs: number }[]>(modes.map((m) => [m.name, []]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    const order = round % 2 === 1 ? modes : [...modes].reverse();
    for (const mode of order) {
      const result = await runIngestion(topic, mongo, mode.rate);
      results.get(mode.name)!.push(result);
      console.log(
        `round ${round}: ${mode.name}: ${result.eventsPerSecond.toFixed(0)} events/s, ${((result.cpuMs * 1000) / EVENTS).toFixed(1)} µs CPU per event (whole process)`,
      );
    }
  }
  const best = (name: string) => Math.max(...results.get(name)!.map((r) => r.eventsPerSecond));
  const cpu = (name: string) => (Math.min(...results.get(name)!.map((r) => r.cpuMs)) * 1000) / EVENTS;
  const off = best('discovery off');
  console.log(
    `\nprofiler alone (no I/O, best of 3 passes), per record: ${observeFull.toFixed(2)} µs at rate 1, ${observeTenth.toFixed(2)} µs at rate 0.1; decoding the same record: ${decodeUs.toFixed(2)} µs`,
  );
  console.log('\n| ingestion | events/s (best round) | ratio to off | CPU µs per event (best round, whole process) |');
  console.log('|---|---|---|---|');
  for (const mode of modes) {
    console.log(`| ${mode.name} | ${best(mode.name).toFixed(0)} | ${(best(mode.name) / off).toFixed(3)} | ${cpu(mode.name).toFixed(1)} |`);
  }
  await mongo.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
