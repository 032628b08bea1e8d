/**
 * Ingestion of the same MongoDB order stream written by the JSON converter and by the Avro
 * converter (registry wire format, writer schema registered in canonql's own registry API and read
 * back by id), in the same run: events/s of each format per round, the median of the rounds, and
 * the Avro/JSON ratio. npm run bench:avro -- [--events N] [--rounds N]
 */
import avro from 'avsc';
import { MongoClient } from 'mongodb';
import { createProgress } from '../infra/stack/progress';
import { stackUp } from '../infra/stack/stack';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config';
import type { ConnectSchema } from '../src/ingestion/debezium/decode-connect-value';
import { writeWireFormat } from '../src/infra/wire-format';
import { createSchemaRegistryClient } from '../src/infra/schema-registry-client';
import { createBatchDecoder } from '../src/ingestion/registry/registry-decoder';
import { avroSchemaOf, avroValueOf, bigintLongs } from '../test/support/connect-avro';
import { readBenchArgs } from './support/bench-args';
import {
  benchKafka,
  config,
  createTopic,
  deleteTopics,
  fmt,
  orderCreate,
  orderIngestion,
  sleep,
  totalOutcomes,
  uniqueName,
  waitUntil,
} from './support/bench-common';
import pino from 'pino';

const { values: args } = readBenchArgs({
  command: 'npm run bench:avro --',
  options: {
    events: { type: 'number', default: 20000, help: 'order create events of the stream' },
    rounds: { type: 'number', default: 3, help: 'rounds of each format (the median is reported)' },
  },
});
const PARTITIONS = 4;
const ADMIN = 'bench-avro-admin-key-000001';
const kafka = benchKafka('canonql-bench-avro');
const json = { type: 'string', optional: true, name: 'io.debezium.data.Json', version: 1 };
const VALUE: ConnectSchema = {
  type: 'struct',
  name: 'bench.shop.orders.Envelope',
  fields: [
    { ...json, field: 'before' },
    { ...json, field: 'after' },
    {
      type: 'struct',
      name: 'io.debezium.connector.mongo.Source',
      field: 'source',
      fields: ['version', 'connector', 'name']
        .map((field) => ({ type: 'string', field }))
        .concat([
          { type: 'int64', field: 'ts_ms' },
          { type: 'string', field: 'snapshot' },
          { type: 'string', field: 'db' },
          { type: 'string', field: 'collection' },
          { type: 'int32', field: 'ord' },
        ] as never[]),
    },
    { type: 'string', optional: true, field: 'op' },
    { type: 'int64', optional: true, field: 'ts_ms' },
  ],
};
const KEY: ConnectSchema = { type: 'struct', name: 'bench.shop.orders.Key', fields: [{ type: 'string', field: 'id' }] };

async function register(url: string, subject: string, schema: unknown): Promise<number> {
  const response = await fetch(`${url}/registry/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  return ((await response.json()) as { id: number }).id;
}

async function main() {
  if (config.usesLocalStack) await stackUp(createProgress());
  const mongo = new MongoClient(config.mongo.uri);
  await mongo.connect();
  const registryDb = uniqueName('bench_avro_registry');
  const registry = await startApp(
    loadConfig({
      ...process.env,
      CANONQL_ROLES: 'api',
      CANONQL_HTTP_PORT: '0',
      MONGODB_DATABASE: registryDb,
      CANONQL_ADMIN_KEYS: ADMIN,
      CANONQL_DEMO_FEED: 'false',
    }),
    pino({ level: 'warn' }),
  );
  const topics = { json: uniqueName('bench.json.orders'), avro: uniqueName('bench.avro.orders') };
  try {
    const stream = Array.from({ length: args.events }, (_, n) => orderCreate(n, `o-${n}`, 1_700_000_000_000 + n));
    const valueSchema = avroSchemaOf(VALUE);
    const keySchema = avroSchemaOf(KEY);
    const ids = {
      value: await register(registry.url, `${topics.avro}-value`, valueSchema),
      key: await register(registry.url, `${topics.avro}-key`, keySchema),
    };
    const valueType = avro.Type.forSchema(valueSchema as avro.Schema, { wrapUnions: true, typeHook: bigintLongs });
    const keyType = avro.Type.forSchema(keySchema as avro.Schema, { wrapUnions: true, typeHook: bigintLongs });
    const avroStream = stream.map((m) => ({
      key: writeWireFormat(ids.key, keyType.toBuffer(avroValueOf(KEY, JSON.parse(String(m.key))))),
      value: writeWireFormat(ids.value, valueType.toBuffer(avroValueOf(VALUE, JSON.parse(String(m.value))))),
    }));
    const bytes = (list: { value: unknown }[]) => list.reduce((n, m) => n + Buffer.byteLength(m.value as string | Buffer), 0);
    console.log(`${args.events} MongoDB order creates: JSON ${fmt(bytes(stream) / args.events)} B/value, Avro ${fmt(bytes(avroStream) / args.events)} B/value`);
    const producer = kafka.producer();
    await producer.connect();
    for (const [topic, messages] of [
      [topics.json, stream],
      [topics.avro, avroStream],
    ] as const) {
      await createTopic(kafka, topic, PARTITIONS);
      for (let i = 0; i < messages.length; i += 2000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
    }
    await producer.disconnect();

    const runs: Record<'json' | 'avro', number[]> = { json: [], avro: [] };
    const registryClient = createSchemaRegistryClient({ url: `${registry.url}/registry`, bearerToken: ADMIN });
    for (let round = 1; round <= args.rounds; round += 1) {
      for (const format of (round % 2 === 1 ? ['json', 'avro'] : ['avro', 'json']) as ('json' | 'avro')[]) {
        const db = mongo.db(uniqueName(`bench_avro_${format}`));
        const topicPrefix = `${uniqueName('bench.canonical')}.`;
        const deadLetterTopic = uniqueName('bench.dlq');
        const decoder = format === 'avro' ? createBatchDecoder({ formatOf: () => 'avro', registryOf: () => registryClient }) : undefined;
        const ingestion = orderIngestion({
          kafka,
          db,
          topic: topics[format],
          topicPrefix,
          deadLetterTopic,
          canonicalPartitions: PARTITIONS,
          ...(decoder ? { decoder } : {}),
        });
        const started = Date.now();
        await ingestion.start();
        await waitUntil(`${args.events} outcomes`, () => totalOutcomes(ingestion) >= args.events, 20 * 60_000, 20);
        const seconds = (Date.now() - started) / 1000;
        await ingestion.stop();
        if ((ingestion.stats.outcomes['dead-lettered'] ?? 0) > 0) throw new Error(`dead letters: ${JSON.stringify(ingestion.stats.outcomes)}`);
        runs[format].push(args.events / seconds);
        console.log(`round ${round}: ${format.padEnd(4)} ${fmt(args.events / seconds).padStart(6)} events/s (${fmt(seconds, 1)} s)`);
        await db.dropDatabase();
        await deleteTopics(kafka, [`${topicPrefix}order`, deadLetterTopic]);
        await sleep(500);
      }
    }
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
    console.log(
      `median of ${args.rounds}: json ${fmt(median(runs.json))} events/s, avro ${fmt(median(runs.avro))} events/s, avro/json ${fmt(median(runs.avro) / median(runs.json), 2)}`,
    );
  } finally {
    await deleteTopics(kafka, [topics.json, topics.avro]);
    await registry.stop();
    await mongo.db(registryDb).dropDatabase();
    await mongo.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
