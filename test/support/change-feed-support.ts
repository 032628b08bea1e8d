import type { Kafka, Producer } from 'kafkajs';
import type { CanonicalEvent } from '../../src/events/canonical-event';
import { ensureTopics } from '../../src/infra/kafka-topics';
import type { Logger } from '../../src/logger';
import type { FeedItem } from '../../src/subscriptions/feed-item';
import { testLogger } from './test-logger';

/**
 * Helpers for change-feed tests: canonical topics and events of a test's own (published the way
 * the ingestion publisher does: keyed by entity key, `canonql-event-id` header), and a reader that
 * takes items from a subscription with time limits.
 */
export const quietLogger = (): Logger => testLogger('warn');

/** Creates a topic with `numPartitions` partitions (if it does not exist yet). */
export function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  return ensureTopics(kafka, [{ topic, numPartitions }]);
}

export function canonicalEvent(subject: string, key: string, version: number, extra: Partial<CanonicalEvent> = {}): CanonicalEvent {
  const after = { name: `${key}-v${version}` };
  return {
    id: `${subject}-${key}-${version}`,
    subject,
    key,
    op: version === 1 ? 'CREATE' : 'UPDATE',
    version,
    before: version === 1 ? null : { name: `${key}-v${version - 1}` },
    after,
    changedFields: ['name'],
    spec: { id: 'test-spec', version: 1 },
    source: { topic: 'raw', partition: 0, offset: String(version), position: String(version), connector: 'test', op: 'u', snapshot: false },
    sourceTsMs: null,
    ingestedAt: new Date().toISOString(),
    ...extra,
  };
}

/** Versions `from..to` of each key, interleaved across keys (what many writers produce). */
export function interleavedEvents(subject: string, keys: readonly string[], from: number, to: number): CanonicalEvent[] {
  const events: CanonicalEvent[] = [];
  for (let version = from; version <= to; version += 1) for (const key of keys) events.push(canonicalEvent(subject, key, version));
  return events;
}

export async function publishEvents(producer: Producer, topic: string, events: readonly CanonicalEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 200) {
    await producer.send({
      topic,
      acks: -1,
      messages: events.slice(i, i + 200).map((event) => ({
        key: event.key,
        value: JSON.stringify(event),
        headers: { 'canonql-event-id': event.id, 'canonql-op': event.op },
      })),
    });
  }
}

export async function connectedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return producer;
}

/** Takes items from a subscription with time limits; a `next()` cut short by one is kept for the next take. */
export class FeedReader {
  private pending: Promise<IteratorResult<FeedItem>> | null = null;
  readonly received: FeedItem[] = [];

  constructor(readonly iterator: AsyncIterableIterator<FeedItem>) {}

  async take(n: number, timeoutMs = 20000): Promise<FeedItem[]> {
    const taken: FeedItem[] = [];
    const deadline = Date.now() + timeoutMs;
    while (taken.length < n) {
      const result = await this.nextWithin(deadline - Date.now());
      if (result === 'timeout') throw new Error(`took ${taken.length} of ${n} items in ${timeoutMs} ms`);
      if (result.done) throw new Error(`the subscription ended after ${taken.length} of ${n} items`);
      taken.push(result.value);
      this.received.push(result.value);
    }
    return taken;
  }

  /** Fails if an item (or the end) arrives within `ms`. */
  async expectQuiet(ms: number): Promise<void> {
    const result = await this.nextWithin(ms);
    if (result !== 'timeout') throw new Error(`expected no item, got ${JSON.stringify(result)}`);
  }

  async nextWithin(ms: number): Promise<IteratorResult<FeedItem> | 'timeout'> {
    this.pending ??= this.iterator.next();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
    });
    try {
      const result = await Promise.race([this.pending, timeout]);
      if (result !== 'timeout') this.pending = null;
      return result;
    } catch (error) {
      this.pending = null;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

export const eventsOf = (items: readonly FeedItem[]): CanonicalEvent[] => items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));

/** Versions received per key, in arrival order. */
export function versionsByKey(events: readonly CanonicalEvent[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const event of events) byKey.set(event.key, [...(byKey.get(event.key) ?? []), event.version]);
  return byKey;
}
