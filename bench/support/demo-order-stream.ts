import type { Message } from 'kafkajs';
import { createDemoOrders } from '../../src/demo/demo-orders';
import { seededRandom } from '../../test/support/seeded-random';

/**
 * The demo shop's order events (creates, line edits, status changes, deletes) for the metrics
 * benchmarks: seeded, so every run and every benchmark gets the same stream, at least `events`
 * change events (tombstones come on top), 2,000 orders, 7 s apart from 2024-05-01.
 */
export function demoOrderStream(events: number): Message[] {
  const random = seededRandom(42);
  let clock = Date.UTC(2024, 4, 1);
  const demo = createDemoOrders({ random, now: () => (clock += 7_000), maxOrders: 2_000 });
  const messages: Message[] = [];
  let changes = 0;
  while (changes < events) {
    const next = demo.next(100).messages;
    messages.push(...next);
    changes += next.filter((m) => m.value !== null).length;
  }
  return messages;
}
