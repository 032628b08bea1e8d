import type { Collection, Db } from 'mongodb';
import type { Message, Producer } from 'kafkajs';
import { isMessageTooLarge } from '../events/message-size-limit';

/**
 * Where messages that can never succeed go (bad JSON, unknown envelope, mapping or validation
 * failure): the original bytes unchanged on the dead-letter topic with the reason in headers, and
 * a document in the dead-letter collection for the API. The id is derived from the original
 * coordinates, so a replay of the same poison message does not add a second entry.
 */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  readonly spec?: { readonly id: string; readonly version: number };
}

export interface StoredDeadLetter {
  readonly _id: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
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
        const id = `${letter.topic}:${letter.partition}:${letter.offset}:${letter.spec?.id ?? '-'}`;
        await collection.updateOne(
          { _id: id },
          {
            $setOnInsert: {
              topic: letter.topic,
              partition: letter.partition,
              offset: letter.offset,
              key: letter.key?.toString('utf8') ?? null,
              value: letter.value?.toString('utf8') ?? null,
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
