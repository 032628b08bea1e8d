import { decodeOpaqueCursor, encodeOpaqueCursor } from '../infra/opaque-cursor';

/**
 * A change-feed cursor: a position in one subject's canonical topic, as the next offset to read
 * per partition. Clients treat it as an opaque string; it is base64url of
 * `{"v":1,"t":"<topic>","o":{"<partition>":<next offset>}}`.
 *
 * Kafka offsets (not event ids or timestamps) are the position because they are what the topic
 * can be read from again, and per partition they are exactly the order subscribers receive.
 * The topic is part of the cursor so a cursor of one subject is never taken for another's.
 */
export type FeedPositions = ReadonlyMap<number, number>;

export interface FeedCursor {
  readonly topic: string;
  readonly positions: FeedPositions;
}

const VERSION = 1;

export function encodeCursor(topic: string, positions: FeedPositions): string {
  const offsets: Record<string, number> = {};
  for (const [partition, offset] of positions) offsets[String(partition)] = offset;
  return encodeOpaqueCursor({ v: VERSION, t: topic, o: offsets });
}

/** The cursor's topic and positions, or null when the string is not a cursor this code wrote. */
export function decodeCursor(cursor: string): FeedCursor | null {
  const parsed = decodeOpaqueCursor(cursor);
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { v, t, o } = parsed as { v?: unknown; t?: unknown; o?: unknown };
  if (v !== VERSION || typeof t !== 'string' || t === '' || typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const positions = new Map<number, number>();
  for (const [partition, offset] of Object.entries(o)) {
    if (!/^(0|[1-9]\d*)$/.test(partition) || !Number.isSafeInteger(offset) || (offset as number) < 0) return null;
    positions.set(Number(partition), offset as number);
  }
  return { topic: t, positions };
}
