import type { ConnectSchema } from './decode-connect-value';
import type { SkipReason } from './decoded-record';

/** Debezium's default `topic.heartbeat.prefix`; heartbeat topics are `<prefix>.<topic.prefix>`. */
export const HEARTBEAT_TOPIC_PREFIX = '__debezium-heartbeat';

const HEARTBEAT_FIELDS = new Set(['ts_ms', 'ts_us', 'ts_ns', 'source']);

/**
 * Recognizes the records Debezium writes besides row changes, which carry no entity and must
 * never stop ingestion. Called for a value payload without an envelope `op`.
 *
 * - Heartbeats: value `{"ts_ms": …}` (schema `io.debezium.connector.common.Heartbeat`), key
 *   `{"serverName": …}`, on `__debezium-heartbeat.<prefix>` (checked by topic before parsing).
 * - Transaction metadata (`provide.transaction.metadata`): `{"status": "BEGIN"|"END", "id": …,
 *   "ts_ms": …, "event_count": …, "data_collections": […]}` on `<prefix>.transaction`. The JSON
 *   converter writes `event_count` even when null, which tells it apart from a row that merely has
 *   `status` and `id` columns.
 * - Schema changes (MySQL, SQL Server, Oracle...): `{"source": …, "databaseName": …, "schemaName":
 *   …, "ddl": …, "tableChanges": […]}` on `<prefix>`.
 *
 * @returns the reason, or null when the payload is none of these (then it is a flattened row)
 */
export function controlRecordReason(payload: Readonly<Record<string, unknown>>, schema: ConnectSchema | null): SkipReason | null {
  const name = schema?.name ?? '';
  if (name === 'io.debezium.connector.common.Heartbeat') return 'heartbeat';
  if (name === 'io.debezium.connector.common.TransactionMetadataValue') return 'transaction-metadata';
  if (name.endsWith('SchemaChangeValue')) return 'schema-change';

  if ((payload.status === 'BEGIN' || payload.status === 'END') && 'id' in payload && ('event_count' in payload || 'data_collections' in payload)) {
    return 'transaction-metadata';
  }
  const hasSource = payload.source !== null && typeof payload.source === 'object';
  if ('tableChanges' in payload || ('ddl' in payload && ('databaseName' in payload || hasSource)) || ('databaseName' in payload && hasSource)) {
    return 'schema-change';
  }
  const names = Object.keys(payload);
  if (names.length > 0 && names.every((field) => HEARTBEAT_FIELDS.has(field)) && ('ts_ms' in payload || hasSource)) {
    return 'heartbeat';
  }
  return null;
}
