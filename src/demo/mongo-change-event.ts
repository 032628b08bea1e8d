import type { Message } from 'kafkajs';
import type { Random } from './demo-random';

/**
 * Builders of the Kafka records the Debezium MongoDB connector (2.x/3.x, change streams) writes
 * with the JSON converter and `schemas.enable=false`:
 *
 * - key `{"id": "{\"$oid\": \"…\"}"}`: the document's `_id` as Extended JSON text;
 * - value `{before, after, updateDescription, source, op, ts_ms, …}` where `before`/`after` and
 *   `updateDescription.updatedFields` are Extended JSON *strings* (canonical mode: `$numberInt`,
 *   `$date: {$numberLong}`, `$numberDecimal`), `source` carries `ts_ms` (cluster time, whole
 *   seconds) and `ord` (the increment within that second): together the change's position;
 * - a delete (`op: d`, no `after`) is followed by a tombstone (same key, null value).
 */

/** Canonical Extended JSON v2 wrappers, as the connector writes values inside documents. */
export const ejson = {
  oid: (hex: string) => ({ $oid: hex }),
  int: (value: number) => ({ $numberInt: String(value) }),
  decimal: (text: string) => ({ $numberDecimal: text }),
  date: (epochMs: number) => ({ $date: { $numberLong: String(epochMs) } }),
};

/** Debezium release whose event shape the builders follow (the one the local stack runs). */
export const DEBEZIUM_VERSION = '3.6.0.Final';

/** A MongoDB change-stream position: cluster time in whole seconds (as ms) and the increment. */
export interface MongoPosition {
  readonly tsMs: number;
  readonly ord: number;
}

/**
 * Hands out strictly increasing positions, like a replica set's cluster time: the current second,
 * and an increment that restarts at 1 each new second. A clock that goes backwards keeps the last
 * second and goes on counting, so positions never decrease.
 */
export function createMongoClock(now: () => number = Date.now): () => MongoPosition {
  let second = 0;
  let ord = 0;
  return () => {
    const current = Math.floor(now() / 1000);
    if (current > second) {
      second = current;
      ord = 1;
    } else {
      ord += 1;
    }
    return { tsMs: second * 1000, ord };
  };
}

/**
 * ObjectIds as MongoDB makes them: 4 bytes of seconds, 5 random bytes per process, a 3-byte
 * counter starting at a random value.
 */
export function createObjectIdGenerator(random: Random, now: () => number = Date.now): () => string {
  const processPart = Array.from({ length: 5 }, () => hexByte(Math.floor(random() * 256))).join('');
  let counter = Math.floor(random() * 0xffffff);
  return () => {
    counter = (counter + 1) % 0x1000000;
    const seconds = Math.floor(now() / 1000) >>> 0;
    return seconds.toString(16).padStart(8, '0') + processPart + counter.toString(16).padStart(6, '0');
  };
}

function hexByte(value: number): string {
  return value.toString(16).padStart(2, '0');
}

/** The record key of a document whose `_id` is an ObjectId (the connector's own spacing). */
export function mongoKey(objectId: string): string {
  return JSON.stringify({ id: `{"$oid": "${objectId}"}` });
}

export interface MongoChangeInput {
  readonly op: 'c' | 'u' | 'd';
  /** The document's ObjectId (24 hex digits). */
  readonly objectId: string;
  readonly position: MongoPosition;
  /** Full document in canonical Extended JSON, `_id` included (creates and full updates). */
  readonly after?: Readonly<Record<string, unknown>> | null;
  /** Fields set by an update (dotted paths allowed), in canonical Extended JSON. */
  readonly updatedFields?: Readonly<Record<string, unknown>>;
  readonly removedFields?: readonly string[];
  readonly db: string;
  readonly collection: string;
  /** The connector's `topic.prefix`. */
  readonly serverName: string;
  /** When the connector processed the change (envelope `ts_ms`). */
  readonly processedAtMs: number;
}

/** One change event of the MongoDB connector, as a Kafka message. */
export function mongoChangeMessage(input: MongoChangeInput): Message {
  const { position } = input;
  const hasUpdate = input.updatedFields !== undefined || input.removedFields !== undefined;
  const value = {
    before: null,
    after: input.op === 'd' || !input.after ? null : JSON.stringify(input.after),
    updateDescription:
      input.op === 'u' && hasUpdate
        ? {
            removedFields: input.removedFields ? [...input.removedFields] : null,
            updatedFields: input.updatedFields ? JSON.stringify(input.updatedFields) : null,
            truncatedArrays: null,
          }
        : null,
    source: {
      version: DEBEZIUM_VERSION,
      connector: 'mongodb',
      name: input.serverName,
      ts_ms: position.tsMs,
      ts_us: position.tsMs * 1000,
      ts_ns: nanos(position.tsMs),
      snapshot: 'false',
      db: input.db,
      sequence: null,
      collection: input.collection,
      ord: position.ord,
      lsid: null,
      txnNumber: null,
      wallTime: input.processedAtMs,
    },
    op: input.op,
    ts_ms: input.processedAtMs,
    ts_us: input.processedAtMs * 1000,
    ts_ns: nanos(input.processedAtMs),
    transaction: null,
  };
  // Nanoseconds exceed 2^53: they are written as exact digits, not through a double.
  const json = JSON.stringify(value).replace(/"ts_ns":"(\d+)"/g, '"ts_ns":$1');
  return { key: mongoKey(input.objectId), value: json };
}

/** The tombstone the connector writes after a delete, so log compaction can drop the key. */
export function mongoTombstone(objectId: string): Message {
  return { key: mongoKey(objectId), value: null };
}

function nanos(epochMs: number): string {
  return `${epochMs}000000`;
}
