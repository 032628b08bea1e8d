import { readRange, type PartitionRange, type ReadRangeOptions } from '../infra/read-range';
import type { CanonicalEvent } from '../events/canonical-event';
import { parseCanonicalMessage } from './parse-canonical-message';
import type { FeedMessage } from './subscription';

export type { PartitionRange };

export type ReadTopicRangeOptions = Omit<ReadRangeOptions, 'onMessage' | 'onGap'> & {
  /**
   * Offsets `[expected, found)` the read skipped: offsets of a canonical topic are contiguous, so
   * retention (or deleteRecords) deleted them before they were read.
   */
  readonly onGap: (partition: number, expected: number, found: number) => void;
  /** Receives each canonical event in partition order; the read waits for it (backpressure). */
  readonly onMessage: (message: FeedMessage) => Promise<void>;
  /** The whole event of a reference (an event over the topic's limit, event-reference.ts); null when the log lacks it. */
  readonly resolveReference: (event: CanonicalEvent) => Promise<CanonicalEvent | null>;
};

/**
 * Reads offset ranges of a canonical topic once (see readRange): catches a resuming subscriber up
 * to where the shared live consumer was when it attached.
 */
export function readTopicRange(options: ReadTopicRangeOptions): Promise<void> {
  const { topic } = options;
  return readRange({
    kafka: options.kafka,
    topic,
    ranges: options.ranges,
    groupId: options.groupId,
    logger: options.logger,
    signal: options.signal,
    onGap: options.onGap,
    async onMessage(partition, message) {
      const offset = Number(message.offset);
      const parsed = parseCanonicalMessage(message.value);
      const event = parsed?.bodyOmitted ? await options.resolveReference(parsed) : parsed;
      if (event) await options.onMessage({ partition, offset, timestamp: message.timestamp, event });
      else
        options.logger.warn(
          { topic, partition, offset, eventId: parsed?.id },
          parsed ? 'a reference event whose event the log does not have: skipped' : 'not a canonical event: skipped',
        );
    },
  });
}
