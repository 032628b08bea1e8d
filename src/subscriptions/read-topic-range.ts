import { readRange, type PartitionRange, type ReadRangeOptions } from '../infra/read-range';
import { parseCanonicalMessage } from './parse-canonical-message';
import type { FeedMessage } from './subscription';

export type { PartitionRange };

export type ReadTopicRangeOptions = Omit<ReadRangeOptions, 'onMessage' | 'onGap'> & {
  /** Receives each canonical event in partition order; the read waits for it (backpressure). */
  readonly onMessage: (message: FeedMessage) => Promise<void>;
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
    // Offsets of a canonical topic are contiguous: a gap means retention deleted events while we read.
    onGap: (partition, expected, offset) => options.logger.warn({ topic, partition, expected, offset }, 'catch-up skipped offsets deleted by retention'),
    async onMessage(partition, message) {
      const offset = Number(message.offset);
      const event = parseCanonicalMessage(message.value);
      if (event) await options.onMessage({ partition, offset, event });
      else options.logger.warn({ topic, partition, offset }, 'not a canonical event: skipped');
    },
  });
}
