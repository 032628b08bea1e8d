/**
 * The decoder's input and output types. See `decode-record.ts` for how each Debezium shape maps
 * onto them.
 */

/** One Kafka record as the consumer hands it over. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Kafka record timestamp (ms since epoch, as a string like kafkajs gives it). */
  readonly timestamp?: string;
  readonly headers?: Readonly<Record<string, Buffer | string | undefined>>;
}

/** Connectors whose envelopes we know; anything else decodes as `unknown` with a Kafka position. */
export type ConnectorKind = 'postgresql' | 'mysql' | 'mongodb' | 'sqlserver' | 'oracle' | 'unknown';

/** Row-level operations: create, update, delete, snapshot read. */
export type ChangeOp = 'c' | 'u' | 'd' | 'r';

/** The parts of Debezium's `source` block canonql uses, normalized across connectors. */
export interface DecodedSource {
  /** `source.connector` as sent (e.g. `postgresql`, `mariadb`), or the normalized kind when absent. */
  readonly connector: string;
  /** Logical server name (`topic.prefix`). */
  readonly name?: string;
  readonly db?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly collection?: string;
  /** Commit time at the source. */
  readonly tsMs?: number;
  /** `false`/`true` (MongoDB) or `"false"`, `"true"`, `"first"`, `"last"`, `"incremental"`... */
  readonly snapshot?: boolean | string;
  readonly txId?: string | number;
  /** PostgreSQL LSN of the change, as digits. */
  readonly lsn?: string;
  /** MongoDB: order of the event within its cluster-time second. */
  readonly ord?: number;
  /** MySQL binlog file, position and row within the event. */
  readonly file?: string;
  readonly pos?: number;
  readonly row?: number;
}

/**
 * A partial update, when only a partial image exists: MongoDB `updateDescription`
 * (`updatedFields` / `removedFields`) or a MongoDB 1.x `patch` with `$set` / `$unset`.
 * Keys of `set` and entries of `unset` may be dotted paths (`address.city`, `items.2`).
 */
export interface ChangePatch {
  readonly set: Record<string, unknown>;
  readonly unset: string[];
  /**
   * MongoDB `updateDescription.truncatedArrays` (present only when non-empty): arrays that were
   * shortened to `newSize` elements. Apply with `$push: {<field>: {$each: [], $slice: newSize}}`.
   */
  readonly truncatedArrays?: ReadonlyArray<{ readonly field: string; readonly newSize: number }>;
}

/** A row/document change. */
export interface DecodedChange {
  readonly kind: 'change';
  readonly op: ChangeOp;
  readonly connector: ConnectorKind;
  /** Decoded record key: the key struct (relational) or `{_id: <decoded id>}` (MongoDB). */
  readonly key: Record<string, unknown> | null;
  /** Stable string form of `key`, see `entityKeyOf`. */
  readonly entityKey: string | null;
  /** Full row/document before the change, when the source provides it. */
  readonly before: Record<string, unknown> | null;
  /** Full row/document after the change, when the source provides it. */
  readonly after: Record<string, unknown> | null;
  readonly patch: ChangePatch | null;
  /**
   * Top-level columns that held PostgreSQL's unchanged-TOAST placeholder in the applied image
   * (`after`, or `before` for a delete); they were removed from it and must not be overwritten.
   */
  readonly unavailable: string[];
  /** Sortable source position, see `source-position.ts`. */
  readonly position: string;
  readonly source: DecodedSource;
  /** Source commit time (`source.ts_ms`), else the envelope's `ts_ms`, else the Kafka timestamp. */
  readonly tsMs: number | null;
  /** True when the record was flattened by ExtractNewRecordState / ExtractNewDocumentState. */
  readonly flattened: boolean;
}

/** A null value: Kafka log compaction's delete marker, sent after a delete. */
export interface DecodedTombstone {
  readonly kind: 'tombstone';
  readonly entityKey: string | null;
  readonly key: Record<string, unknown> | null;
}

/** A table truncate (PostgreSQL, MySQL): no key, affects every row of `source.table`. */
export interface DecodedTruncate {
  readonly kind: 'truncate';
  readonly position: string;
  readonly source: DecodedSource;
}

/** Why a record carries no entity change. */
export type SkipReason = 'heartbeat' | 'transaction-metadata' | 'schema-change' | 'message' | 'empty';

/** A record that is valid but changes no entity. */
export interface DecodedSkip {
  readonly kind: 'skip';
  readonly reason: SkipReason;
  readonly detail?: string;
}

export type DecodedRecord = DecodedChange | DecodedTombstone | DecodedTruncate | DecodedSkip;
