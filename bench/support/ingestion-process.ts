/**
 * canonql's ingestion role in a child process of its own, for the ingestion benchmark's
 * `--canonql-processes N`: N such processes in one consumer group share the raw topic's
 * partitions, as N canonql instances of a deployment would (one Node thread each).
 *
 * Settings from the parent: BENCH_INGEST_TOPIC, BENCH_INGEST_DB, BENCH_INGEST_GROUP,
 * BENCH_INGEST_TOPIC_PREFIX, BENCH_INGEST_DLQ, BENCH_INGEST_PARTITIONS. Commands: `start`
 * (joins the group), `count` (outcomes so far and this process's CPU seconds); `stop` leaves the
 * group and exits.
 */
import { MongoClient } from 'mongodb';
import { benchKafka, config, cpuSeconds, orderIngestion, serveCommands, totalOutcomes } from './bench-common';
import type { Ingestion } from '../../src/ingestion/ingestion-service';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const mongo = new MongoClient(config.mongo.uri);
let ingestion: Ingestion | null = null;

serveCommands(
  {
    start: async () => {
      await mongo.connect();
      ingestion = orderIngestion({
        kafka: benchKafka('canonql-bench-ingest-process'),
        db: mongo.db(env('BENCH_INGEST_DB')),
        topic: env('BENCH_INGEST_TOPIC'),
        topicPrefix: env('BENCH_INGEST_TOPIC_PREFIX'),
        deadLetterTopic: env('BENCH_INGEST_DLQ'),
        canonicalPartitions: Number(env('BENCH_INGEST_PARTITIONS')),
        groupId: env('BENCH_INGEST_GROUP'),
      });
      await ingestion.start();
      return { started: true };
    },
    count: () => ({
      outcomes: ingestion ? totalOutcomes(ingestion) : 0,
      deadLettered: ingestion?.stats.outcomes['dead-lettered'] ?? 0,
      cpuSeconds: cpuSeconds(),
    }),
  },
  async () => {
    await ingestion?.stop();
    await mongo.close();
  },
);
process.send!({ type: 'ready' });
