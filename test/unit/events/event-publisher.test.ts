import type { Producer, ProducerBatch } from 'kafkajs';
import type { CanonicalEvent } from '../../../src/events/canonical-event';
import { createEventPublisher } from '../../../src/events/event-publisher';
import { isMessageTooLarge, type MessageSizeLimit } from '../../../src/events/message-size-limit';

/** A producer that records the batches it is given and refuses any request over `brokerLimit` bytes of values. */
function recordingProducer(brokerLimit: number) {
  const requests: { topic: string; keys: string[] }[] = [];
  const producer = {
    async sendBatch(batch: ProducerBatch) {
      for (const { topic, messages } of batch.topicMessages ?? []) {
        const bytes = messages.reduce((n, m) => n + Buffer.byteLength(String(m.value)), 0);
        if (bytes > brokerLimit)
          throw Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
            type: 'MESSAGE_TOO_LARGE',
            code: 10,
          });
        // A reference (the event without before/after) is recorded as `<key>(ref)`.
        requests.push({ topic, keys: messages.map((m) => `${String(m.key)}${(JSON.parse(String(m.value)) as CanonicalEvent).bodyOmitted ? '(ref)' : ''}`) });
      }
      return [];
    },
  } as unknown as Producer;
  return { producer, requests };
}

const event = (key: string, bytes: number): CanonicalEvent => ({
  id: `id-${key}`,
  subject: 'order',
  key,
  op: 'CREATE',
  version: 1,
  before: null,
  after: { blob: 'x'.repeat(bytes) },
  changedFields: ['blob'],
  spec: { id: 's', version: 1 },
  source: { topic: 'raw', partition: 0, offset: key, position: key, connector: 'mongodb', op: 'c', snapshot: false },
  sourceTsMs: null,
  ingestedAt: '2026-12-02T00:00:00.000Z',
});

const fixedLimit = (limit: number): MessageSizeLimit => ({ limitFor: async () => limit, forget: () => undefined, close: async () => undefined });

describe("event publisher: requests cut to the topic's message size limit", () => {
  it('sends a batch adding up to more than the limit in several requests, in order', async () => {
    const { producer, requests } = recordingProducer(100_000);
    const publisher = createEventPublisher(producer, { sizeLimit: fixedLimit(100_000) });
    const events = Array.from({ length: 10 }, (_, i) => event(`k${i}`, 30_000));
    const { oversized } = await publisher.publish(events);
    expect(oversized).toEqual([]);
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.flatMap((r) => r.keys)).toEqual(events.map((e) => e.key));
  });

  it('returns an event over the limit on its own as oversized and sends its reference in its place', async () => {
    const { producer, requests } = recordingProducer(100_000);
    const publisher = createEventPublisher(producer, { sizeLimit: fixedLimit(100_000) });
    const { oversized } = await publisher.publish([event('a', 10), event('big', 200_000), event('b', 10)]);
    expect(oversized.map((o) => [o.event.key, o.limit, o.referencePublished])).toEqual([['big', 100_000, true]]);
    expect(oversized[0]!.bytes).toBeGreaterThan(200_000);
    // The whole event is returned (for the dead letter); the reference keeps the entity's place in order.
    expect(oversized[0]!.event.after).toEqual({ blob: 'x'.repeat(200_000) });
    expect(requests.flatMap((r) => r.keys)).toEqual(['a', 'big(ref)', 'b']);
  });

  it('sends nothing for an event whose reference is over the limit too (a key that large)', async () => {
    const { producer, requests } = recordingProducer(100_000);
    const publisher = createEventPublisher(producer, { sizeLimit: fixedLimit(100_000) });
    const { oversized } = await publisher.publish([event('a', 10), event('k'.repeat(120_000), 10), event('b', 10)]);
    expect(oversized.map((o) => o.referencePublished)).toEqual([false]);
    expect(requests.flatMap((r) => r.keys)).toEqual(['a', 'b']);
  });

  it('halves a request the broker refuses although the estimate let it through', async () => {
    // The limit read says 1 MB, the broker takes 50 kB: the publisher finds out by halving.
    const { producer, requests } = recordingProducer(50_000);
    const publisher = createEventPublisher(producer, { sizeLimit: fixedLimit(1_000_000) });
    const { oversized } = await publisher.publish([event('a', 20_000), event('b', 20_000), event('c', 20_000), event('big', 60_000), event('d', 20_000)]);
    expect(oversized.map((o) => [o.event.key, o.referencePublished])).toEqual([['big', true]]);
    expect(requests.flatMap((r) => r.keys)).toEqual(['a', 'b', 'c', 'big(ref)', 'd']);
  });

  it("recognises the broker's refusal however kafkajs wraps it", () => {
    const refusal = { type: 'MESSAGE_TOO_LARGE' };
    expect(isMessageTooLarge({ name: 'KafkaJSNonRetriableError', cause: refusal })).toBe(true);
    expect(isMessageTooLarge({ name: 'KafkaJSAggregateError', errors: [new Error('x'), refusal] })).toBe(true);
    expect(isMessageTooLarge({ originalError: { type: 'RECORD_LIST_TOO_LARGE' } })).toBe(true);
    expect(isMessageTooLarge(new Error('connection refused'))).toBe(false);
  });
});
