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
  // Filled field by field, not spread from one-field objects: this runs for every record.
  const out: Mutable<DecodedSource> = { connector };
  setText(out, 'name', s.name);
  setText(out, 'db', s.db);
  setText(out, 'schema', s.schema);
  setText(out, 'table', s.table);
  setText(out, 'collection', s.collection);
  const tsMs = safeInteger(s.ts_ms);
  if (tsMs !== undefined) out.tsMs = tsMs;
  if (typeof s.snapshot === 'boolean' || typeof s.snapshot === 'string') out.snapshot = s.snapshot;
  // PostgreSQL and Oracle report `txId`; MongoDB the session's `txnNumber`; MySQL the `gtid`.
  const txId = idOf(s.txId) ?? idOf(s.txnNumber) ?? idOf(s.gtid);
  if (txId !== undefined) out.txId = txId;
  const lsn = digitString(s.lsn);
  if (lsn !== undefined) out.lsn = lsn;
  const ord = safeInteger(s.ord);
  if (ord !== undefined) out.ord = ord;
  setText(out, 'file', s.file);
  const pos = safeInteger(s.pos);
  if (pos !== undefined) out.pos = pos;
  const row = safeInteger(s.row);
  if (row !== undefined) out.row = row;
  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

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

/** The value as a transaction id when it is one (a finite number, an exact-number marker's text, a non-empty string). */
function idOf(value: unknown): string | number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (isExactNumber(value)) return exactNumberText(value);
  if (typeof value === 'string' && value !== '') return value;
  return undefined;
}

function setText(out: Mutable<DecodedSource>, name: 'name' | 'db' | 'schema' | 'table' | 'collection' | 'file', value: unknown): void {
  if (typeof value === 'string' && value !== '') out[name] = value;
}
