import { AppError, ErrorCode } from '../errors';
import type { CanonicalEvent } from '../events/canonical-event';
import { encodeCursor, type FeedMarks, type FeedPositions } from './feed-cursor';
import type { FeedItem, ResyncCode } from './feed-item';
import { SubscriberTooSlowError } from './subscriber-too-slow-error';

/** One canonical event read from a subject's topic, with where it was read. */
export interface FeedMessage {
  readonly partition: number;
  readonly offset: number;
  /** The Kafka record's timestamp (what a cursor marks its position with, feed-cursor.ts). */
  readonly timestamp: string;
  readonly event: CanonicalEvent;
  /**
   * The feed's own cursor after this message, encoded once for all subscribers. Only valid while
   * the feed hands the message on live (it reads the feed's current positions).
   */
  readonly liveCursor?: () => string;
}

export interface SubscriptionOptions {
  readonly subject: string;
  readonly topic: string;
  /** Most undelivered live items held for this subscriber before it is ended as too slow. */
  readonly maxBuffered: number;
  readonly filter?: (event: CanonicalEvent) => boolean;
  /** The feed's live positions in the topic now. */
  readonly livePositions: () => FeedPositions | undefined;
  /** Called once when the subscription ends for any reason, so the feed stops fanning out to it. */
  readonly onEnd: (subscription: Subscription) => void;
}

/** Entities whose last version a subscription remembers for de-duplication (about 100 bytes each). */
export const MAX_REMEMBERED_ENTITIES = 100_000;

type PendingNext = { resolve: (result: IteratorResult<FeedItem>) => void; reject: (error: unknown) => void };

/**
 * One subscriber: the async iterator handed to GraphQL, with its bounded buffers and its position
 * in the subject's topic.
 *
 * Items come from two kinds of producers. The feed's fan-out offers live messages synchronously
 * and cannot wait, so the live buffer is bounded and overflowing it ends the subscriber
 * ({@link SubscriberTooSlowError}). Catch-up and snapshot readers are pulled: they await room in the
 * buffer, so they never make a subscriber "too slow". While they run, live messages are *held*
 * (bounded too) and released afterwards through the same offset check, which drops whatever the
 * readers already delivered: that check is what makes the catch-up/live boundary exact.
 *
 * A hand-written iterator rather than an async generator, because `return()` on a generator waits
 * for a pending `next()`, and a client that unsubscribes must be let go at once.
 */
export class Subscription implements AsyncIterableIterator<FeedItem> {
  private readonly queue: FeedItem[] = [];
  /** Live messages held while catch-up or snapshot items are produced; null when streaming live. */
  private held: FeedMessage[] | null = null;
  /** Next offset per partition: the cursor of the last item (or skipped message) passed. */
  private positions = new Map<number, number>();
  /** The timestamp of the record before each position, where known (the cursor's marks). */
  private marks = new Map<number, string>();
  private cursorText: string | null = null;
  /**
   * True while this subscriber's positions are the feed's (a live subscriber that started live or
   * caught up exactly): its cursors are then the feed's, encoded once per event for everyone
   * instead of once per subscriber, which was most of the fan-out's cost.
   */
  private inSync = false;
  /**
   * The newest version of each entity this subscriber was sent or has seen (snapshot items, events,
   * events just before its resume cursor): an event at or below it is a re-send (the same change
   * published twice after a crash) or already reflected in the snapshot, and is dropped, so each
   * change reaches a subscription once. Versions only grow per entity, across hard deletes too.
   * Bounded: the least recently changed entities are forgotten first.
   */
  private versions = new Map<string, number>();
  private failure: unknown = null;
  private ended = false;
  private pendingNext: PendingNext | null = null;
  private roomWaiters: (() => void)[] = [];
  private readonly ending = new AbortController();

  constructor(private readonly options: SubscriptionOptions) {}

  get subject(): string {
    return this.options.subject;
  }

  /** True until the subscription ended (returned, failed or the feed stopped). */
  get open(): boolean {
    return !this.ended;
  }

  /** Aborted when the subscription ends, so readers working for it stop. */
  get signal(): AbortSignal {
    return this.ending.signal;
  }

  /** Streams live messages from `positions` on. */
  streamFrom(positions: FeedPositions, marks: FeedMarks): void {
    this.setPositions(positions, marks);
    this.held = null;
    this.inSync = true;
  }

  /** Holds live messages (from `positions` on) until {@link release}, while earlier items are produced. */
  holdLiveFrom(positions: FeedPositions, marks: FeedMarks): void {
    this.setPositions(positions, marks);
    this.held = [];
  }

  /** Moves the position (to a resume cursor) before caught-up messages are offered. */
  moveTo(positions: FeedPositions, marks: FeedMarks): void {
    this.setPositions(positions, marks);
  }

  /** A live message from the fan-out. Never waits; ends the subscriber if its buffer overflows. */
  offerLive(message: FeedMessage): void {
    if (this.ended) return;
    if (this.held) {
      this.held.push(message);
      if (this.held.length > this.options.maxBuffered) this.tooSlow();
      return;
    }
    this.accept(message);
    if (this.queue.length > this.options.maxBuffered) this.tooSlow();
  }

  /** A message read by a catch-up reader: waits for room, so the reader is paced by the client. */
  async offerCaughtUp(message: FeedMessage): Promise<void> {
    if (this.queue.length >= this.options.maxBuffered) await this.room();
    if (!this.ended) this.accept(message);
  }

  /** A current entity of the snapshot; events of it up to `version` will not be sent again. */
  async offerSnapshot(key: string, data: Record<string, unknown>, version: number): Promise<void> {
    if (this.queue.length >= this.options.maxBuffered) await this.room();
    if (this.ended) return;
    this.remember(key, version);
    this.push({ kind: 'snapshot', key, data, version, cursor: this.cursor() });
  }

  /** An event just before the resume cursor (delivered before the reconnect): only remembered. */
  seen(message: FeedMessage): void {
    const known = this.versions.get(message.event.key);
    if (known === undefined || message.event.version > known) this.remember(message.event.key, message.event.version);
  }

  /**
   * The feed found the topic's records to be another topic's (it was deleted and made again), and
   * follows it again from `positions`: a streaming subscriber gets a resync (its state is to be
   * fetched again) and the new records from there; one still catching up or reading a snapshot,
   * whose readers read the old positions, is ended with CONFLICT, and resuming from its last
   * cursor is the resync.
   */
  restart(positions: FeedPositions, reason: string): void {
    if (this.ended) return;
    if (this.held) {
      this.fail(new AppError(ErrorCode.CONFLICT, `${reason}; subscribe again with the last cursor`));
      return;
    }
    this.setPositions(positions, new Map());
    // The new topic's versions may repeat the old one's: after the resync every change is new.
    this.versions.clear();
    this.offerResync('TOPIC_RECREATED', reason);
    // The feed starts again from the same positions: its cursors are this subscriber's again.
    this.inSync = samePositions(this.positions, this.options.livePositions());
    if (this.queue.length > this.options.maxBuffered) this.tooSlow();
  }

  offerResync(code: ResyncCode, reason: string): void {
    if (!this.ended) this.push({ kind: 'resync', code, reason, cursor: this.cursor() });
  }

  /** Delivers the held live messages (paced by the client), then streams live. */
  async release(): Promise<void> {
    const held = this.held;
    if (!held) return;
    while (!this.ended && held.length > 0) {
      if (this.queue.length >= this.options.maxBuffered) {
        await this.room();
        continue;
      }
      // Shifted one by one so `held.length` stays the live backlog the overflow check counts.
      this.accept(held.shift()!);
    }
    // No await between the last check and this: no live message can slip in between.
    if (this.ended) return;
    this.held = null;
    this.inSync = samePositions(this.positions, this.options.livePositions());
  }

  /** Ends the subscription with an error, delivered by the next `next()`; frees its buffers. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.end();
    const pending = this.pendingNext;
    if (pending) {
      this.pendingNext = null;
      this.failure = null;
      pending.reject(error);
    }
  }

  next(): Promise<IteratorResult<FeedItem>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift()!;
      if (this.queue.length < this.options.maxBuffered) this.wakeRoomWaiters();
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.pendingNext = { resolve, reject };
    });
  }

  /** Unsubscribes at once: a pending `next()` resolves as done and buffered items are dropped. */
  return(): Promise<IteratorResult<FeedItem>> {
    this.failure = null;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Same as `return()`: a consumer that throws into the iterator is done with it. */
  throw(_error?: unknown): Promise<IteratorResult<FeedItem>> {
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<FeedItem> {
    return this;
  }

  private accept(message: FeedMessage): void {
    const { partition, offset, event } = message;
    // At or below the position: delivered already (the catch-up/live overlap, a replay after the
    // feed's consumer restarted, or a resume cursor ahead of this process).
    if (offset < (this.positions.get(partition) ?? 0)) {
      this.inSync = false;
      return;
    }
    this.positions.set(partition, offset + 1);
    this.marks.set(partition, message.timestamp);
    this.cursorText = this.inSync && this.held === null && message.liveCursor ? message.liveCursor() : null;
    const known = this.versions.get(event.key);
    if (known !== undefined && event.version <= known) return;
    this.remember(event.key, event.version);
    let wanted = true;
    try {
      wanted = this.options.filter ? this.options.filter(event) : true;
    } catch (error) {
      this.fail(error);
      return;
    }
    if (wanted) this.push({ kind: 'event', event, cursor: this.cursor() });
  }

  private remember(key: string, version: number): void {
    // Re-inserted so the Map's order is least recently changed first.
    this.versions.delete(key);
    this.versions.set(key, version);
    if (this.versions.size > MAX_REMEMBERED_ENTITIES) this.versions.delete(this.versions.keys().next().value!);
  }

  private push(item: FeedItem): void {
    const pending = this.pendingNext;
    if (pending) {
      this.pendingNext = null;
      pending.resolve({ value: item, done: false });
      return;
    }
    this.queue.push(item);
  }

  private cursor(): string {
    return (this.cursorText ??= encodeCursor(this.options.topic, this.positions, this.marks));
  }

  private setPositions(positions: FeedPositions, marks: FeedMarks): void {
    this.positions = new Map(positions);
    this.marks = new Map(marks);
    this.cursorText = null;
    this.inSync = false;
  }

  private tooSlow(): void {
    this.fail(new SubscriberTooSlowError(this.options.subject, this.options.maxBuffered));
  }

  private room(): Promise<void> {
    if (this.ended || this.queue.length < this.options.maxBuffered) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.held = null;
    this.versions.clear();
    const pending = this.pendingNext;
    if (pending && this.failure === null) {
      this.pendingNext = null;
      pending.resolve({ value: undefined, done: true });
    }
    this.wakeRoomWaiters();
    this.ending.abort();
    this.options.onEnd(this);
  }
}

function samePositions(a: FeedPositions, b: FeedPositions | undefined): boolean {
  if (!b || a.size !== b.size) return false;
  for (const [partition, offset] of a) if (b.get(partition) !== offset) return false;
  return true;
}
