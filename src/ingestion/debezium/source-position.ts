import { exactNumberText, isExactNumber } from './parse-json-lossless';

/**
 * Source positions: one string per change that sorts, as plain strings (MongoDB `$lt`/`$gt` on
 * strings, JS `<`), in the order in which the source applied the changes to one entity. A store
 * keeps the position of the change that produced an entity's state and ignores any event at or
 * below it: that is what makes at-least-once, per-key-ordered delivery exactly-once in effect.
 *
 * Every number is left-padded with zeros to a fixed width so that lexicographic order is numeric
 * order ("lsn 9" < "lsn 10" only holds as "…0009" < "…0010"). The widths hold the full range of
 * each field (20 digits = any unsigned 64-bit value).
 *
 * Why per-entity order holds:
 * - PostgreSQL (`pg:` + LSN): a row is locked by the transaction that changes it until that
 *   transaction commits, so a later change to the same row is written to the WAL after the earlier
 *   one committed and gets a higher LSN; within a transaction, each change has its own, increasing
 *   LSN. `source.sequence` (`["<last commit LSN>", "<LSN>"]`, a JSON string) carries the LSN of the
 *   change itself and is preferred when present.
 * - MongoDB (`mongo:` + `ts_ms` + `ord`): the connector reads the oplog through a change stream;
 *   `ts_ms` is the oplog entry's cluster time (seconds, times 1000) and `ord` its increment within
 *   that second, so the pair is the oplog order, which is the order writes were applied.
 *   A multi-document transaction is one oplog entry (`applyOps`): every change of it carries the
 *   same `ts_ms` + `ord`, and the connector marks them with the session (`source.lsid`,
 *   `source.txnNumber`). Their order inside the transaction is appended: Debezium's transaction
 *   block (`transaction.total_order`, 1-based, with `provide.transaction.metadata=true`) as
 *   `:t` + 20 digits, else the Kafka partition + offset as `:k…` (the connector writes a
 *   transaction's changes in change-stream order and one document's changes go to one partition).
 *   Changes outside a transaction keep the bare `mongo:<ts>:<ord>` form, so positions stored
 *   before this suffix existed compare as before; a transaction's suffixed positions only ever
 *   meet each other on the same `ts_ms` + `ord` prefix.
 * - MySQL (`mysql:` + binlog file + `pos` + `row`): the binlog is written in commit order; file
 *   names carry an increasing sequence number (`mysql-bin.000003`), `pos` orders events within a
 *   file and `row` orders the rows of one multi-row event. The server prints that number with
 *   `%06lu` (MySQL and MariaDB `find_uniq_filename`): six digits, zero-padded, up to `999999`, then
 *   as many as it takes (`mysql-bin.1000000`, at most 2147483647), and as text `1000000` would sort
 *   before `999999`. So an extension of more than six digits is written with one `~` per digit
 *   beyond six before it (`mysql-bin.~1000000`, `mysql-bin.~~10000000`): `~` sorts after every
 *   digit, so a longer extension sorts after every shorter one, and extensions of one length sort
 *   by their digits. Six-digit names are written as the connector sent them, as they always were:
 *   positions stored before this encoding repeat exactly and compare correctly with newer ones.
 * - Anything else (`kafka:` + partition + offset): Debezium keys records by primary key, so all
 *   changes of one entity land in one partition, where offsets only grow.
 *
 * Positions are compared only within one source (one raw topic): never mix two schemes there.
 */

/** Source fields a position is made of; values as they appear in a Debezium `source` block. */
export interface PositionSource {
  readonly lsn?: unknown;
  readonly sequence?: unknown;
  readonly ts_ms?: unknown;
  readonly ord?: unknown;
  readonly file?: unknown;
  readonly pos?: unknown;
  readonly row?: unknown;
  /** MongoDB: the transaction number of the session (`source.txnNumber`); present inside a transaction. */
  readonly txnNumber?: unknown;
  /** MongoDB: the logical session id (`source.lsid`, Extended JSON); present inside a transaction. */
  readonly lsid?: unknown;
}

/** Debezium's per-change transaction block (`provide.transaction.metadata=true`). */
export interface TransactionBlock {
  readonly id?: unknown;
  /** Position of the change among all changes of its transaction, from 1. */
  readonly total_order?: unknown;
  readonly data_collection_order?: unknown;
}

/** Where a record sits in Kafka: the fallback position. */
export interface KafkaCoordinates {
  readonly partition: number;
  readonly offset: string;
}

/**
 * The sortable position of one change. Uses the connector's native position when the source block
 * carries it, else the Kafka partition and offset.
 *
 * @param connector normalized connector name (`postgresql`, `mongodb`, `mysql`, ...)
 * @param transaction the envelope's `transaction` block, when the connector provides one
 */
export function sourcePosition(connector: string, source: PositionSource | null, kafka: KafkaCoordinates, transaction?: TransactionBlock | null): string {
  if (source) {
    if (connector === 'postgresql') {
      const lsn = lsnFromSequence(source.sequence) ?? digits(source.lsn);
      if (lsn !== null) return `pg:${pad(lsn, 20)}`;
    } else if (connector === 'mongodb') {
      const tsMs = digits(source.ts_ms);
      if (tsMs !== null) return `mongo:${pad(tsMs, 15)}:${pad(digits(source.ord) ?? '0', 10)}${mongoTransactionSuffix(source, kafka, transaction)}`;
    } else if (connector === 'mysql') {
      const pos = digits(source.pos);
      if (typeof source.file === 'string' && source.file !== '' && pos !== null) {
        return `mysql:${binlogFileKey(source.file)}:${pad(pos, 20)}:${pad(digits(source.row) ?? '0', 10)}`;
      }
    }
  }
  return kafkaPosition(kafka);
}

/** The fallback position: `kafka:` + partition (6 digits) + `:` + offset (20 digits). */
export function kafkaPosition(kafka: KafkaCoordinates): string {
  return `kafka:${pad(String(kafka.partition), 6)}:${pad(kafka.offset, 20)}`;
}

/**
 * Orders two positions of the same source: negative when `a` happened before `b`, zero for the
 * same change (a redelivery), positive after. Plain code-unit comparison, the same order MongoDB
 * applies to these ASCII strings.
 */
export function comparePositions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order of a change inside a MongoDB transaction (see the header): empty outside one. A change
 * is inside a transaction when the source names its session's transaction number, or when the
 * envelope carries a transaction block.
 */
function mongoTransactionSuffix(source: PositionSource, kafka: KafkaCoordinates, transaction: TransactionBlock | null | undefined): string {
  const order = digits(transaction?.total_order);
  if (order !== null) return `:t${pad(order, 20)}`;
  const inTransaction = (source.txnNumber !== undefined && source.txnNumber !== null) || (typeof transaction?.id === 'string' && transaction.id !== '');
  return inTransaction ? `:k${pad(String(kafka.partition), 6)}:${pad(kafka.offset, 20)}` : '';
}

/**
 * A binlog file name that sorts as text in sequence order (see the header): one `~` per digit of
 * the numeric extension beyond six, before the extension; any other name as written.
 */
function binlogFileKey(file: string): string {
  const dot = file.lastIndexOf('.');
  const extension = file.slice(dot + 1);
  if (dot < 0 || extension.length <= 6 || !/^\d+$/.test(extension)) return file;
  return `${file.slice(0, dot + 1)}${'~'.repeat(extension.length - 6)}${extension}`;
}

/** `source.sequence` is a JSON array in a string: `["<lastCommitLsn or null>", "<lsn>"]`. */
function lsnFromSequence(sequence: unknown): string | null {
  if (typeof sequence !== 'string' || sequence === '') return null;
  try {
    const parsed: unknown = JSON.parse(sequence);
    return Array.isArray(parsed) && parsed.length >= 2 ? digits(parsed[parsed.length - 1]) : null;
  } catch {
    return null;
  }
}

/** A non-negative integer (number or digit string) as its digits, else null. */
function digits(value: unknown): string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  if (typeof value === 'string') {
    const text = isExactNumber(value) ? exactNumberText(value) : value;
    return /^\d+$/.test(text) ? text : null;
  }
  if (typeof value === 'bigint') return value >= 0n ? value.toString() : null;
  return null;
}

function pad(value: string, width: number): string {
  return value.padStart(width, '0');
}
