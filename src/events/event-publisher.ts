import { writeWireFormat } from '../infra/wire-format';
import type { Message, Producer } from 'kafkajs';
import { canonicalTopic, type CanonicalEvent } from './canonical-event';
import { eventJson } from './event-json';
import { referenceOf } from './event-reference';
import { isMessageTooLarge, type MessageSizeLimit } from './message-size-limit';

/**
 * Publishes canonical events to `canonical.<subject>`, keyed by entity key so one entity's events
 * stay in order on one partition. The producer is idempotent (no duplicates from its own retries);
 * duplicates from a replay carry the same event id in the `canonql-event-id` header.
 *
 * Requests are cut to the topic's message size limit (see message-size-limit.ts): kafkajs sends
 * one record batch per partition per request, and the broker refuses a batch over the limit, so
 * consecutive events are grouped while their records add up to less than it, and the groups are
 * sent one after another (per-key order kept). An event whose record alone exceeds the limit is
 * not sent: its reference (event-reference.ts: the event without before/after) is sent in its
 * place, and the event is returned as oversized, for the caller to dead-letter, instead of failing
 * every retry of its batch (a stalled partition). Should the broker still refuse a group (the size
 * is estimated), the group is halved until it passes or a single event is left, which is oversized.
 */
export interface EventPublisher {
  publish(events: readonly CanonicalEvent[]): Promise<PublishOutcome>;
}

export interface PublishOutcome {
  /** Events not published because their record alone is over the topic's limit. */
  readonly oversized: readonly OversizedEvent[];
}

export interface OversizedEvent {
  readonly event: CanonicalEvent;
  readonly topic: string;
  /** Estimated size of the event's record batch, and the topic's limit. */
  readonly bytes: number;
  readonly limit: number;
  /** Whether its reference went to the topic in its place (false: the reference did not fit either). */
  readonly referencePublished: boolean;
}

/** A record batch's fixed header (v2: 61 bytes), plus room for the estimate's error. */
const BATCH_OVERHEAD = 61 + 512;

/**
 * The id of a subject's canonical event schema in the schema registry when its events are
 * published in the registry wire format (magic byte, id, JSON), so a stock registry-aware
 * deserializer reads them; null when they are plain JSON.
 */
export type EventSchemaIds = (subject: string) => number | null;

export function createEventPublisher(
  producer: Producer,
  options: {
    readonly topicPrefix?: string;
    readonly sizeLimit?: MessageSizeLimit;
    /** Subjects published in the registry wire format: their event schema's id (null: plain JSON). */
    readonly schemaIdOf?: EventSchemaIds;
  } = {},
): EventPublisher {
  const topicPrefix = options.topicPrefix ?? 'canonical.';
  return {
    async publish(events) {
      const oversized: OversizedEvent[] = [];
      if (events.length === 0) return { oversized };
      const byTopic = new Map<string, CanonicalEvent[]>();
      for (const event of events) {
        const topic = canonicalTopic(event.subject, topicPrefix);
        // Appending in place: copying the list per event made a batch of n events cost O(n²).
        const list = byTopic.get(topic);
        if (list) list.push(event);
        else byTopic.set(topic, [event]);
      }
      if (!options.sizeLimit) {
        await send(byTopic);
        return { oversized };
      }
      for (const [topic, list] of byTopic) {
        const limit = await options.sizeLimit.limitFor(topic);
        const budget = limit - BATCH_OVERHEAD;
        let group: Sized[] = [];
        let groupBytes = 0;
        for (const event of list) {
          let sized = sizeOf(event, options.schemaIdOf);
          if (sized.bytes > budget) {
            const reference = sizeOf(referenceOf(event), options.schemaIdOf);
            const over = { event, topic, bytes: sized.bytes + 61, limit };
            if (reference.bytes > budget) {
              oversized.push({ ...over, referencePublished: false });
              continue;
            }
            // In the event's place, so the entity's later events stay behind it on the partition.
            oversized.push({ ...over, referencePublished: true });
            sized = reference;
          }
          if (groupBytes + sized.bytes > budget) {
            await sendGroup(topic, group, limit);
            group = [];
            groupBytes = 0;
          }
          group.push(sized);
          groupBytes += sized.bytes;
        }
        if (group.length > 0) await sendGroup(topic, group, limit);
      }
      return { oversized };

      async function sendGroup(topic: string, group: readonly Sized[], limit: number): Promise<void> {
        try {
          await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: group.map((s) => s.message) }] });
        } catch (error) {
          if (!isMessageTooLarge(error)) throw error;
          options.sizeLimit!.forget(topic);
          if (group.length === 1) {
            const { event, bytes } = group[0]!;
            if (event.bodyOmitted) {
              // Its whole event was recorded as oversized (with a reference) when the group was cut.
              const recorded = oversized.findIndex((o) => o.event.id === event.id);
              if (recorded >= 0) oversized[recorded] = { ...oversized[recorded]!, referencePublished: false };
              return;
            }
            const reference = sizeOf(referenceOf(event), options.schemaIdOf);
            oversized.push({ event, topic, bytes: bytes + 61, limit, referencePublished: true });
            await sendGroup(topic, [reference], limit);
            return;
          }
          const half = Math.ceil(group.length / 2);
          await sendGroup(topic, group.slice(0, half), limit);
          await sendGroup(topic, group.slice(half), limit);
        }
      }
    },
  };

  async function send(byTopic: ReadonlyMap<string, readonly CanonicalEvent[]>): Promise<void> {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list.map((event) => messageOf(event, options.schemaIdOf)) })),
    });
  }
}

interface Sized {
  readonly event: CanonicalEvent;
  readonly message: Message;
  readonly bytes: number;
}

/**
 * The event's record, its value encoded once: as bytes, kafkajs writes it as it is and its size is
 * the buffer's length (a string value would be measured, then encoded again by the producer). The
 * JSON is the one the event log stored (event-json.ts).
 */
function messageOf(event: CanonicalEvent, schemaIdOf?: EventSchemaIds): Message & { readonly value: Buffer } {
  const json = Buffer.from(eventJson(event));
  const schemaId = schemaIdOf?.(event.subject) ?? null;
  return {
    key: event.key,
    value: schemaId === null ? json : writeWireFormat(schemaId, json),
    headers: { 'canonql-event-id': event.id, 'canonql-op': event.op },
  };
}

/**
 * A record's size in a v2 record batch: key, value and header bytes plus at most 5 bytes for each
 * varint (length, attributes, timestamp and offset deltas, key/value/header lengths).
 */
function sizeOf(event: CanonicalEvent, schemaIdOf?: EventSchemaIds): Sized {
  const message = messageOf(event, schemaIdOf);
  const headers = Object.entries(message.headers ?? {}).reduce((n, [name, value]) => n + Buffer.byteLength(name) + Buffer.byteLength(String(value)) + 10, 0);
  const bytes = Buffer.byteLength(String(message.key)) + message.value.length + headers + 30;
  return { event, message, bytes };
}
