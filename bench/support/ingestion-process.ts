/**
 * canonql's ingestion role in a child process of its own, for the ingestion benchmark's
 * `--canonql-processes N`: N such processes in one consumer group share the raw topic's
 * partitions, as N canonql instances of a deployment would (one Node thread each).
 *
 * One process serves every round of a benchmark run, so its code is as warm in a later round as
 * the in-process run's. Commands: `start` (a round's settings: topic, database, group, canonical
 * topic prefix, dead-letter topic, canonical partitions; joins the group), `count` (outcomes so
 * far and this process's CPU seconds), `finish` (the round's ingestion leaves the group); `stop`
 * exits.
 */
import { MongoClient } from 'mongodb';
import { benchKafka, config, cpuSeconds, orderIngestion, serveCommands, totalOutcomes } from './bench-common';
import type { Ingestion } from '../../src/ingestion/ingestion-service';

const mongo = new MongoClient(config.mongo.uri);
const kafka = benchKafka('canonql-bench-ingest-process');
let ingestion: Ingestion | null = null;

serveCommands(
  {
    start: async (command) => {
      const round = command as unknown as {
        topic: string;
        db: string;
        groupId: string;
        topicPrefix: string;
        deadLetterTopic: string;
        canonicalPartitions: number;
      };
      if (ingestion) throw new Error('a round is still running in this process');
      await mongo.connect();
      ingestion = orderIngestion({
        kafka,
        db: mongo.db(round.db),
        topic: round.topic,
        topicPrefix: round.topicPrefix,
        deadLetterTopic: round.deadLetterTopic,
        canonicalPartitions: round.canonicalPartitions,
        groupId: round.groupId,
      });
      await ingestion.start();
      return { started: true };
    },
    finish: async () => {
      await ingestion?.stop();
      ingestion = null;
      return { finished: true };
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
