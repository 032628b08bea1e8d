import { isUtf8 } from 'node:buffer';
import type { IHeaders, Message, Producer } from 'kafkajs';
import type { Binary, Collection, Db } from 'mongodb';
import { ErrorCode } from '../errors';
import type { OversizedEvent } from '../events/event-publisher';
import { isMessageTooLarge } from '../events/message-size-limit';
import type { RawRecord } from './debezium/decoded-record';

/**
 * Where messages that can never succeed go (bad JSON, unknown envelope, mapping or validation
 * failure): the original bytes and headers unchanged on the dead-letter topic with the reason in
 * headers of its own, and a document in the dead-letter collection for the API. The document keeps
 * the record whole — key and value bytes (as text when they are UTF-8, else as binary), its headers
 * and timestamp — because a replay decodes it again: a flattened record whose operation travels in
 * a header, or a binary (registry-encoded) value, must decode the same the second time. The id is
 * derived from the original coordinates, so a replay of the same poison message does not add a
 * second entry.
 */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp?: string;
  readonly headers?: RawRecord['headers'];
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  readonly spec?: { readonly id: string; readonly version: number };
  /** The letter's id when not the record's coordinates (a backfill's event has an id of its own). */
  readonly id?: string;
}

/** One Kafka header of a stored letter; `value` null for a header without a value. */
export interface StoredHeader {
  readonly name: string;
  readonly value: Buffer | Binary | null;
}

export interface StoredDeadLetter {
  readonly _id: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The key as text when its bytes are UTF-8 (else null, and `keyBytes` holds them). */
  readonly key: string | null;
  /** The value as text when its bytes are UTF-8 (else null, and `valueBytes` holds them). */
  readonly value: string | null;
  readonly keyBytes?: Buffer | Binary | null;
  readonly valueBytes?: Buffer | Binary | null;
  /** Absent on letters stored before headers and timestamps were kept. */
  readonly headers?: readonly StoredHeader[];
  readonly timestamp?: string | null;
  readonly code: string;
  readonly message: string;
  readonly details: unknown;
  readonly spec: { readonly id: string; readonly version: number } | null;
  readonly deadLetteredAt: Date;
  readonly replayed: boolean;
}

export interface DeadLetterSink {
  readonly collection: Collection<StoredDeadLetter>;
  send(letters: readonly DeadLetter[]): Promise<void>;
}

export const DEAD_LETTER_COLLECTION = 'dead_letters';

export function createDeadLetterSink(options: { producer: Producer; db: Db; topic: string }): DeadLetterSink {
  const collection = options.db.collection<StoredDeadLetter>(DEAD_LETTER_COLLECTION);
  return {
    collection,
    async send(letters) {
      if (letters.length === 0) return;
      const messageOf = (letter: DeadLetter, withValue = true): Message => ({
        key: letter.key,
        value: withValue ? letter.value : null,
        headers: {
          ...originalHeaders(letter.headers),
          ...(withValue ? {} : { 'canonql-value-omitted': String(letter.value?.length ?? 0) }),
          'canonql-error-code': letter.code,
          'canonql-error-message': letter.message.slice(0, 4000),
          'canonql-original-topic': letter.topic,
          'canonql-original-partition': String(letter.partition),
          'canonql-original-offset': letter.offset,
          ...(letter.spec ? { 'canonql-spec-id': letter.spec.id, 'canonql-spec-version': String(letter.spec.version) } : {}),
        },
      });
      try {
        await options.producer.send({ topic: options.topic, acks: -1, messages: letters.map((letter) => messageOf(letter)) });
      } catch (error) {
        if (!isMessageTooLarge(error)) throw error;
        // Over the dead-letter topic's size limit (an oversized record's letter): one by one, and a
        // letter too large alone goes without its value, which the collection below keeps whole.
        for (const letter of letters) {
          await options.producer.send({ topic: options.topic, acks: -1, messages: [messageOf(letter)] }).catch(async (e: unknown) => {
            if (!isMessageTooLarge(e)) throw e;
            await options.producer.send({ topic: options.topic, acks: -1, messages: [messageOf(letter, false)] });
          });
        }
      }
      const now = new Date();
      for (const letter of letters) {
        const id = letter.id ?? `${letter.topic}:${letter.partition}:${letter.offset}:${letter.spec?.id ?? '-'}`;
        await collection.updateOne(
          { _id: id },
          {
            $setOnInsert: {
              topic: letter.topic,
              partition: letter.partition,
              offset: letter.offset,
              ...storedBytes('key', letter.key),
              ...storedBytes('value', letter.value),
              headers: storedHeaders(letter.headers),
              timestamp: letter.timestamp ?? null,
              code: letter.code,
              message: letter.message,
              details: letter.details ?? null,
              spec: letter.spec ?? null,
              deadLetteredAt: now,
              replayed: false,
            },
          },
          { upsert: true },
        );
      }
    },
  };
}

/** The original record's headers, carried onto the dead-letter topic (canonql's own come after). */
function originalHeaders(headers: RawRecord['headers']): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) out[name] = value;
  return out;
}

function storedBytes(field: 'key' | 'value', bytes: Buffer | null): Record<string, string | Buffer | null> {
  if (bytes === null) return { [field]: null };
  return isUtf8(bytes) ? { [field]: bytes.toString('utf8') } : { [field]: null, [`${field}Bytes`]: bytes };
}

function storedHeaders(headers: RawRecord['headers']): StoredHeader[] {
  return Object.entries(headers ?? {}).map(([name, value]) => ({ name, value: value === undefined ? null : Buffer.from(value) }));
}

/** Where a stored letter's record was consumed: what replays order letters by. */
export type LetterPosition = Pick<StoredDeadLetter, '_id' | 'topic' | 'partition' | 'offset' | 'spec'>;

/**
 * The order records were consumed in: by topic, partition, then offset as a number (offset 9
 * before offset 10, which the letters' ids `topic:partition:offset:spec` sort the other way round
 * as text), then spec and id. A replay applies letters in this order, so of two changes of one
 * entity the older is applied first: applied after the newer one, it is stale, and a partial
 * update (a MongoDB `updateDescription`) would lose its fields.
 */
export function compareLetterPositions(a: LetterPosition, b: LetterPosition): number {
  return (
    compareText(a.topic, b.topic) ||
    a.partition - b.partition ||
    compareOffsets(a.offset, b.offset) ||
    compareText(a.spec?.id ?? '', b.spec?.id ?? '') ||
    compareText(a._id, b._id)
  );
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Kafka offsets as numbers (decimal text of any length); text that is not one sorts as text, after. */
function compareOffsets(a: string, b: string): number {
  const digits = /^\d+$/;
  const numeric = [digits.test(a), digits.test(b)];
  if (numeric[0] !== numeric[1]) return numeric[0] ? -1 : 1;
  if (!numeric[0]) return compareText(a, b);
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length - y.length || compareText(x, y);
}

/** The exact bytes of a stored letter's key or value. */
export function letterBytes(letter: StoredDeadLetter, field: 'key' | 'value'): Buffer | null {
  const bytes = field === 'key' ? letter.keyBytes : letter.valueBytes;
  if (bytes) return toBuffer(bytes);
  const text = letter[field];
  return text === null ? null : Buffer.from(text, 'utf8');
}

/** A stored letter as the record it was: bytes, headers and timestamp as Kafka delivered them. */
export function letterRecord(letter: StoredDeadLetter): RawRecord {
  const headers = letter.headers?.length
    ? Object.fromEntries(letter.headers.map((h) => [h.name, h.value === null ? undefined : toBuffer(h.value)]))
    : undefined;
  return {
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    key: letterBytes(letter, 'key'),
    value: letterBytes(letter, 'value'),
    ...(letter.timestamp ? { timestamp: letter.timestamp } : {}),
    ...(headers ? { headers } : {}),
  };
}

function toBuffer(bytes: Buffer | Binary): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.value());
}

/**
 * The dead letter of a change whose canonical event is too large for its topic even alone: the
 * entity's state is applied (and its event logged); only the whole canonical event is missing from
 * the topic, where its reference stands when that fits (event-reference.ts). `raw` is
 * the change's record when the caller has it (ingestion, a replay); a backfill folds many records
 * into one event, so its letter has no record and an id of its own (the event's). A replay of such
 * a letter publishes the logged event (`details.eventId`) rather than decoding a record again.
 */
export function oversizedLetter(oversized: OversizedEvent, raw?: RawRecord): DeadLetter {
  const { event, topic, bytes, limit, referencePublished } = oversized;
  return {
    topic: event.source.topic,
    partition: event.source.partition,
    offset: event.source.offset,
    key: raw?.key ?? null,
    value: raw?.value ?? null,
    ...(raw?.timestamp !== undefined ? { timestamp: raw.timestamp } : {}),
    ...(raw?.headers !== undefined ? { headers: raw.headers } : {}),
    code: ErrorCode.EVENT_TOO_LARGE,
    message: `the canonical event of ${event.subject} "${event.key}" version ${event.version} is ${bytes} bytes, over the ${limit}-byte message limit of ${topic} (max.message.bytes); the entity's state is applied, ${
      referencePublished ? 'a reference without before/after is published in its place (bodyOmitted)' : 'the event is not published (nor its reference)'
    }`,
    details: { eventId: event.id, subject: event.subject, key: event.key, version: event.version, bytes, limit, topic, referencePublished },
    spec: event.spec,
    ...(raw ? {} : { id: `${event.source.topic}:${event.source.partition}:${event.source.offset}:${event.spec.id}:event:${event.id}` }),
  };
}
