import { decodeOpaqueCursor, encodeOpaqueCursor } from '../infra/opaque-cursor';

/**
 * A change-feed cursor: a position in one subject's canonical topic, as the next offset to read
 * per partition. Clients treat it as an opaque string; it is base64url of
 * `{"v":1,"t":"<topic>","o":{"<partition>":<next offset>},"m":{"<partition>":"<timestamp>"}}`.
 *
 * Kafka offsets (not event ids or timestamps) are the position because they are what the topic
 * can be read from again, and per partition they are exactly the order subscribers receive.
 * The topic is part of the cursor so a cursor of one subject is never taken for another's.
 *
 * `m` marks where the offsets were: per partition, the Kafka timestamp of the record just before
 * the position (the last one passed), where the feed had passed one. A topic deleted and made
 * again restarts its offsets, so an old cursor's offsets may exist in the new topic too, naming
 * other records; the record before the position then has another timestamp, and the resume is
 * refused (TOPIC_RECREATED) instead of silently skipping the new topic's first records.
 * `m` is optional, so cursors written before it are still read (they resume unchecked), and
 * releases before it read a cursor with marks as one without (a rolling upgrade or a rollback
 * loses no resume).
 */
export type FeedPositions = ReadonlyMap<number, number>;

/** Per partition, the Kafka timestamp (ms, as Kafka gives it) of the record just before the position. */
export type FeedMarks = ReadonlyMap<number, string>;

export interface FeedCursor {
  readonly topic: string;
  readonly positions: FeedPositions;
  readonly marks: FeedMarks;
}

const VERSION = 1;

export function encodeCursor(topic: string, positions: FeedPositions, marks: FeedMarks = new Map()): string {
  const offsets: Record<string, number> = {};
  const before: Record<string, string> = {};
  for (const [partition, offset] of positions) {
    offsets[String(partition)] = offset;
    const mark = offset > 0 ? marks.get(partition) : undefined;
    if (mark !== undefined) before[String(partition)] = mark;
  }
  return encodeOpaqueCursor({ v: VERSION, t: topic, o: offsets, m: before });
}

/** The cursor's topic, positions and marks, or null when the string is not a cursor this code wrote. */
export function decodeCursor(cursor: string): FeedCursor | null {
  const parsed = decodeOpaqueCursor(cursor);
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { v, t, o, m } = parsed as { v?: unknown; t?: unknown; o?: unknown; m?: unknown };
  if (v !== VERSION || typeof t !== 'string' || t === '' || !isRecord(o) || (m !== undefined && !isRecord(m))) return null;
  const positions = new Map<number, number>();
  for (const [partition, offset] of Object.entries(o)) {
    if (!isPartition(partition) || !Number.isSafeInteger(offset) || (offset as number) < 0) return null;
    positions.set(Number(partition), offset as number);
  }
  const marks = new Map<number, string>();
  for (const [partition, mark] of Object.entries(m ?? {})) {
    // A mark is a Kafka timestamp (`-1` where the record had none) of a partition the cursor has a position in.
    if (!isPartition(partition) || typeof mark !== 'string' || !/^-?\d{1,20}$/.test(mark) || !positions.has(Number(partition))) return null;
    marks.set(Number(partition), mark);
  }
  return { topic: t, positions, marks };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isPartition = (text: string) => /^(0|[1-9]\d*)$/.test(text);
