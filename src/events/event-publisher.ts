import type { Producer } from 'kafkajs';
import { canonicalTopic, type CanonicalEvent } from './canonical-event';

/**
 * Publishes canonical events to `canonical.<subject>`, keyed by entity key so one entity's events
 * stay in order on one partition. The producer is idempotent (no duplicates from its own retries);
 * duplicates from a replay carry the same event id in the `canonql-event-id` header.
 */
export interface EventPublisher {
  publish(events: readonly CanonicalEvent[]): Promise<void>;
}

export function createEventPublisher(producer: Producer, topicPrefix = 'canonical.'): EventPublisher {
  return {
    async publish(events) {
      if (events.length === 0) return;
      const byTopic = new Map<string, CanonicalEvent[]>();
      for (const event of events) {
        const topic = canonicalTopic(event.subject, topicPrefix);
        // Appending in place: copying the list per event made a batch of n events cost O(n²).
        const list = byTopic.get(topic);
        if (list) list.push(event);
        else byTopic.set(topic, [event]);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((event) => ({
            key: event.key,
            value: JSON.stringify(event),
            headers: { 'canonql-event-id': event.id, 'canonql-op': event.op },
          })),
        })),
      });
    },
  };
}
