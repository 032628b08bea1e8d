/**
 * The real peer of canonql's ingestion: the official MongoDB Kafka sink connector
 * (`org.mongodb.kafka:mongo-kafka-connect`, installed by the stack installer into its own Connect
 * plugin directory) with its Debezium MongoDB CDC handler, consuming a Debezium topic into the
 * same store.
 *
 * It runs in the local stack's Kafka Connect worker when that worker has loaded the plugin. A
 * worker started before the plugin was installed has not (Connect scans plugin.path only at
 * start), and restarting the shared worker would drop the Debezium connectors others run in it;
 * then the benchmark starts a Connect worker of its own (standalone, same Kafka, same jars and
 * plugin path, its own REST port) for the run and stops it afterwards.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isAlive, stopPid, waitUntil as waitForService } from '../../infra/stack/processes';
import { connectWorkerProperties, startConnectWorker } from '../../infra/stack/services';
import { stackPaths } from '../../infra/stack/stack-config';
import { createConnectClient, type ConnectClient } from '../../src/infra/connect-client';
import { config, uniqueName } from './bench-common';

export const MONGO_SINK_CLASS = 'com.mongodb.kafka.connect.MongoSinkConnector';
export const MONGODB_CDC_HANDLER = 'com.mongodb.kafka.connect.sink.cdc.debezium.mongodb.MongoDbHandler';

export interface SinkWorker {
  readonly url: string;
  readonly client: ConnectClient;
  /** `shared` (the stack's worker) or `bench` (started for this run). */
  readonly kind: 'shared' | 'bench';
  readonly pluginVersion: string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

async function sinkPlugin(client: ConnectClient) {
  return (await client.plugins().catch(() => [])).find((p) => p.class === MONGO_SINK_CLASS) ?? null;
}

export async function startSinkWorker(log: (line: string) => void): Promise<SinkWorker> {
  const shared = createConnectClient(config.connectUrl);
  const found = await sinkPlugin(shared);
  if (found) {
    log(`MongoDB sink connector ${found.version} runs in the stack's Kafka Connect worker (${config.connectUrl})`);
    return { url: config.connectUrl, client: shared, kind: 'shared', pluginVersion: found.version, stop: async () => undefined };
  }
  const paths = stackPaths();
  if (!fs.existsSync(paths.mongoSinkPlugins))
    throw new Error(`the MongoDB sink connector is not installed (${paths.mongoSinkPlugins}); run npm run stack -- up`);
  const port = await freePort();
  const dir = path.join(paths.stateDir, 'bench-connect', uniqueName('worker'));
  fs.mkdirSync(dir, { recursive: true });
  const props = path.join(dir, 'connect.properties');
  const url = `http://127.0.0.1:${port}`;
  fs.writeFileSync(props, connectWorkerProperties(paths, { brokers: config.kafka.brokers.join(','), url, offsetsFile: path.join(dir, 'offsets.dat') }));
  const logFile = path.join(dir, 'connect.log');
  const pid = startConnectWorker(paths, props, { name: 'bench-connect', pidFile: path.join(dir, 'connect.pid'), logFile });
  const client = createConnectClient(url);
  const stop = async () => {
    await stopPid(pid, 30_000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForService('benchmark Kafka Connect worker', async () => (await sinkPlugin(client)) !== null, {
      timeoutMs: 120_000,
      logFile,
      alive: () => isAlive(pid),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const plugin = (await sinkPlugin(client))!;
  log(
    `the stack's Kafka Connect worker predates the sink plugin (it scans plugin.path at start only), so a benchmark worker ` +
      `(pid ${pid}, ${url}) runs MongoDB sink connector ${plugin.version}`,
  );
  return { url, client, kind: 'bench', pluginVersion: plugin.version, stop };
}

/**
 * Sink connector settings: the Debezium MongoDB CDC handler over `topic` into `database.orders`.
 * Converters are set on the connector, so the shared worker's schema-enabled defaults do not apply.
 */
export function sinkConnectorConfig(options: { topic: string; database: string; collection: string; tasks: number }): Record<string, string> {
  return {
    'connector.class': MONGO_SINK_CLASS,
    'tasks.max': String(options.tasks),
    topics: options.topic,
    'connection.uri': config.mongo.uri,
    database: options.database,
    collection: options.collection,
    'change.data.capture.handler': MONGODB_CDC_HANDLER,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter.schemas.enable': 'false',
    // Read the topic from its start, like the other systems; stop on the first error so a
    // failing peer shows up as a failure, not as a fast run.
    'consumer.override.auto.offset.reset': 'earliest',
    'errors.tolerance': 'none',
  };
}

export async function sinkFailure(worker: SinkWorker, name: string): Promise<string | null> {
  const status = await worker.client.status(name).catch(() => null);
  if (!status) return null;
  if (status.connector.state === 'FAILED') return status.connector.trace ?? 'connector FAILED';
  const failed = status.tasks.find((t) => t.state === 'FAILED');
  return failed ? (failed.trace ?? 'task FAILED') : null;
}
