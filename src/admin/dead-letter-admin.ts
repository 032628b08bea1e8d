import { isUtf8 } from 'node:buffer';
import type { Collection, Db, Filter } from 'mongodb';
import { AppError, ErrorCode } from '../errors';
import type { EventLog } from '../events/event-log';
import type { CanonicalEvent } from '../events/canonical-event';
import type { EventPublisher } from '../events/event-publisher';
import { compareLetterPositions, DEAD_LETTER_COLLECTION, letterRecord, oversizedLetter, type StoredDeadLetter } from '../ingestion/dead-letter';
import { createPipeline, type Outcome, type PipelineSpec } from '../ingestion/pipeline';
import type { Validate } from '../ingestion/plan-change';
import type { EntityStore } from '../state/entity-store';
import type { DecodeLimits } from '../ingestion/debezium/decode-limits';
import type { BatchDecoder } from '../ingestion/registry/registry-decoder';

/**
 * Dead letters through the API: list them by topic, spec, error code and time, and replay them
 * after a fix. A replay runs the stored original record through the ingestion pipeline with the
 * specs active now (only the spec that failed, when the letter names one: the others applied the
 * record already). Letters are replayed in the order their records were consumed (topic,
 * partition, numeric offset), so of two changes of one entity the older is applied first. Each
 * letter ends either resolved (applied, or a no-op because a later change superseded it) or still
 * dead-lettered with its new reason. Nothing is duplicated: the entity's source-position guard
 * makes a second replay of the same record a no-op, and the letter keeps its id
 * (topic:partition:offset:spec), so it is updated in place.
 */
export interface DeadLetterFilter {
  readonly topic?: string;
  readonly specId?: string;
  readonly code?: string;
  readonly since?: Date;
  readonly until?: Date;
  /** Include letters already replayed successfully (default: only open ones). */
  readonly includeResolved?: boolean;
}

export interface DeadLetterView extends Omit<StoredDeadLetter, '_id' | 'keyBytes' | 'valueBytes' | 'headers' | 'timestamp'> {
  readonly id: string;
  /** The exact bytes, base64 (the text fields are null when the bytes are not UTF-8). */
  readonly keyBase64: string | null;
  readonly valueBase64: string | null;
  readonly headers: readonly { readonly name: string; readonly value: string | null; readonly valueBase64: string | null }[];
  /** The Kafka record timestamp (ms since the epoch), when it was kept. */
  readonly timestamp: string | null;
  readonly attempts: number;
  readonly lastReplayedAt: Date | null;
  readonly resolution: string | null;
}

export interface ReplayResult {
  readonly id: string;
  /**
   * applied, duplicate, stale (resolved) or dead-lettered (still failing). `stale` with code
   * SUPERSEDED: the logged event of an EVENT_TOO_LARGE letter is older than the entity's state, so
   * it is not published (it would reach the topic after the newer change).
   */
  readonly outcome: Outcome;
  readonly code: string | null;
  readonly message: string | null;
}

export interface DeadLetterAdmin {
  list(filter: DeadLetterFilter, first: number, after?: string): Promise<DeadLetterView[]>;
  replay(selection: { ids?: readonly string[]; filter?: DeadLetterFilter }, limit: number): Promise<ReplayResult[]>;
}

/** The code of a replay resolved `stale` because the entity's state is past the letter's event. */
const SUPERSEDED = 'SUPERSEDED';

type Letter = StoredDeadLetter & { attempts?: number; lastReplayedAt?: Date; resolution?: string };

export function createDeadLetterAdmin(deps: {
  readonly db: Db;
  readonly store: EntityStore;
  readonly eventLog: EventLog;
  readonly validate: Validate;
  readonly activeSpecs: () => readonly (PipelineSpec & { readonly topics: readonly string[] })[];
  readonly publisher: () => Promise<EventPublisher>;
  readonly decodeLimits?: DecodeLimits;
  /** Ingestion's record decoder: a letter of a registry-encoded topic is read as ingestion read it. */
  readonly decoder?: BatchDecoder;
}): DeadLetterAdmin {
  const collection = deps.db.collection<Letter>(DEAD_LETTER_COLLECTION) as Collection<Letter>;

  const query = (filter: DeadLetterFilter): Filter<Letter> => {
    const q: Record<string, unknown> = {};
    if (filter.topic !== undefined) q.topic = filter.topic;
    if (filter.specId !== undefined) q['spec.id'] = filter.specId;
    if (filter.code !== undefined) q.code = filter.code;
    if (filter.since || filter.until) {
      q.deadLetteredAt = { ...(filter.since ? { $gte: filter.since } : {}), ...(filter.until ? { $lt: filter.until } : {}) };
    }
    if (!filter.includeResolved) q.replayed = false;
    return q as Filter<Letter>;
  };

  const view = (doc: Letter): DeadLetterView => {
    const { _id, attempts, lastReplayedAt, resolution, keyBytes: _k, valueBytes: _v, headers: _h, timestamp, ...rest } = doc;
    const record = letterRecord(doc);
    return {
      id: _id,
      ...rest,
      keyBase64: record.key?.toString('base64') ?? null,
      valueBase64: record.value?.toString('base64') ?? null,
      headers: Object.entries(record.headers ?? {}).map(([name, value]) => {
        const bytes = value === undefined ? null : Buffer.from(value);
        return { name, value: bytes && isUtf8(bytes) ? bytes.toString('utf8') : null, valueBase64: bytes?.toString('base64') ?? null };
      }),
      timestamp: timestamp ?? null,
      attempts: attempts ?? 0,
      lastReplayedAt: lastReplayedAt ?? null,
      resolution: resolution ?? null,
    };
  };

  return {
    async list(filter, first, after) {
      const q = query(filter) as Record<string, unknown>;
      if (after !== undefined) q._id = { $gt: after };
      const docs = await collection
        .find(q as Filter<Letter>)
        .sort({ _id: 1 })
        .limit(first)
        .toArray();
      return docs.map(view);
    },

    async replay(selection, limit) {
      if (!selection.ids && !selection.filter) throw new AppError(ErrorCode.BAD_USER_INPUT, 'name the dead letters to replay: ids or a filter');
      const q: Record<string, unknown> = selection.ids ? { _id: { $in: [...selection.ids] } } : query(selection.filter!);
      // In consumed order (topic, partition, numeric offset): the ids sort offset 10 before 9 as
      // text. The positions of every match are read and sorted here, then the first `limit` letters.
      const positions = await collection.find(q as Filter<Letter>, { projection: { _id: 1, topic: 1, partition: 1, offset: 1, spec: 1 } }).toArray();
      const chosen = positions.sort(compareLetterPositions).slice(0, limit);
      const found = new Map((await collection.find({ _id: { $in: chosen.map((l) => l._id) } } as Filter<Letter>).toArray()).map((l) => [l._id, l]));
      const letters = chosen.flatMap((l) => found.get(l._id) ?? []);
      if (selection.ids) {
        const missing = selection.ids.filter((id) => !letters.some((l) => l._id === id));
        if (missing.length > 0) {
          throw new AppError(ErrorCode.BAD_USER_INPUT, `unknown dead letters: ${missing.join(', ')}`, {
            details: missing.map((id) => `ids: no dead letter "${id}"`),
          });
        }
      }
      const results: ReplayResult[] = [];
      for (const letter of letters) results.push(await replayOne(letter));
      return results;
    },
  };

  async function replayOne(letter: Letter): Promise<ReplayResult> {
    const tooLarge = letter.code === ErrorCode.EVENT_TOO_LARGE ? await loggedEventOf(letter) : null;
    if (tooLarge) return publishLogged(letter, tooLarge);
    const specs = deps.activeSpecs().filter((s) => s.topics.includes(letter.topic) && (!letter.spec || s.id === letter.spec.id));
    const pipeline = createPipeline({
      store: deps.store,
      eventLog: deps.eventLog,
      validate: deps.validate,
      specsForTopic: () => specs,
      ...(deps.decodeLimits ? { decodeLimits: deps.decodeLimits } : {}),
      ...(deps.decoder ? { decoder: deps.decoder } : {}),
    });
    const record = letterRecord(letter);
    const [result] = await pipeline.processBatch([record]);
    if (!result) throw new AppError(ErrorCode.INTERNAL, `replay of ${letter._id} produced no result`);
    const now = new Date();
    // A duplicate or stale change whose logged event is unpublished: not published once the
    // entity has moved past it (it would reach the topic after the newer change).
    const republishSuperseded = result.publish && result.outcome !== 'applied' && (await supersededBy(result.publish)) !== null;
    if (result.publish && !republishSuperseded) {
      const [oversized] = (await (await deps.publisher()).publish([result.publish])).oversized;
      if (oversized) {
        // Applied, but its event is still too large for the topic: the letter stays open with that
        // reason, and its event stays unpublished in the log, so a replay after the topic's limit is
        // raised finds the change a duplicate and publishes the logged event then.
        const tooLarge = oversizedLetter(oversized, record);
        await collection.updateOne(
          { _id: letter._id },
          { $set: { code: tooLarge.code, message: tooLarge.message, details: tooLarge.details ?? null, lastReplayedAt: now }, $inc: { attempts: 1 } },
        );
        return { id: letter._id, outcome: 'dead-lettered', code: tooLarge.code, message: tooLarge.message };
      }
      await deps.eventLog.markPublished([result.publish.id]);
    }
    if (result.outcome === 'dead-lettered' && result.deadLetter) {
      await collection.updateOne(
        { _id: letter._id },
        {
          $set: { code: result.deadLetter.code, message: result.deadLetter.message, details: result.deadLetter.details ?? null, lastReplayedAt: now },
          $inc: { attempts: 1 },
        },
      );
      return { id: letter._id, outcome: result.outcome, code: result.deadLetter.code, message: result.deadLetter.message };
    }
    if (result.outcome === 'skipped') {
      // No active spec reads the topic now (or the record is not a change): the letter stays open.
      await collection.updateOne({ _id: letter._id }, { $set: { lastReplayedAt: now }, $inc: { attempts: 1 } });
      return { id: letter._id, outcome: result.outcome, code: 'NO_ACTIVE_SPEC', message: result.reason ?? 'skipped' };
    }
    await collection.updateOne({ _id: letter._id }, { $set: { replayed: true, lastReplayedAt: now, resolution: result.outcome }, $inc: { attempts: 1 } });
    return { id: letter._id, outcome: result.outcome, code: null, message: null };
  }

  /** The logged event an EVENT_TOO_LARGE letter names, when the log still has it. */
  async function loggedEventOf(letter: Letter): Promise<{ event: CanonicalEvent; published: boolean } | null> {
    const eventId = (letter.details as { eventId?: unknown } | null)?.eventId;
    return typeof eventId === 'string' ? deps.eventLog.find(eventId) : null;
  }

  /**
   * Why an event is no longer the entity's latest (null while it is): the stored state is at a
   * later version, or at its version by another event (a lost race), or gone.
   */
  async function supersededBy(event: CanonicalEvent): Promise<string | null> {
    const state = (await deps.store.getMany(event.subject, [event.key], { _meta: 1 })).get(event.key);
    const what = `${event.subject} "${event.key}"`;
    if (!state) return `${what} is not stored any more; its version ${event.version} event is not published`;
    const { version, lastEventId } = state._meta;
    if (version < event.version || (version === event.version && lastEventId === event.id)) return null;
    return `${what} is at version ${version} now, past this event (version ${event.version}, ${event.id}): a later change superseded it, so it is not published (it would reach the topic after the newer change)`;
  }

  /**
   * The change of an EVENT_TOO_LARGE letter is applied; only its event is missing from the topic.
   * A replay publishes the logged event (a backfill's letter has no record to decode): resolved as
   * `duplicate` once published, or still open while the event is over the topic's limit. An event
   * the entity has moved past is not published: published now, it would follow the newer change on
   * the topic, and a subscriber would end on the older state. The letter resolves as `stale`, code
   * SUPERSEDED (the topic carried the event's reference in its place and order, when it fit).
   */
  async function publishLogged(letter: Letter, logged: { event: CanonicalEvent; published: boolean }): Promise<ReplayResult> {
    const now = new Date();
    if (!logged.published) {
      const superseded = await supersededBy(logged.event);
      if (superseded) {
        await collection.updateOne({ _id: letter._id }, { $set: { replayed: true, lastReplayedAt: now, resolution: 'stale' }, $inc: { attempts: 1 } });
        return { id: letter._id, outcome: 'stale', code: SUPERSEDED, message: superseded };
      }
      const [oversized] = (await (await deps.publisher()).publish([logged.event])).oversized;
      if (oversized) {
        const still = oversizedLetter(oversized);
        await collection.updateOne(
          { _id: letter._id },
          { $set: { message: still.message, details: still.details ?? null, lastReplayedAt: now }, $inc: { attempts: 1 } },
        );
        return { id: letter._id, outcome: 'dead-lettered', code: still.code, message: still.message };
      }
      await deps.eventLog.markPublished([logged.event.id]);
    }
    await collection.updateOne({ _id: letter._id }, { $set: { replayed: true, lastReplayedAt: now, resolution: 'duplicate' }, $inc: { attempts: 1 } });
    return { id: letter._id, outcome: 'duplicate', code: null, message: null };
  }
}
