import { decodeCursor, type FeedMarks, type FeedPositions } from './feed-cursor';
import type { ResyncCode } from './feed-item';
import type { PartitionRange } from './read-topic-range';

/** Earliest retained and end offset of one partition (`admin.fetchTopicOffsets`). */
export interface PartitionOffsets {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

export type ResumePlan =
  /**
   * Start at `from` (the cursor); read `ranges` from Kafka, then the held live messages. `marks`:
   * the cursor's, which the records just before `from` must match (else the topic was recreated).
   */
  | { readonly kind: 'resume'; readonly from: FeedPositions; readonly marks: FeedMarks; readonly ranges: readonly PartitionRange[] }
  /** The cursor cannot be honoured: the client must refetch, the stream starts live. */
  | { readonly kind: 'resync'; readonly code: ResyncCode; readonly reason: string };

/**
 * Decides how a subscriber resuming after `cursorText` catches up to `liveStart`, the shared
 * consumer's position when the subscriber attached (live messages from there on are held for it).
 *
 * Each partition below the live start is read from the cursor up to the live start; a cursor
 * already past it (from a replica further ahead) just drops the live messages it has seen. A
 * cursor below a partition's earliest retained offset lost events to retention, and one beyond
 * the end, or naming a partition the topic lacks, belongs to an earlier incarnation of the topic:
 * both are a resync. A cursor of an earlier incarnation within the new one's offsets is found by
 * its marks while the records before it are read (change-feed.ts, `catchUp`).
 */
export function planResume(cursorText: string, topic: string, liveStart: FeedPositions, offsets: readonly PartitionOffsets[]): ResumePlan {
  const cursor = decodeCursor(cursorText);
  if (!cursor) return { kind: 'resync', code: 'MALFORMED_CURSOR', reason: 'the cursor is malformed' };
  if (cursor.topic !== topic) return { kind: 'resync', code: 'FOREIGN_CURSOR', reason: `the cursor belongs to topic "${cursor.topic}", not "${topic}"` };
  for (const partition of cursor.positions.keys()) {
    if (!offsets.some((o) => o.partition === partition)) {
      return {
        kind: 'resync',
        code: 'TOPIC_RECREATED',
        reason: `the cursor names partition ${partition}, which topic "${topic}" does not have (was it recreated?)`,
      };
    }
  }
  const from = new Map<number, number>();
  const ranges: PartitionRange[] = [];
  for (const { partition, low, high } of offsets) {
    // A partition missing from the cursor did not exist when it was made: all of it is newer.
    const at = cursor.positions.get(partition) ?? 0;
    if (at < Number(low)) {
      return {
        kind: 'resync',
        code: 'RETENTION',
        reason: `events after the cursor are no longer retained (partition ${partition}: cursor at ${at}, earliest retained ${low})`,
      };
    }
    if (at > Number(high)) {
      return {
        kind: 'resync',
        code: 'TOPIC_RECREATED',
        reason: `the cursor is ahead of the topic (partition ${partition}: cursor at ${at}, end ${high}; was it recreated?)`,
      };
    }
    from.set(partition, at);
    const live = liveStart.get(partition) ?? Number(low);
    if (at < live) ranges.push({ partition, from: at, to: live });
  }
  return { kind: 'resume', from, marks: cursor.marks, ranges };
}
