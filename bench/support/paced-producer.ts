import type { Message, Producer } from 'kafkajs';
import { sleep } from './bench-common';

/**
 * Produces messages at a steady `rate` per second, catching up in one send when it falls behind,
 * until `total` messages are sent (when given) or `stop()` is called. `next(n)` builds message n
 * (1-based) just before its send, so a timestamp in it is the produce time.
 */
export interface PacedProducer {
  produced(): number;
  /** Resolves when `total` is reached or after `stop()`. */
  readonly done: Promise<{ events: number; seconds: number }>;
  stop(): Promise<void>;
}

export function pacedProducer(
  producer: Producer,
  topic: string,
  options: {
    readonly rate: number;
    readonly next: (n: number) => Message;
    readonly total?: number;
    /** Pause when nothing is due yet. */
    readonly idleMs?: number;
  },
): PacedProducer {
  let produced = 0;
  let running = true;
  const started = performance.now();
  const limit = options.total ?? Infinity;
  const done = (async () => {
    while (running && produced < limit) {
      const due = Math.min(limit, Math.floor(((performance.now() - started) / 1000) * options.rate));
      if (due <= produced) {
        await sleep(options.idleMs ?? 1);
        continue;
      }
      const messages: Message[] = [];
      for (; produced < due; produced += 1) messages.push(options.next(produced + 1));
      await producer.send({ topic, acks: -1, messages });
    }
    return { events: produced, seconds: (performance.now() - started) / 1000 };
  })();
  return {
    produced: () => produced,
    done,
    async stop() {
      running = false;
      await done;
    },
  };
}
