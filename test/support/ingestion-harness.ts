import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Db, MongoClient } from 'mongodb';
import { loadCanonicalSchemas } from '../../src/catalog/canonical-schemas';
import { createIngestion, type Ingestion } from '../../src/ingestion/ingestion-service';
import { compileForPipeline } from '../../src/ingestion/pipeline-spec';
import { createIngestionConsumer, type IngestionConsumer, type IngestionConsumerOptions } from '../../src/ingestion/ingestion-consumer';
import { createIngestionStats } from '../../src/ingestion/ingestion-stats';
import type { MappingSpec } from '../../src/mapping/mapping-spec';
import { testKafka, testMongo, uniqueName } from './test-env';
import { waitFor } from './wait-for';
import { testLogger } from './test-logger';

const ROOT = path.join(__dirname, '..', '..');

/** A spec file of `specs/`, re-pointed at a topic of the test's own. */
export function specFromFile(file: string, topic: string): MappingSpec {
  const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'specs', file), 'utf8')) as MappingSpec;
  return { ...spec, source: { ...spec.source, topic } };
}

export interface IngestionHarness {
  readonly db: Db;
  readonly ingestion: Ingestion;
  readonly topicPrefix: string;
  readonly deadLetterTopic: string;
  readonly groupId: string;
  /** Waits until at least `n` outcomes (of any kind) have been counted. */
  waitForOutcomes(n: number, timeoutMs?: number): Promise<void>;
  /** Starts a second ingestion over the same store (e.g. a replay with a new group). */
  restart(options?: { groupId?: string }): Promise<Ingestion>;
  stop(): Promise<void>;
}

/** Runs the real ingestion role in-process against the stack, with unique names throughout. */
export async function startIngestionHarness(specs: readonly MappingSpec[]): Promise<IngestionHarness> {
  const client: MongoClient = await testMongo();
  const db = client.db(uniqueName('ingest'));
  const schemas = loadCanonicalSchemas(path.join(ROOT, 'schema', 'canonical'));
  const validate = (subject: string, doc: Record<string, unknown>) => schemas.get(subject)?.validate(doc) ?? [];
  const topicPrefix = `${uniqueName('canonical')}.`;
  const deadLetterTopic = uniqueName('deadletter');
  const logger = testLogger('warn');
  let groupId = uniqueName('ingest-group');
  const build = () =>
    createIngestion({
      kafka: testKafka(),
      db,
      specs: specs.map(compileForPipeline),
      validate,
      groupId,
      deadLetterTopic,
      canonicalPartitions: 1,
      canonicalTopicPrefix: topicPrefix,
      fromBeginning: true,
      logger,
    });
  let ingestion = build();
  await ingestion.start();
  const harness: IngestionHarness = {
    db,
    get ingestion() {
      return ingestion;
    },
    topicPrefix,
    deadLetterTopic,
    get groupId() {
      return groupId;
    },
    async waitForOutcomes(n, timeoutMs = 60000) {
      await waitFor(
        `${n} ingestion outcomes`,
        () => {
          const total = Object.values(ingestion.stats.outcomes).reduce((a, b) => a + b, 0);
          return total >= n;
        },
        { timeoutMs, intervalMs: 50 },
      );
    },
    async restart(options = {}) {
      await ingestion.stop();
      groupId = options.groupId ?? groupId;
      ingestion = build();
      await ingestion.start();
      return ingestion;
    },
    async stop() {
      await ingestion.stop();
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
  return harness;
}

/**
 * The ingestion consumer over a stand-in pipeline (what the test wants each batch to do): the real
 * consumer group, commits and counters against the real broker, with no publishing and no dead
 * letters.
 */
export function consumerOverPipeline(
  options: Pick<IngestionConsumerOptions, 'kafka' | 'groupId' | 'pipeline'> &
    Partial<Pick<IngestionConsumerOptions, 'stats' | 'sessionTimeoutMs' | 'retryPolicy'>> & { readonly topic: string },
): IngestionConsumer {
  return createIngestionConsumer({
    kafka: options.kafka,
    groupId: options.groupId,
    topics: [options.topic],
    fromBeginning: true,
    pipeline: options.pipeline,
    publisher: { publish: async () => ({ oversized: [] }) },
    deadLetters: { send: async () => undefined } as never,
    stats: options.stats ?? createIngestionStats(),
    logger: pino({ level: 'silent' }),
    sessionTimeoutMs: options.sessionTimeoutMs ?? 6000,
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
  });
}
