import { AppError, ErrorCode } from '../errors';

/** A small client for the Kafka Connect REST API (connectors are how Debezium is run). */
export interface ConnectorStatus {
  readonly name: string;
  readonly connector: { state: string; trace?: string };
  readonly tasks: { id: number; state: string; trace?: string }[];
}

export interface ConnectClient {
  version(): Promise<{ version: string; commit: string; kafka_cluster_id: string }>;
  plugins(): Promise<{ class: string; type: string; version: string }[]>;
  createConnector(name: string, config: Record<string, string>): Promise<void>;
  status(name: string): Promise<ConnectorStatus | null>;
  deleteConnector(name: string): Promise<void>;
  /** Stops a connector and its tasks (its offsets can then be read and changed). */
  stopConnector(name: string): Promise<void>;
  resumeConnector(name: string): Promise<void>;
  /** The source offsets the worker has committed for a connector: `[{ partition, offset }]`. */
  offsets(name: string): Promise<ConnectorOffset[]>;
  /** Replaces committed source offsets of a stopped connector (KIP-875). */
  alterOffsets(name: string, offsets: readonly ConnectorOffset[]): Promise<void>;
}

export interface ConnectorOffset {
  readonly partition: Record<string, unknown>;
  readonly offset: Record<string, unknown> | null;
}

export function createConnectClient(baseUrl: string): ConnectClient {
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    try {
      return await fetch(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30000),
      });
    } catch (error) {
      throw new AppError(ErrorCode.KAFKA_UNAVAILABLE, `Kafka Connect at ${baseUrl} is unreachable`, { cause: error, retriable: true });
    }
  };
  const json = async <T>(response: Response, what: string): Promise<T> => {
    if (!response.ok) {
      throw new AppError(ErrorCode.KAFKA_UNAVAILABLE, `Kafka Connect ${what} failed: ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as T;
  };
  const expectOk = async (response: Response, what: string): Promise<void> => {
    if (!response.ok) {
      throw new AppError(ErrorCode.KAFKA_UNAVAILABLE, `Kafka Connect ${what} failed: ${response.status} ${await response.text()}`);
    }
  };
  return {
    version: async () => json(await call('GET', '/'), 'version'),
    plugins: async () => json(await call('GET', '/connector-plugins'), 'plugin list'),
    async createConnector(name, config) {
      await json(await call('POST', '/connectors', { name, config }), `create connector ${name}`);
    },
    async status(name) {
      const response = await call('GET', `/connectors/${encodeURIComponent(name)}/status`);
      if (response.status === 404) return null;
      return json<ConnectorStatus>(response, `status of ${name}`);
    },
    async stopConnector(name) {
      await expectOk(await call('PUT', `/connectors/${encodeURIComponent(name)}/stop`), `stop ${name}`);
    },
    async resumeConnector(name) {
      await expectOk(await call('PUT', `/connectors/${encodeURIComponent(name)}/resume`), `resume ${name}`);
    },
    async offsets(name) {
      return (await json<{ offsets: ConnectorOffset[] }>(await call('GET', `/connectors/${encodeURIComponent(name)}/offsets`), `offsets of ${name}`)).offsets;
    },
    async alterOffsets(name, offsets) {
      await expectOk(await call('PATCH', `/connectors/${encodeURIComponent(name)}/offsets`, { offsets }), `alter offsets of ${name}`);
    },
    async deleteConnector(name) {
      const response = await call('DELETE', `/connectors/${encodeURIComponent(name)}`);
      if (!response.ok && response.status !== 404) {
        throw new AppError(ErrorCode.KAFKA_UNAVAILABLE, `Kafka Connect delete ${name} failed: ${response.status}`);
      }
    },
  };
}

/**
 * Debezium PostgreSQL connector settings for one capture. `pgoutput` is the logical decoding plugin
 * built into PostgreSQL 10+ (Debezium's default, decoderbufs, needs a server extension).
 */
export function postgresConnectorConfig(options: {
  readonly url: string;
  readonly topicPrefix: string;
  readonly tables: readonly string[];
  readonly slotName: string;
  readonly publicationName: string;
}): Record<string, string> {
  const url = new URL(options.url);
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'plugin.name': 'pgoutput',
    'database.hostname': url.hostname,
    'database.port': url.port || '5432',
    'database.user': decodeURIComponent(url.username || 'postgres'),
    'database.password': decodeURIComponent(url.password || 'postgres'),
    'database.dbname': url.pathname.replace(/^\//, ''),
    'topic.prefix': options.topicPrefix,
    'table.include.list': options.tables.join(','),
    'slot.name': options.slotName,
    'publication.name': options.publicationName,
    'publication.autocreate.mode': 'filtered',
    'tombstones.on.delete': 'true',
    // Debezium hands captured changes to Kafka every poll interval (default 500 ms); a shorter
    // interval cuts commit-to-canonical latency at a negligible CPU cost.
    'poll.interval.ms': '50',
  };
}

/**
 * Debezium settings capturing MariaDB tables with the MySQL connector (the MariaDB connector is not
 * obtainable here; see docs/local-stack.md). MariaDB's own JDBC driver (installed into the plugin's
 * folder by the local stack) replaces the bundled MySQL one, which asks MariaDB 10.11 for
 * variables it does not have. The schema history (the tables' DDL, which the binlog reader needs to
 * decode rows) is kept in a topic of its own per connector.
 *
 * @param serverId the connector's replication client id: unique among the server's replicas
 */
export function mariadbConnectorConfig(options: {
  readonly url: string;
  readonly topicPrefix: string;
  readonly tables: readonly string[];
  readonly serverId: number;
  readonly brokers: readonly string[];
}): Record<string, string> {
  const url = new URL(options.url);
  const database = url.pathname.replace(/^\//, '');
  return {
    'connector.class': 'io.debezium.connector.mysql.MySqlConnector',
    'database.protocol': 'jdbc:mariadb',
    'database.jdbc.driver': 'org.mariadb.jdbc.Driver',
    'database.ssl.mode': 'disabled',
    'database.hostname': url.hostname,
    'database.port': url.port || '3306',
    'database.user': decodeURIComponent(url.username || 'root'),
    'database.password': decodeURIComponent(url.password),
    'database.server.id': String(options.serverId),
    'database.include.list': database,
    'table.include.list': options.tables.join(','),
    'topic.prefix': options.topicPrefix,
    'schema.history.internal.kafka.bootstrap.servers': options.brokers.join(','),
    'schema.history.internal.kafka.topic': `${options.topicPrefix}.schema-history`,
    'include.schema.changes': 'false',
    // MariaDB's driver refuses MySQL's streaming fetch size (Integer.MIN_VALUE) that the
    // snapshot would otherwise ask for; a positive fetch size reads the table in batches.
    'snapshot.fetch.size': '1000',
    'tombstones.on.delete': 'true',
    'poll.interval.ms': '50',
  };
}
