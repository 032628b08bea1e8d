import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { withRetry } from '../infra/retry';
import type { Logger } from '../logger';
import type { FeedMarks, FeedPositions } from './feed-cursor';
import type { CanonicalEvent } from '../events/canonical-event';
import { parseCanonicalMessage } from './parse-canonical-message';
import type { FeedMessage } from './subscription';

/**
 * The one Kafka consumer of an API process's change feed, over every followed canonical topic.
 *
 * It owns its position: for each followed topic, the next offset per partition it has handed on
 * (`positions`). The consumer group is a mere transport (unique per process, nothing committed):
 * on every group join the consumer is *seeked* to these positions, so a restart (to add a topic,
 * or kafkajs' own restart after a crash) resumes exactly where delivery stopped, and anything
 * fetched twice is dropped by the offset check. A subscriber reading `positions(topic)` and
 * attaching in the same tick therefore knows exactly which offsets it will receive live.
 */
export interface FeedConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Follows a topic from its current end. Resolves once the start position is fixed: events from
   * there on reach subscribers, after a consumer restart that follows shortly (coalesced when
   * several topics are added in a row). A topic that does not exist yet is followed once it
   * appears (polled), from its beginning, since all of it is then newer than the request. If this
   * fails (Kafka unreachable), the poll keeps trying.
   */
  follow(topic: string): Promise<void>;
  /** Next offset per partition handed on so far, or undefined while the topic is not followed. */
  positions(topic: string): FeedPositions | undefined;
  /** Per partition, the timestamp of the last record passed (the one just before its position), once one was. */
  marks(topic: string): FeedMarks | undefined;
  /** Resolves true once the topic is followed, false if `signal` aborts first or the feed stops. */
  whenFollowing(topic: string, signal: AbortSignal): Promise<boolean>;
  /** Topics followed now. */
  followed(): string[];
}

export interface FeedConsumerOptions {
  readonly kafka: Kafka;
  /** A connected admin client (offsets and topic existence). */
  readonly admin: Admin;
  readonly groupId: string;
  readonly logger: Logger;
  readonly topicPollIntervalMs: number;
  /**
   * Messages handed on between two yields to the event loop. A fetched batch can hold thousands
   * of messages; handing them all on in one synchronous run would fill every subscriber's buffer
   * before any client could take from it, so subscribers that keep up get a turn in between.
   */
  readonly yieldEvery: number;
  /** Called when a topic starts being followed, with the positions it is followed from. */
  readonly onFollow: (topic: string, positions: FeedPositions) => void;
  readonly onMessage: (topic: string, message: FeedMessage) => void;
  /**
   * The topic's records were found to be another topic's than the ones handed on (it was deleted
   * and made again): its records are handed on again from `positions` (each partition's earliest);
   * `reason` says why.
   */
  readonly onRestart: (topic: string, positions: FeedPositions, reason: string) => void;
  /** The whole event of a reference (an event over the topic's limit, event-reference.ts); null when the log lacks it. */
  readonly resolveReference: (event: CanonicalEvent) => Promise<CanonicalEvent | null>;
}

/** How long a restart waits for more topics to be added (see `scheduleRestart`). */
const RESTART_DEBOUNCE_MS = 100;

export function createFeedConsumer(options: FeedConsumerOptions): FeedConsumer {
  const log = options.logger;
  const delivered = new Map<string, Map<number, number>>();
  const passed = new Map<string, Map<number, string>>();
  const wanted = new Set<string>();
  /** Wanted topics found missing: when they appear they are read from their beginning. */
  const missing = new Set<string>();
  const waiters = new Map<string, Set<(followed: boolean) => void>>();
  let consumer: Consumer | null = null;
  /** Topics the running consumer subscribed to. */
  let consuming = new Set<string>();
  let restartTimer: NodeJS.Timeout | null = null;
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let pollTimer: NodeJS.Timeout | null = null;
  // Start, follow, poll, crash recovery and stop each restart or stop the consumer: one at a time.
  let chain: Promise<void> = Promise.resolve();
  const serially = (work: () => Promise<void>): Promise<void> => {
    const run = chain.then(work);
    chain = run.catch(() => undefined);
    return run;
  };

  const wake = (topic: string, followed: boolean) => {
    for (const resolve of waiters.get(topic) ?? []) resolve(followed);
    waiters.delete(topic);
  };

  // A topic created a moment ago may have no partition leader yet (NOT_LEADER_FOR_PARTITION): a
  // transient failure of the admin client is retried, not a failed start of the whole process.
  const admin = <T>(what: string, work: () => Promise<T>) => withRetry(what, work, { logger: log });
  const offsetsOf = (topic: string) => admin(`reading the offsets of ${topic}`, () => options.admin.fetchTopicOffsets(topic));

  /** Starts following the wanted topics that exist now; returns whether any was added. */
  async function discover(): Promise<boolean> {
    const candidates = [...wanted].filter((topic) => !delivered.has(topic));
    if (candidates.length === 0) return false;
    const existing = new Set(await admin('listing the topics', () => options.admin.listTopics()));
    let added = false;
    for (const topic of candidates) {
      if (!existing.has(topic)) {
        if (!missing.has(topic)) log.info({ topic }, 'canonical topic does not exist yet: following it once it appears');
        missing.add(topic);
        continue;
      }
      const offsets = await offsetsOf(topic);
      const fromStart = missing.has(topic);
      const positions = new Map(offsets.map((o) => [o.partition, Number(fromStart ? o.low : o.high)]));
      delivered.set(topic, positions);
      passed.set(topic, new Map());
      options.onFollow(topic, new Map(positions));
      missing.delete(topic);
      added = true;
      log.info({ topic, from: fromStart ? 'beginning' : 'end' }, 'following canonical topic');
      wake(topic, true);
    }
    return added;
  }

  async function handleBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const positions = delivered.get(batch.topic);
    const marks = passed.get(batch.topic);
    if (!positions || !marks || !isRunning() || isStale()) return;
    const madeAgain = madeAgainIn(batch, positions.get(batch.partition), marks.get(batch.partition));
    if (madeAgain) {
      await restartTopic(batch.topic, madeAgain);
      return;
    }
    let sinceYield = 0;
    for (const message of batch.messages) {
      if (sinceYield >= options.yieldEvery) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (!isRunning() || isStale()) return;
      const offset = Number(message.offset);
      const next = positions.get(batch.partition);
      if (next !== undefined && offset < next) {
        // The record before the position, fetched again to mark it (see GROUP_JOIN).
        if (offset === next - 1 && !marks.has(batch.partition)) marks.set(batch.partition, message.timestamp);
        continue;
      }
      sinceYield += 1;
      const parsed = parseCanonicalMessage(message.value);
      // Looked up before the position moves past the record: a failed look-up fails the batch,
      // which kafkajs fetches again from its start, and the record is not skipped.
      const event = parsed?.bodyOmitted ? await options.resolveReference(parsed) : parsed;
      positions.set(batch.partition, offset + 1);
      marks.set(batch.partition, message.timestamp);
      if (!parsed) {
        log.warn({ topic: batch.topic, partition: batch.partition, offset }, 'not a canonical event: skipped');
        continue;
      }
      if (!event) {
        log.error(
          { topic: batch.topic, partition: batch.partition, offset, eventId: parsed.id },
          'a reference event whose event the log does not have: skipped',
        );
        continue;
      }
      try {
        options.onMessage(batch.topic, { partition: batch.partition, offset, timestamp: message.timestamp, event });
      } catch (error) {
        // A fan-out bug must not stop the feed for every other subscriber.
        log.error({ err: error, topic: batch.topic, offset }, 'change-feed fan-out failed');
      }
    }
    await heartbeat();
  }

  /**
   * Follows a topic that was deleted and made again from each partition's earliest record: its
   * partitions now (fewer, maybe), positions and marks anew, and the consumer sought there, so
   * the records already fetched below the old positions come again.
   */
  async function restartTopic(topic: string, reason: string): Promise<void> {
    const offsets = await offsetsOf(topic);
    const positions = delivered.get(topic);
    const marks = passed.get(topic);
    if (!positions || !marks) return;
    positions.clear();
    marks.clear();
    for (const { partition, low } of offsets) {
      positions.set(partition, Number(low));
      consumer?.seek({ topic, partition, offset: low });
    }
    log.warn({ topic, positions: Object.fromEntries(positions), reason }, 'canonical topic made again: following it from its start');
    try {
      options.onRestart(topic, new Map(positions), reason);
    } catch (error) {
      log.error({ err: error, topic }, 'change-feed restart of a topic failed');
    }
  }

  async function restart(): Promise<void> {
    if (consumer) {
      const old = consumer;
      consumer = null;
      consuming = new Set();
      await old.disconnect();
    }
    if (state !== 'running' || delivered.size === 0) return;
    const topics = [...delivered.keys()];
    const next = options.kafka.consumer({
      groupId: options.groupId,
      // Never create a canonical topic by reading it: ingestion creates them with their partitions.
      allowAutoTopicCreation: false,
      // Only bounds idle polling: the broker answers as soon as any event is there.
      maxWaitTimeInMs: 250,
    });
    consumer = next;
    next.on(next.events.GROUP_JOIN, ({ payload }) => {
      // Runs synchronously inside the join, before the first fetch of the new assignment.
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        const positions = delivered.get(topic);
        for (const partition of partitions) {
          const offset = positions?.get(partition);
          // A partition without a position was added to the topic since: read it all. Every other
          // reads the record before its position again: to mark its cursors with it where it is not
          // known yet (followed from the topic's end, feed-cursor.ts), and to see a topic made again
          // where it is (handleBatch). Retention may have deleted that record; then the fetch
          // starts at the earliest record, which is the position.
          if (offset === undefined) continue;
          next.seek({ topic, partition, offset: String(offset > 0 ? offset - 1 : 0) });
        }
      }
    });
    next.on(next.events.CRASH, ({ payload }) => {
      log.error({ err: payload.error, restart: payload.restart }, 'change-feed consumer crashed');
      if (!payload.restart && state === 'running') {
        setTimeout(
          () =>
            void serially(async () => {
              if (consumer === next) await restart();
            }).catch((error) => log.error({ err: error }, 'change-feed consumer restart failed')),
          1000,
        ).unref();
      }
    });
    try {
      await next.connect();
      // Partitions without a seek (added to a topic later) start at their beginning.
      await next.subscribe({ topics, fromBeginning: true });
      await next.run({ autoCommit: false, eachBatch: handleBatch });
      consuming = new Set(topics);
    } catch (error) {
      // Leave no half-started consumer behind: the poll sees none running and tries again.
      if (consumer === next) consumer = null;
      await next.disconnect().catch(() => undefined);
      throw error;
    }
    log.debug({ groupId: options.groupId, topics }, 'change-feed consumer running');
  }

  /** The consumer is not running, or not over every followed topic. */
  const needsRestart = () => state === 'running' && delivered.size > 0 && (consumer === null || [...delivered.keys()].some((t) => !consuming.has(t)));

  /**
   * Follows whatever wanted topic exists now and (re)starts the consumer if it is not running
   * over all of them; the poll calls it again after any failure, so the feed heals by itself.
   */
  async function catchUpWithWanted(): Promise<void> {
    if (state !== 'running') return;
    await discover();
    if (needsRestart()) await restart();
  }

  /**
   * Restarts soon, once for several topics added in a row (a process registering its subjects
   * one by one at start-up): every restart is a group join, which brokers delay (3 s by default).
   * Nothing is lost meanwhile: the new topics' positions are fixed already.
   */
  const scheduleRestart = () => {
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      restartTimer = null;
      void serially(async () => {
        if (needsRestart()) await restart();
      }).catch((error) => log.warn({ err: error }, 'restarting the change-feed consumer failed; will retry'));
    }, RESTART_DEBOUNCE_MS);
  };

  const poll = () => {
    const behind = [...wanted].some((topic) => !delivered.has(topic)) || needsRestart();
    if (state !== 'running' || !behind || restartTimer) return;
    void serially(catchUpWithWanted).catch((error) => log.warn({ err: error }, 'following canonical topics failed; will retry'));
  };

  return {
    async start() {
      if (state !== 'idle') return;
      state = 'running';
      pollTimer = setInterval(poll, options.topicPollIntervalMs);
      pollTimer.unref();
      await serially(catchUpWithWanted);
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      if (pollTimer) clearInterval(pollTimer);
      if (restartTimer) clearTimeout(restartTimer);
      for (const topic of [...waiters.keys()]) wake(topic, false);
      await serially(async () => {
        const old = consumer;
        consumer = null;
        await old?.disconnect();
      });
    },
    async follow(topic) {
      wanted.add(topic);
      if (state !== 'running') return;
      await serially(async () => {
        if (state === 'running' && (await discover())) scheduleRestart();
      });
    },
    positions: (topic) => delivered.get(topic),
    marks: (topic) => passed.get(topic),
    whenFollowing(topic, signal) {
      if (delivered.has(topic)) return Promise.resolve(true);
      if (state === 'stopped' || signal.aborted) return Promise.resolve(false);
      return new Promise((resolve) => {
        const done = (followed: boolean) => {
          signal.removeEventListener('abort', onAbort);
          waiters.get(topic)?.delete(done);
          resolve(followed);
        };
        const onAbort = () => done(false);
        signal.addEventListener('abort', onAbort, { once: true });
        const set = waiters.get(topic) ?? new Set();
        set.add(done);
        waiters.set(topic, set);
      });
    },
    followed: () => [...delivered.keys()],
  };
}

/**
 * Why a partition's batch shows the topic was deleted and made again, or null. kafkajs gives no
 * topic ids; what shows it is the record before the position read again (the seek back at every
 * group join, or kafkajs starting over at the earliest record when the position is past the end of
 * a topic made again) with another Kafka timestamp than the one handed on. A batch below the
 * position without that record (a shorter topic, or kafkajs fetching a failed batch again) shows
 * nothing: its records were handed on, or are to be once the new topic reaches the position.
 */
export function madeAgainIn(
  batch: Pick<EachBatchPayload['batch'], 'messages' | 'partition'>,
  next: number | undefined,
  mark: string | undefined,
): string | null {
  const first = batch.messages[0];
  if (next === undefined || mark === undefined || !first || Number(first.offset) >= next) return null;
  const before = batch.messages.find((message) => Number(message.offset) === next - 1);
  if (!before || before.timestamp === mark) return null;
  return `the record at offset ${next - 1} of partition ${batch.partition} is another one than the one handed on (timestamp ${before.timestamp}, not ${mark})`;
}
