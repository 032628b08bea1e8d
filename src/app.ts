import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Admin } from 'kafkajs';
import path from 'node:path';
import { loadCanonicalSchemas } from './catalog/canonical-schemas';
import { loadSpecFiles } from './catalog/spec-files';
import type { Config } from './config';
import { createIngestion } from './ingestion/ingestion-service';
import { compileForPipeline } from './ingestion/pipeline-spec';
import { healthRoutes } from './http/health-routes';
import { createKafka } from './infra/kafka';
import { connectMongo, type MongoHandle } from './infra/mongo';
import type { Logger } from './logger';

/**
 * Composition root: builds every component from the config, wired by hand, in data-flow order.
 * Nothing else constructs infrastructure clients, so tests can build a whole app per suite.
 */
export interface App {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger): Promise<App> {
  const resources: { name: string; close: () => Promise<void> }[] = [];
  try {
    const mongo: MongoHandle = await connectMongo(config.mongo);
    resources.push({ name: 'mongo', close: () => mongo.close() });

    const kafka = createKafka(config.kafka, logger);
    const admin: Admin = kafka.admin();
    await admin.connect();
    resources.push({ name: 'kafka-admin', close: () => admin.disconnect() });

    if (config.roles.includes('ingest')) {
      const schemas = loadCanonicalSchemas(path.resolve(config.schemaDir, 'canonical'));
      const specs = loadSpecFiles(path.resolve(config.specsDir)).map(compileForPipeline);
      const ingestion = createIngestion({
        kafka,
        db: mongo.db,
        specs,
        validate: (subject, document) => schemas.get(subject)?.validate(document) ?? [],
        groupId: config.ingest.groupId,
        deadLetterTopic: config.ingest.deadLetterTopic,
        canonicalPartitions: config.ingest.canonicalPartitions,
        canonicalTopicPrefix: config.ingest.canonicalTopicPrefix,
        fromBeginning: config.ingest.fromBeginning,
        sessionTimeoutMs: config.ingest.sessionTimeoutMs,
        logger,
      });
      await ingestion.start();
      resources.push({ name: 'ingestion', close: () => ingestion.stop() });
      logger.info({ specs: specs.map((s) => `${s.id}@${s.version}`), subjects: [...schemas.keys()] }, 'ingestion started');
    }

    const app = express();
    app.disable('x-powered-by');
    app.use(healthRoutes({
      store: () => mongo.ping(),
      kafka: async () => (await admin.describeCluster()).brokers.length > 0,
    }));

    const server = http.createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, () => resolve());
    });
    resources.push({ name: 'http', close: () => new Promise((resolve) => server.close(() => resolve())) });
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.http.host}:${port}`;
    logger.info({ url, roles: config.roles }, 'canonql started');

    return {
      url,
      stop: () => closeAll(resources, logger),
    };
  } catch (error) {
    await closeAll(resources, logger);
    throw error;
  }
}

/** Closes in reverse order of opening; one failing close does not keep the others open. */
async function closeAll(resources: { name: string; close: () => Promise<void> }[], logger: Logger): Promise<void> {
  for (const resource of [...resources].reverse()) {
    try {
      await resource.close();
    } catch (error) {
      logger.warn({ err: error, resource: resource.name }, 'error while closing');
    }
  }
  resources.length = 0;
}
