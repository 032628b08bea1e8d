import { AppError, ErrorCode } from '../../errors';
import type { Db } from 'mongodb';
import { EVENT_LOG_COLLECTION, type LoggedEvent } from '../../events/event-log';
import { DEAD_LETTER_COLLECTION, type StoredDeadLetter } from '../../ingestion/dead-letter';
import type { LagReader } from '../../observability/consumer-lag';
import { stateCollectionName, type StoredEntity } from '../../state/entity-store';

/**
 * Freshness of one subject as data (`subjectStatus`): when its newest canonical event was
 * ingested and committed at the source, how far the ingestion group is behind on the raw topics
 * feeding it, its counts, and the spec versions feeding it now. Every figure is read from the
 * store and Kafka at query time, so any API replica answers the same thing.
 */
export interface SubjectStatus {
  readonly subject: string;
  /** `ingestedAt` of the newest canonical event (ISO), null before the first. */
  readonly lastIngestedAt: string | null;
  /** Source commit time of that event (ISO), null when the source did not say. */
  readonly lastSourceTime: string | null;
  /** Messages of the feeding raw topics the ingestion group has not committed; null when Kafka did not answer. */
  readonly lag: number | null;
  readonly liveEntities: number;
  /** Soft-deleted entities kept with a tombstone (hard deletes leave nothing to count). */
  readonly deletedEntities: number;
  readonly events: number;
  /** Dead letters not replayed yet, of the specs feeding the subject (and undecodable records of their topics). */
  readonly openDeadLetters: number;
  readonly specs: readonly { readonly id: string; readonly version: number; readonly topics: readonly string[] }[];
}

export interface SubjectStatusReader {
  /** Null for a subject the catalog does not serve. */
  status(subject: string): Promise<SubjectStatus | null>;
}

export interface StatusSpec {
  readonly id: string;
  readonly version: number;
  readonly subject: string;
  readonly topics: readonly string[];
}

export function createSubjectStatusReader(deps: {
  readonly db: Db;
  readonly serves: (subject: string) => boolean;
  /** Why a registered subject is not served (its GraphQL names collide, its schema does not compile), or null. */
  readonly unservedReason?: (subject: string) => string | null;
  readonly activeSpecs: () => readonly StatusSpec[];
  readonly lag?: LagReader;
}): SubjectStatusReader {
  const events = deps.db.collection<LoggedEvent>(EVENT_LOG_COLLECTION);
  const letters = deps.db.collection<StoredDeadLetter>(DEAD_LETTER_COLLECTION);
  return {
    async status(subject) {
      const unserved = deps.unservedReason?.(subject) ?? null;
      if (unserved !== null)
        throw new AppError(ErrorCode.SCHEMA_INVALID, `subject "${subject}" is registered but not served: ${unserved}`, { details: [unserved] });
      if (!deps.serves(subject)) return null;
      const specs = deps.activeSpecs().filter((spec) => spec.subject === subject);
      const topics = [...new Set(specs.flatMap((spec) => spec.topics))].sort();
      const state = deps.db.collection<StoredEntity>(stateCollectionName(subject));
      const [newest, liveEntities, deletedEntities, eventCount, openDeadLetters, lag] = await Promise.all([
        // Served by the { subject, ingestedAt } index of the event log; ISO strings sort by time.
        // Events of one batch share their ingestedAt: the latest source time among them wins.
        events.find({ subject }).sort({ ingestedAt: -1, sourceTsMs: -1 }).limit(1).next(),
        state.countDocuments({ '_meta.deleted': false }),
        state.countDocuments({ '_meta.deleted': true }),
        events.countDocuments({ subject }),
        specs.length === 0
          ? Promise.resolve(0)
          : letters.countDocuments({
              replayed: false,
              $or: [{ 'spec.id': { $in: specs.map((spec) => spec.id) } }, { spec: null, topic: { $in: topics } }],
            }),
        deps.lag ? deps.lag.total(topics).catch(() => null) : Promise.resolve(null),
      ]);
      return {
        subject,
        lastIngestedAt: newest?.ingestedAt ?? null,
        lastSourceTime: typeof newest?.sourceTsMs === 'number' ? new Date(newest.sourceTsMs).toISOString() : null,
        lag,
        liveEntities,
        deletedEntities,
        events: eventCount,
        openDeadLetters,
        specs: specs.map((spec) => ({ id: spec.id, version: spec.version, topics: [...spec.topics] })),
      };
    },
  };
}
