import type { FeedPositions } from './feed-cursor';
import type { FeedMessage } from './subscription';

interface PartitionLog {
  /** Every message handed on from this offset on is kept (first offset not evicted). */
  coveredFrom: number;
  messages: FeedMessage[];
  /** Index of the oldest kept message in `messages` (evicted ones are spliced off in bulk). */
  head: number;
}

/**
 * The last messages the feed handed on, per partition of each followed topic. Most resumes are
 * clients reconnecting after a short drop (or moving to another replica when one restarts), whose
 * cursors are seconds old: serving those from memory spares Kafka a consumer group per reconnect,
 * which in a reconnect storm would be thousands at once. Older cursors are read from Kafka.
 */
export class RecentEvents {
  private readonly topics = new Map<string, Map<number, PartitionLog>>();

  constructor(private readonly perPartition: number) {}

  /** Starts keeping a topic's messages from `positions` (where the feed starts following it). */
  begin(topic: string, positions: FeedPositions): void {
    const partitions = this.topics.get(topic) ?? new Map<number, PartitionLog>();
    for (const [partition, offset] of positions) {
      if (!partitions.has(partition)) partitions.set(partition, { coveredFrom: offset, messages: [], head: 0 });
    }
    this.topics.set(topic, partitions);
  }

  /** Forgets what a topic held: its records from `positions` on are another topic's (made again). */
  restart(topic: string, positions: FeedPositions): void {
    this.topics.delete(topic);
    this.begin(topic, positions);
  }

  record(topic: string, message: FeedMessage): void {
    const log = this.topics.get(topic)?.get(message.partition);
    if (!log) return;
    if (this.perPartition === 0) {
      log.coveredFrom = message.offset + 1;
      return;
    }
    log.messages.push(message);
    if (log.messages.length - log.head > this.perPartition) {
      log.coveredFrom = log.messages[log.head]!.offset + 1;
      log.head += 1;
      if (log.head >= this.perPartition) {
        log.messages.splice(0, log.head);
        log.head = 0;
      }
    }
  }

  /** The kept messages of offsets `[from, to)` of a partition, or null when some may be missing. */
  range(topic: string, partition: number, from: number, to: number): FeedMessage[] | null {
    const log = this.topics.get(topic)?.get(partition);
    if (!log || from < log.coveredFrom) return null;
    const { messages } = log;
    // Not handed on up to `to` yet (the feed reading a topic made again from its start, behind a
    // cursor of the old one): what is kept is not all there is.
    const end = messages.length > log.head ? messages[messages.length - 1]!.offset + 1 : log.coveredFrom;
    if (to > end) return null;
    let low = log.head;
    let high = messages.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (messages[mid]!.offset < from) low = mid + 1;
      else high = mid;
    }
    const kept: FeedMessage[] = [];
    for (let i = low; i < messages.length && messages[i]!.offset < to; i += 1) kept.push(messages[i]!);
    return kept;
  }
}
