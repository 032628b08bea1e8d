import type { Kafka, Message } from 'kafkajs';

/**
 * Builders of Debezium-shaped Kafka messages, as the connectors write them with the JSON converter
 * and `schemas.enable=false` (the payload alone). Real captures with schemas live in
 * test/fixtures/debezium/; these builders make large or adversarial streams for tests.
 */

export interface MongoChangeInput {
  readonly op: 'c' | 'u' | 'd' | 'r';
  /** Extended JSON of the document id, e.g. `{"$oid":"..."}` or a plain string id. */
  readonly id: string | { $oid: string };
  readonly after?: Record<string, unknown> | null;
  readonly before?: Record<string, unknown> | null;
  readonly updatedFields?: Record<string, unknown>;
  readonly removedFields?: string[];
  readonly tsMs: number;
  readonly ord: number;
  readonly db?: string;
  readonly collection?: string;
  /**
   * A change inside a multi-document transaction: the session (`source.lsid`, `source.txnNumber`)
   * and, when the connector runs with `provide.transaction.metadata=true`, the change's position in
   * the transaction (the envelope's `transaction` block).
   */
  readonly txn?: { readonly lsid: string; readonly txnNumber: number; readonly totalOrder?: number };
}

/** A MongoDB connector (2.x/3.x) change event: `after`/`before` are Extended JSON strings. */
export function mongoChange(input: MongoChangeInput): Message {
  const idJson = JSON.stringify(input.id);
  const withId = (doc: Record<string, unknown> | null | undefined) => (doc === undefined || doc === null ? null : JSON.stringify({ _id: input.id, ...doc }));
  const value = {
    before: withId(input.before),
    after: input.op === 'd' ? null : withId(input.after),
    updateDescription:
      input.updatedFields || input.removedFields
        ? { removedFields: input.removedFields ?? null, updatedFields: input.updatedFields ? JSON.stringify(input.updatedFields) : null, truncatedArrays: null }
        : null,
    source: {
      version: '3.6.0.Final',
      connector: 'mongodb',
      name: 'demo',
      ts_ms: input.tsMs,
      snapshot: input.op === 'r' ? 'true' : 'false',
      db: input.db ?? 'shop',
      collection: input.collection ?? 'orders',
      ord: input.ord,
      lsid: input.txn?.lsid ?? null,
      txnNumber: input.txn?.txnNumber ?? null,
    },
    op: input.op,
    ts_ms: input.tsMs + 5,
    transaction:
      input.txn?.totalOrder !== undefined
        ? { id: `${input.txn.lsid}:${input.txn.txnNumber}`, total_order: input.txn.totalOrder, data_collection_order: input.txn.totalOrder }
        : null,
  };
  return { key: JSON.stringify({ id: idJson }), value: JSON.stringify(value) };
}

/** The tombstone the MongoDB and relational connectors emit after a delete. */
export function tombstone(keyJson: string): Message {
  return { key: keyJson, value: null };
}

export interface PgChangeInput {
  readonly op: 'c' | 'u' | 'd' | 'r';
  readonly key: Record<string, unknown>;
  readonly before?: Record<string, unknown> | null;
  readonly after?: Record<string, unknown> | null;
  readonly lsn: number;
  readonly table?: string;
  readonly tsMs?: number;
}

/** A PostgreSQL connector change event without the schema wrapper. */
export function pgChange(input: PgChangeInput): Message {
  const tsMs = input.tsMs ?? 1_700_000_000_000 + input.lsn;
  const value = {
    before: input.before ?? null,
    after: input.op === 'd' ? null : (input.after ?? null),
    source: {
      version: '3.6.0.Final',
      connector: 'postgresql',
      name: 'canonql',
      ts_ms: tsMs,
      snapshot: input.op === 'r' ? 'true' : 'false',
      db: 'canonql_source',
      sequence: JSON.stringify([null, String(input.lsn)]),
      schema: 'public',
      table: input.table ?? 'customers',
      txId: input.lsn,
      lsn: input.lsn,
      xmin: null,
    },
    op: input.op,
    ts_ms: tsMs + 3,
    transaction: null,
  };
  return { key: JSON.stringify(input.key), value: JSON.stringify(value) };
}

/** Produces messages in order to partition 0 (one partition keeps the test's global order). */
export async function produce(kafka: Kafka, topic: string, messages: readonly Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500).map((m) => ({ ...m, partition: m.partition ?? 0 })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The 24-hex-digit ObjectId of test key `n`. */
export const oid = (n: number): string => n.toString(16).padStart(24, '0');

/** The customer e-mails demo orders cycle through (order k has DEMO_EMAILS[k % 3]). */
export const DEMO_EMAILS: readonly string[] = ['a@x.io', 'b@x.io', 'c@x.io'];

/**
 * Order `k`'s version `v` as the MongoDB connector emits it for the demo order spec (order.json):
 * a create at version 1, an update after.
 */
export const demoOrderChange = (k: number, v: number, email: string = DEMO_EMAILS[k % 3]!): Message =>
  mongoChange({
    op: v === 1 ? 'c' : 'u',
    id: { $oid: oid(k) },
    tsMs: 1_700_000_000_000 + v * 1000,
    ord: k + 1,
    after: { orderId: `o-${String(k).padStart(2, '0')}`, customer: { email }, items: [{ sku: `sku-${k}` }] },
  });
