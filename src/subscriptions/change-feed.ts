import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import { AppError, ErrorCode, isAppError } from '../errors';
import { canonicalTopic, type CanonicalEvent } from '../events/canonical-event';
import { createEventLog } from '../events/event-log';
import { resolveReferences } from '../events/event-reference';
import type { Logger } from '../logger';
import { createFeedConsumer } from './feed-consumer';
import { encodeCursor, type FeedMarks, type FeedPositions } from './feed-cursor';
import { DEFAULT_MAX_SUBSCRIBER_BACKLOG } from './subscriber-too-slow-error';
import { feedGroupId } from './feed-group-id';
import type { FeedItem, ResyncCode, SubscribeOptions } from './feed-item';
import { planResume } from './plan-resume';
import { readSnapshot } from './read-snapshot';
import { readTopicRange, type PartitionRange } from './read-topic-range';
import { RecentEvents } from './recent-events';
import { Subscription, type FeedMessage } from './subscription';

export type { FeedItem, SubscribeOptions } from './feed-item';

/**
 * The change feed behind GraphQL subscriptions: one per API process.
 *
 * Every API replica must see every canonical event, so each process reads the canonical topics
 * with one consumer of its own (a group unique to the process, starting at the topics' end) and
 * fans each event out in-process to its subscribers: one Kafka consumer per process, not per
 * subscriber. Positions are Kafka offsets, which makes resuming exact: a subscriber that
 * reconnects with its last cursor is caught up (from the events kept in memory, else from Kafka
 * by a short-lived reader) while its live events are held, and the boundary is an offset
 * comparison, not a guess.
 */
export interface ChangeFeed {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Makes the feed follow a subject's topic (called for every subject, also ones registered later at run time). */
  addSubject(subject: string): Promise<void>;
  /**
   * A subscriber's stream of items. Live events arrive in per-entity order; with `after`, every
   * event after that cursor first (or a `resync` item when that is no longer possible); with
   * `includeSnapshot`, the matching entities first. `return()` unsubscribes at once; a subscriber
   * that falls more than `maxBufferedPerSubscriber` items behind is ended with
   * {@link SubscriberTooSlowError}. Throws AppError NOT_FOUND for a subject never added.
   */
  subscribe(subject: string, options?: SubscribeOptions): AsyncIterableIterator<FeedItem>;
  /** Subscribers and followed topics now (for health output and tests). */
  stats(): { subscribers: number; followedTopics: string[] };
}

export interface ChangeFeedOptions {
  readonly kafka: Kafka;
  readonly db: Db;
  readonly topicPrefix: string;
  readonly logger: Logger;
  /** Most undelivered live items per subscriber before it is ended as too slow (default 1000). */
  readonly maxBufferedPerSubscriber?: number;
  /** How often topics of added subjects that do not exist yet are looked for (default 5000 ms). */
  readonly topicPollIntervalMs?: number;
  /** Consumer group of this process (default: unique per process, see {@link feedGroupId}). */
  readonly groupId?: string;
  /** Entities read per store query while sending a snapshot (default 500). */
  readonly snapshotPageSize?: number;
  /**
   * Last events kept in memory per partition, to resume recent cursors without reading Kafka
   * (default 500; 0 reads every resume from Kafka).
   */
  readonly recentEventsPerPartition?: number;
}

/**
 * Messages before a resume cursor read to recognise re-sends (per partition). A replay after a
 * crash re-publishes the changes of the batches in flight, shortly after their first copy: 200
 * covers that at the rates measured here; a re-send further behind its original is not recognised
 * across a reconnect (within one subscription it always is).
 */
export const RESUME_LOOKBACK = 200;

export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const log = options.logger.child({ component: 'change-feed' });
  const maxBuffered = options.maxBufferedPerSubscriber ?? DEFAULT_MAX_SUBSCRIBER_BACKLOG;
  if (!Number.isInteger(maxBuffered) || maxBuffered < 1) throw new RangeError(`maxBufferedPerSubscriber must be a positive integer, got ${maxBuffered}`);
  const groupId = options.groupId ?? feedGroupId();
  const admin = options.kafka.admin();
  const recent = new RecentEvents(options.recentEventsPerPartition ?? 500);
  const subjects = new Set<string>();
  /** Subscribers attached to the live fan-out, per topic. */
  const attached = new Map<string, Set<Subscription>>();
  /** Every subscription not yet ended (attached or still waiting for its topic). */
  const open = new Set<Subscription>();
  /** Catch-ups and snapshots in flight, so stop() can wait for their readers to let go. */
  const inFlight = new Set<Promise<void>>();
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  // An event over its topic's limit stands there as a reference; subscribers get the whole event from the log.
  const eventLog = createEventLog(options.db);
  const resolveReference = async (event: CanonicalEvent) => (await resolveReferences(eventLog, [event]))[0] ?? null;

  const consumer = createFeedConsumer({
    kafka: options.kafka,
    admin,
    groupId,
    logger: log,
    topicPollIntervalMs: options.topicPollIntervalMs ?? 5000,
    // Well below the limit, so a subscriber that keeps up is never ended by the size of a batch.
    yieldEvery: Math.max(1, Math.min(64, Math.floor(maxBuffered / 4))),
    onFollow: (topic, positions) => recent.begin(topic, positions),
    onRestart(topic, positions, reason) {
      recent.restart(topic, positions);
      const subscribers = attached.get(topic);
      log.warn({ topic, subscribers: subscribers?.size ?? 0 }, 'canonical topic made again: its subscribers are sent a resync');
      for (const subscriber of [...(subscribers ?? [])]) subscriber.restart(positions, `the topic was deleted and made again: ${reason}`);
    },
    resolveReference,
    onMessage(topic, message) {
      recent.record(topic, message);
      const subscribers = attached.get(topic);
      if (!subscribers || subscribers.size === 0) return;
      const positions = consumer.positions(topic)!;
      const marks = consumer.marks(topic)!;
      let cursor: string | null = null;
      const live: FeedMessage = { ...message, liveCursor: () => (cursor ??= encodeCursor(topic, positions, marks)) };
      for (const subscriber of subscribers) subscriber.offerLive(live);
    },
  });

  const attach = (topic: string, subscription: Subscription) => {
    const set = attached.get(topic) ?? new Set<Subscription>();
    set.add(subscription);
    attached.set(topic, set);
  };

  /**
   * Positions the subscription and produces its first items. Everything up to attaching runs in
   * the tick of `subscribe()` when the topic is followed, so a live subscriber misses nothing
   * published after it subscribed.
   */
  async function openSubscription(subscription: Subscription, subject: string, topic: string, request: SubscribeOptions): Promise<void> {
    if (!consumer.positions(topic) && !(await consumer.whenFollowing(topic, subscription.signal))) return;
    if (!subscription.open) return;
    // Captured and attached in one tick: the live messages it will be offered are exactly those
    // at or after `liveStart`.
    const liveStart = new Map(consumer.positions(topic)!);
    const liveMarks = new Map(consumer.marks(topic)!);
    attach(topic, subscription);
    const after = request.after ?? null;
    if (after === null && !request.includeSnapshot) {
      subscription.streamFrom(liveStart, liveMarks);
      return;
    }
    subscription.holdLiveFrom(liveStart, liveMarks);
    if (after !== null) {
      const offsets = await unavailable(ErrorCode.KAFKA_UNAVAILABLE, 'reading the offsets of the topic', () => admin.fetchTopicOffsets(topic));
      const plan = planResume(after, topic, liveStart, offsets);
      if (plan.kind === 'resume') {
        subscription.moveTo(plan.from, plan.marks);
        const lows = new Map(offsets.map((o) => [o.partition, Number(o.low)]));
        const stopped = await catchUp(subscription, subject, topic, plan, lows);
        if (stopped) {
          // Events after the cursor were deleted while the catch-up read them, or the records before
          // it are not the ones it was made after: the events read until then are delivered, then
          // the resync, then the live stream from its start.
          log.info({ subject, code: stopped.code, reason: stopped.reason }, 'subscriber must resync');
          subscription.moveTo(liveStart, liveMarks);
          subscription.offerResync(stopped.code, stopped.reason);
        }
        await subscription.release();
        return;
      }
      log.info({ subject, code: plan.code, reason: plan.reason }, 'subscriber must resync');
      subscription.offerResync(plan.code, plan.reason);
    }
    if (request.includeSnapshot) {
      // The live start was captured before this read: every event below it was published after
      // its state write, so the snapshot reflects it; events from it on are held, and those the
      // snapshot already reflects are dropped by version.
      const entities = readSnapshot(options.db, subject, options.snapshotPageSize);
      for (;;) {
        const next = await unavailable(ErrorCode.STORE_UNAVAILABLE, 'reading the snapshot', () => entities.next());
        if (next.done || !subscription.open) break;
        const entity = next.value;
        if (request.snapshotFilter && !request.snapshotFilter(entity.data, entity._id)) continue;
        await subscription.offerSnapshot(entity._id, entity.data, entity._meta.version);
      }
      await entities.return(undefined);
    }
    await subscription.release();
  }

  /**
   * Offers the messages of `ranges`: from memory when still kept, else read from Kafka. The
   * `RESUME_LOOKBACK` messages before each range's start are read too, only to tell the
   * subscription which versions it was sent before it reconnected: a change published twice (a
   * crash right after a publish, then the replay) on both sides of its cursor then reaches it once.
   * The look-back's record just before the cursor is checked against the cursor's mark of its
   * partition: another timestamp means the topic was deleted and made again since the cursor was
   * made, and its offsets name other records. Returns why the catch-up stopped early, offsets after
   * the cursor found deleted while read (RETENTION) or such a record (TOPIC_RECREATED), or null
   * when every range was read whole.
   */
  async function catchUp(
    subscription: Subscription,
    subject: string,
    topic: string,
    plan: { readonly from: FeedPositions; readonly marks: FeedMarks; readonly ranges: readonly PartitionRange[] },
    lows: ReadonlyMap<number, number>,
  ): Promise<CatchUpStop | null> {
    const { from, marks, ranges } = plan;
    const kept: FeedMessage[] = [];
    const fromKafka: PartitionRange[] = [];
    // A partition with nothing to catch up still gets its look-back: after a restart of this
    // process (its memory starts at the topic's end) the cursor is often exactly there, with the
    // re-sends of the crashed publisher still to come live.
    const withLookback = [...ranges];
    for (const [partition, at] of from) {
      if (!ranges.some((r) => r.partition === partition)) withLookback.push({ partition, from: at, to: at });
    }
    const startOf = new Map(withLookback.map((r) => [r.partition, r.from]));
    // Taken in one tick, before anything is awaited: the ring may evict these soon after.
    for (const range of withLookback) {
      const lookback = { ...range, from: Math.max(lows.get(range.partition) ?? 0, range.from - RESUME_LOOKBACK) };
      const messages = recent.range(topic, range.partition, lookback.from, range.to);
      if (messages) kept.push(...messages);
      else fromKafka.push(lookback);
    }
    // Stops the read when the subscription ends, events after the cursor are found deleted, or the
    // record before the cursor is not the one it was made after.
    const stop = new AbortController();
    let stopped: CatchUpStop | null = null;
    const stopWith = (why: CatchUpStop) => {
      stopped ??= why;
      stop.abort();
    };
    /** The record just before the cursor's position, when it is not the one the cursor marks. */
    const unlike = (message: FeedMessage): CatchUpStop | null => {
      const mark = message.offset === startOf.get(message.partition)! - 1 ? marks.get(message.partition) : undefined;
      if (mark === undefined || mark === message.timestamp) return null;
      return {
        code: 'TOPIC_RECREATED',
        reason: `the cursor was made after another record than the topic holds now (partition ${message.partition}, offset ${message.offset}: timestamp ${message.timestamp}, the cursor's ${mark}; was the topic recreated?)`,
      };
    };
    const offer = (message: FeedMessage) => {
      if (stopped) return Promise.resolve();
      if (message.offset < startOf.get(message.partition)!) {
        const other = unlike(message);
        if (other) stopWith(other);
        else subscription.seen(message);
        return Promise.resolve();
      }
      return subscription.offerCaughtUp(message);
    };
    if (ranges.length > 0) log.debug({ subject, ranges, fromMemory: kept.length, fromKafka }, 'catching a subscriber up');
    // What memory holds is checked whole before any of it is offered. Records read from Kafka are
    // checked as they come, each partition's before its own records (a partition read first may
    // deliver some before another's check stops the catch-up, as retention's does).
    for (const message of kept) {
      const other = unlike(message);
      if (other) return other;
    }
    for (const message of kept) {
      if (!subscription.open) return null;
      await offer(message);
    }
    if (stopped || fromKafka.length === 0 || !subscription.open) return stopped;
    const onEnd = () => stop.abort();
    subscription.signal.addEventListener('abort', onEnd, { once: true });
    const onGap = (partition: number, expected: number, found: number) => {
      const start = startOf.get(partition)!;
      if (found <= start) {
        // Only the look-back lost events: fewer versions known, nothing the subscriber misses.
        log.debug({ topic, partition, expected, found }, 'catch-up look-back: offsets deleted by retention');
        return;
      }
      const first = Math.max(expected, start);
      stopWith({
        code: 'RETENTION',
        reason: `events after the cursor were deleted by retention while they were read (partition ${partition}: offsets ${first} to ${found - 1})`,
      });
    };
    try {
      await unavailable(ErrorCode.KAFKA_UNAVAILABLE, 'reading the events after the cursor', () =>
        readTopicRange({
          kafka: options.kafka,
          topic,
          ranges: fromKafka,
          groupId: `${groupId}-catchup-${crypto.randomBytes(4).toString('hex')}`,
          logger: log,
          signal: stop.signal,
          onMessage: offer,
          onGap,
          resolveReference,
        }),
      );
    } finally {
      subscription.signal.removeEventListener('abort', onEnd);
    }
    return stopped;
  }

  return {
    async start() {
      if (state !== 'idle') return;
      state = 'running';
      await admin.connect();
      await consumer.start();
      log.info({ groupId, topics: consumer.followed() }, 'change feed started');
    },
    async stop() {
      if (state === 'stopped') return;
      const wasRunning = state === 'running';
      state = 'stopped';
      for (const subscription of [...open]) void subscription.return();
      await Promise.allSettled([...inFlight]);
      await consumer.stop();
      if (wasRunning) await admin.disconnect();
      log.info({ groupId }, 'change feed stopped');
    },
    async addSubject(subject) {
      subjects.add(subject);
      await consumer.follow(canonicalTopic(subject, options.topicPrefix));
    },
    subscribe(subject, request = {}) {
      if (state === 'stopped') throw new AppError(ErrorCode.INTERNAL, 'the change feed is stopped');
      if (!subjects.has(subject)) throw new AppError(ErrorCode.NOT_FOUND, `unknown subject "${subject}"`);
      const topic = canonicalTopic(subject, options.topicPrefix);
      const subscription = new Subscription({
        subject,
        topic,
        maxBuffered,
        livePositions: () => consumer.positions(topic),
        ...(request.filter ? { filter: request.filter } : {}),
        onEnd: (ended) => {
          open.delete(ended);
          attached.get(topic)?.delete(ended);
        },
      });
      open.add(subscription);
      const opening = openSubscription(subscription, subject, topic, request).catch((error: unknown) => {
        if (subscription.open) log.warn({ err: error, subject }, 'subscription failed while starting');
        subscription.fail(error);
      });
      inFlight.add(opening);
      void opening.finally(() => inFlight.delete(opening));
      return subscription;
    },
    stats: () => ({ subscribers: open.size, followedTopics: consumer.followed() }),
  };
}

/** Why a catch-up stopped before the end of its ranges (the subscriber is sent a resync). */
interface CatchUpStop {
  readonly code: ResyncCode;
  readonly reason: string;
}

/** Runs `work`; an infrastructure failure becomes a retriable AppError the API can show. */
async function unavailable<T>(code: ErrorCode, doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError(code, `change feed: ${doing} failed: ${error instanceof Error ? error.message : String(error)}`, { retriable: true, cause: error });
  }
}
