import type { ConnectorKind, DecodedSource } from './decoded-record';
import { exactNumberText, isExactNumber } from './parse-json-lossless';

/**
 * Debezium's `source.connector` → the connector kinds canonql distinguishes. MariaDB's connector
 * (Debezium 2.5+) reports `mariadb` but writes MySQL's binlog coordinates (`file`, `pos`, `row`),
 * so it is positioned like MySQL.
 */
export function connectorKind(name: unknown): ConnectorKind {
  switch (name) {
    case 'postgresql':
    case 'mysql':
    case 'mongodb':
    case 'sqlserver':
    case 'oracle':
      return name;
    case 'mariadb':
      return 'mysql';
    default:
      return 'unknown';
  }
}

/**
 * Normalizes a `source` block (any connector) into {@link DecodedSource}. Unknown or malformed
 * fields are left out rather than failing the record: `source` is metadata, the row is the data.
 *
 * @param fallbackConnector used when the block has no `connector` (e.g. a flattened record)
 */
export function readSource(source: Readonly<Record<string, unknown>> | null | undefined, fallbackConnector: string): DecodedSource {
  const s = source ?? {};
  const connector = typeof s.connector === 'string' && s.connector !== '' ? s.connector : fallbackConnector;
  const tsMs = safeInteger(s.ts_ms);
  const ord = safeInteger(s.ord);
  const pos = safeInteger(s.pos);
  const row = safeInteger(s.row);
  const lsn = digitString(s.lsn);
  // PostgreSQL and Oracle report `txId`; MongoDB the session's `txnNumber`; MySQL the `gtid`.
  const txId = firstId(s.txId, s.txnNumber, s.gtid);
  return {
    connector,
    ...text('name', s.name),
    ...text('db', s.db),
    ...text('schema', s.schema),
    ...text('table', s.table),
    ...text('collection', s.collection),
    ...(tsMs !== undefined ? { tsMs } : {}),
    ...(typeof s.snapshot === 'boolean' || typeof s.snapshot === 'string' ? { snapshot: s.snapshot } : {}),
    ...(txId !== undefined ? { txId } : {}),
    ...(lsn !== undefined ? { lsn } : {}),
    ...(ord !== undefined ? { ord } : {}),
    ...text('file', s.file),
    ...(pos !== undefined ? { pos } : {}),
    ...(row !== undefined ? { row } : {}),
  };
}

/** A safe integer from a JSON number or a digit string (Kafka headers carry numbers as text). */
export function safeInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) ? parsed : undefined;
  }
  return undefined;
}

function digitString(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (isExactNumber(value)) return exactNumberText(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function firstId(...values: unknown[]): string | number | undefined {
  for (const value of values) {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (isExactNumber(value)) return exactNumberText(value);
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function text<K extends string>(name: K, value: unknown): { [P in K]?: string } {
  return (typeof value === 'string' && value !== '' ? { [name]: value } : {}) as { [P in K]?: string };
}
