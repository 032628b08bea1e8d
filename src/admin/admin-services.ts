import type { Admin, Kafka, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { Db } from 'mongodb';
import type { SubjectCatalog } from '../catalog/subject-catalog';
import type { ProfiledTopics } from '../discovery/profiled-topics';
import type { MetricRegistry } from '../metrics/metric-registry';
import { createSchemaCompiler, type CanonicalSchema } from '../catalog/canonical-schemas';
import { mappingSpecProblems, type SpecRegistry } from '../catalog/spec-registry';
import { AppError, ErrorCode } from '../errors';
import type { EventLog } from '../events/event-log';
import { createEventPublisher, type EventPublisher, type EventSchemaIds } from '../events/event-publisher';
import type { RawRecord } from '../ingestion/debezium/decode-record';
import type { RoutedSpec } from '../ingestion/pipeline-spec';
import type { Logger } from '../logger';
import type { MappingSpec } from '../mapping/mapping-spec';
import { subjectName } from '../mapping/subject-name';
import type { EntityStore } from '../state/entity-store';
import { createBackfills, type Backfills } from './backfill';
import { createDeadLetterAdmin, type DeadLetterAdmin } from './dead-letter-admin';
import { createDeadLetterSink, type DeadLetterSink } from '../ingestion/dead-letter';
import { createMessageSizeLimit } from '../events/message-size-limit';
import { previewSpec, requireSpecTopic, type RawFieldTypes, type SpecPreview } from './spec-preview';
import type { DecodeLimits } from '../ingestion/debezium/decode-limits';
import type { BatchDecoder } from '../ingestion/registry/registry-decoder';

/**
 * What the admin API works with, assembled once per API process: the spec registry, previews,
 * backfill jobs and dead-letter replay. Backfills and replays publish canonical events, so the
 * services own a producer (connected on first use).
 */
export interface RawSampleSource {
  /** The latest sampled raw records of a topic, oldest first. */
  samples(topic: string, last: number): Promise<RawRecord[]>;
  /** Inferred source fields and their types, when discovery has profiled the topic. */
  fieldTypes(topic: string): Promise<RawFieldTypes[] | null>;
}

export interface PreviewEventInput {
  readonly key?: unknown;
  /** Null or absent: a tombstone. */
  readonly value?: unknown;
}

export interface PreviewOptions {
  readonly events?: readonly PreviewEventInput[];
  readonly last: number;
  /** A draft canonical schema of the spec's subject, used instead of the registered one (the subject need not exist). */
  readonly schema?: unknown;
}

export interface AdminServices {
  readonly specs: SpecRegistry;
  /** Metric definitions (absent when metrics are turned off). */
  readonly metrics?: MetricRegistry;
  readonly backfills: Backfills;
  readonly deadLetters: DeadLetterAdmin;
  /** Raw topics profiled although no spec reads them. */
  readonly profiledTopics: ProfiledTopics;
  /**
   * Topics of the Kafka cluster that can be raw sources: Kafka's internal topics (`__*`) and
   * canonql's own (the canonical topics under the configured prefix, the dead-letter topic) left out.
   */
  kafkaTopics(): Promise<string[]>;
  preview(input: unknown, options: PreviewOptions): Promise<SpecPreview>;
  /** Applies the catalog as stored now to this process (a mutation's effect shows in its response). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export interface AdminDeps {
  readonly db: Db;
  readonly kafka: Kafka;
  /** The process's connected admin client (topic listings reuse it). */
  readonly kafkaAdmin: Admin;
  readonly store: EntityStore;
  readonly eventLog: EventLog;
  readonly catalog: SubjectCatalog;
  readonly specs: SpecRegistry;
  readonly metrics?: MetricRegistry;
  readonly activeSpecs: () => readonly RoutedSpec[];
  readonly profiledTopics: ProfiledTopics;
  readonly samples?: RawSampleSource;
  readonly canonicalTopicPrefix: string;
  /** Where ingestion dead-letters records (CANONQL_DEADLETTER_TOPIC): canonql's own, never a source. */
  readonly deadLetterTopic: string;
  /** Cap of a published record batch (CANONQL_PUBLISH_MAX_BYTES); null: each topic's own limit. */
  readonly publishMaxBytes?: number | null;
  readonly refresh: () => Promise<void>;
  readonly logger: Logger;
  /** Ingestion's decode limits, applied to backfills and dead-letter replays alike (default: what MongoDB accepts). */
  readonly decodeLimits?: DecodeLimits;
  /** Ingestion's record decoder (per-topic record format, source registry); default: every topic is JSON. */
  readonly decoder?: BatchDecoder;
  /** Subjects whose canonical events are published in the registry wire format, as ingestion publishes them. */
  readonly eventSchemaIds?: EventSchemaIds;
}

export function createAdminServices(deps: AdminDeps): AdminServices {
  let producer: Promise<Producer> | null = null;
  const connectedProducer = (): Promise<Producer> =>
    (producer ??= (async () => {
      const created = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await created.connect();
      return created;
    })());
  // Backfills and replays split by size like ingestion: an event too large for its topic even alone
  // comes back as oversized (dead-lettered EVENT_TOO_LARGE), never a failed job or mutation. Limits are
  // read again after a second (not ingestion's minute): an operator who raised a topic's limit
  // replays at once, and a backfill reads it once per chunk of writes.
  const sizeLimit = createMessageSizeLimit({ kafka: deps.kafka, cap: deps.publishMaxBytes ?? null, cacheMs: 1000 });
  // Backfills and replays read raw records and publish canonical events exactly as ingestion does:
  // the same record decoder, and a subject's events in the same form (wire format or plain JSON).
  const publisher = async (): Promise<EventPublisher> =>
    createEventPublisher(await connectedProducer(), {
      topicPrefix: deps.canonicalTopicPrefix,
      sizeLimit,
      ...(deps.eventSchemaIds ? { schemaIdOf: deps.eventSchemaIds } : {}),
    });
  const deadLetters = async (): Promise<DeadLetterSink> =>
    createDeadLetterSink({ producer: await connectedProducer(), db: deps.db, topic: deps.deadLetterTopic });
  const validate = (subject: string, document: Record<string, unknown>) => deps.catalog.validate(subject, document);
  const limits = { ...(deps.decodeLimits ? { decodeLimits: deps.decodeLimits } : {}), ...(deps.decoder ? { decoder: deps.decoder } : {}) };
  const backfills = createBackfills({
    db: deps.db,
    kafka: deps.kafka,
    store: deps.store,
    eventLog: deps.eventLog,
    publisher,
    deadLetters,
    validate,
    logger: deps.logger,
    ...limits,
  });

  return {
    specs: deps.specs,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    backfills,
    profiledTopics: deps.profiledTopics,
    async kafkaTopics() {
      const own = (topic: string) => topic.startsWith('__') || topic.startsWith(deps.canonicalTopicPrefix) || topic === deps.deadLetterTopic;
      return (await deps.kafkaAdmin.listTopics()).filter((topic) => !own(topic)).sort();
    },
    deadLetters: createDeadLetterAdmin({
      db: deps.db,
      store: deps.store,
      eventLog: deps.eventLog,
      validate,
      activeSpecs: deps.activeSpecs,
      publisher,
      ...limits,
    }),
    async preview(input, options) {
      const draft = options.schema === undefined ? null : draftSchema(input, options.schema);
      const spec = draft ? validatedDraftSpec(input, draft.schema) : validated(deps.specs, input);
      const topic = requireSpecTopic(spec);
      const records: RawRecord[] = options.events
        ? options.events.map((event, i) => ({ topic, partition: 0, offset: String(i), key: toBuffer(event.key), value: toBuffer(event.value) }))
        : await (deps.samples?.samples(topic, options.last) ?? Promise.resolve([]));
      const rawFields = options.events ? undefined : await deps.samples?.fieldTypes(topic);
      // Sampled records are read as ingestion read them (their topic's format); given events are JSON.
      const decoded = !options.events && deps.decoder ? await deps.decoder.decodeBatch(records) : undefined;
      const schema = draft ? draft.schema : deps.catalog.get(subjectName(spec.target.subject))?.schema;
      return previewSpec({
        spec,
        records,
        validate: draft ? (_subject, document) => draft.validate(document) : validate,
        ...(rawFields ? { rawFields } : {}),
        ...(schema ? { canonicalSchema: schema } : {}),
        ...(decoded ? { decoded } : {}),
      });
    },
    refresh: deps.refresh,
    async stop() {
      await backfills.stop();
      if (producer) await (await producer).disconnect();
      await sizeLimit.close();
    },
  };
}

/** The registry's validation (structure, semantics, subject), without registering anything. */
function validated(specs: SpecRegistry, input: unknown): MappingSpec {
  return specOrProblems(input, specs.problemsOf(input));
}

/** The same validation for a spec previewed with a draft schema of its subject, which need not be registered. */
function validatedDraftSpec(input: unknown, schema: Record<string, unknown>): MappingSpec {
  return specOrProblems(
    input,
    mappingSpecProblems(input, () => schema),
  );
}

function specOrProblems(input: unknown, problems: readonly string[]): MappingSpec {
  if (problems.length > 0) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `invalid mapping-spec:\n  - ${problems.join('\n  - ')}`, { details: problems });
  }
  return input as MappingSpec;
}

/** A draft canonical schema compiled for the preview; a schema that cannot validate documents is refused (SCHEMA_INVALID). */
function draftSchema(spec: unknown, schema: unknown): CanonicalSchema {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'schema: must be a JSON object (a JSON Schema 2020-12 document)', {
      details: ['schema: must be a JSON object (a JSON Schema 2020-12 document)'],
    });
  }
  const target = (spec as { target?: { subject?: unknown } } | null)?.target?.subject;
  return createSchemaCompiler().compile(typeof target === 'string' ? subjectName(target) : 'draft', schema as Record<string, unknown>);
}

function toBuffer(value: unknown): Buffer | null {
  if (value === undefined || value === null) return null;
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}
