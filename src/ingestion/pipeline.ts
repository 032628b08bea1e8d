import { AppError, ErrorCode, isAppError } from '../errors';
import type { CanonicalEvent, CanonicalEventSource } from '../events/canonical-event';
import type { ApplyDeps, PublishedBelow } from './apply-change';
import { applyBatch } from './apply-batch';
import type { ChangeIntent } from './plan-change';
import type { PrecedenceSource } from '../mapping/merge-by-precedence';
import type { DeadLetter } from './dead-letter';
import { DEFAULT_DECODE_LIMITS, tooDeep, valueDepth, type DecodeLimits } from './debezium/decode-limits';
import { decodeRecord, type DecodedRecord, type RawRecord } from './debezium/decode-record';
import type { BatchDecoder } from './registry/registry-decoder';

/**
 * The ingestion flow for one raw Kafka record, top-down:
 *   decode envelope → (per spec of the topic) map → validate + guarded upsert → event to publish.
 * Records are decoded and mapped one by one, then applied together (apply-batch.ts).
 * Returns one result per spec with its outcome; failures that can never succeed become dead
 * letters here, failures of the infrastructure (store down) propagate so the batch is retried.
 */
export type Outcome = 'applied' | 'duplicate' | 'stale' | 'skipped' | 'dead-lettered';

export interface RecordResult {
  readonly outcome: Outcome;
  readonly subject?: string;
  readonly key?: string;
  readonly reason?: string;
  /** Event to publish: a new one, or an unacknowledged one found again on replay. */
  readonly publish?: CanonicalEvent;
  readonly deadLetter?: DeadLetter;
}

/** What the pipeline needs of a compiled mapping spec. */
export interface PipelineSpec {
  readonly id: string;
  readonly version: number;
  readonly subject: string;
  readonly deleteMode: 'soft' | 'hard';
  /** Top-level canonical fields this spec writes (a full image replaces exactly these). */
  readonly ownedFields: readonly string[];
  /** Field roots and their precedence, for subjects fed by several specs. */
  readonly fieldRoots?: readonly string[];
  precedenceOf?(path: string): number;
  map(record: Record<string, unknown>): Record<string, unknown>;
  /**
   * Maps a partial update; `truncated`: arrays the update shortened (MongoDB), cut in the canonical
   * arrays copied from them element by element, MAPPING_FAILED for a field that reads one otherwise.
   */
  mapPartial(
    patch: Record<string, unknown>,
    truncated?: readonly { readonly field: string; readonly newSize: number }[],
  ): { set: Record<string, unknown>; unset: string[]; truncate?: Readonly<Record<string, number>> };
  /** The entity key; `recordKey` is the decoded Debezium key's string form. */
  entityKey(canonical: Record<string, unknown>, recordKey: string | null): string;
}

export interface Pipeline {
  /** Processes records of one partition, in offset order; one or more results per record. */
  processBatch(records: readonly RawRecord[], options?: { readonly publishedBelow?: PublishedBelow }): Promise<RecordResult[]>;
}

/**
 * Sees every record the pipeline decodes (raw-schema discovery), with the id of its value's
 * writer schema when the topic is registry-encoded; must not throw or block.
 */
export type RecordObserver = (raw: RawRecord, decoded: DecodedRecord, writerSchemaId?: number) => void;

export interface PipelineDeps extends ApplyDeps {
  specsForTopic(topic: string): readonly PipelineSpec[];
  observe?: RecordObserver;
  /** Nesting and size bounds of what is decoded and stored (default: what MongoDB accepts). */
  decodeLimits?: DecodeLimits;
  /** Decodes topics of every record format (registry/registry-decoder.ts); without it, every topic is JSON. */
  decoder?: BatchDecoder;
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const limits = deps.decodeLimits ?? DEFAULT_DECODE_LIMITS;
  return {
    async processBatch(records, options) {
      const results: RecordResult[] = [];
      const planned: { raw: RawRecord; spec: PipelineSpec; intent: ChangeIntent }[] = [];
      // Topics in the registry wire format need their writer schemas first (one round for the batch).
      const entries = deps.decoder ? await deps.decoder.decodeBatch(records) : null;
      for (const [index, raw] of records.entries()) {
        let decoded: DecodedRecord;
        const entry = entries?.[index];
        if (entry) {
          if (!entry.decoded) {
            results.push(deadLetter(raw, entry.error));
            continue;
          }
          decoded = entry.decoded;
        } else {
          try {
            decoded = decodeRecord(raw, { limits });
          } catch (error) {
            results.push(deadLetter(raw, error));
            continue;
          }
        }
        deps.observe?.(raw, decoded, entry?.writerSchemaId);
        if (decoded.kind !== 'change') {
          results.push({ outcome: 'skipped', reason: decoded.kind === 'skip' ? decoded.reason : decoded.kind });
          continue;
        }
        const specs = deps.specsForTopic(raw.topic);
        if (specs.length === 0) results.push({ outcome: 'skipped', reason: 'no-active-spec' });
        for (const spec of specs) {
          try {
            planned.push({ raw, spec, intent: toIntent(decoded, spec, raw, limits) });
          } catch (error) {
            results.push(deadLetter(raw, error, spec));
          }
        }
      }
      const applied = await applyBatch(
        deps,
        planned.map((p) => p.intent),
        options?.publishedBelow,
      );
      applied.forEach((result, i) => {
        const { raw, spec, intent } = planned[i]!;
        if (result.outcome === 'invalid') {
          results.push(deadLetter(raw, result.error, spec));
          return;
        }
        const publish = result.outcome === 'applied' ? result.event : result.republish;
        results.push(
          publish
            ? { outcome: result.outcome, subject: spec.subject, key: intent.key, publish }
            : { outcome: result.outcome, subject: spec.subject, key: intent.key },
        );
      });
      return results;
    },
  };
}

type Change = Extract<DecodedRecord, { kind: 'change' }>;

/** Turns a decoded change into what should happen to one canonical entity under one spec. */
export function toIntent(change: Change, spec: PipelineSpec, raw: RawRecord, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): ChangeIntent {
  // Built property by property rather than spread from parts: object spreads of varying parts were
  // most of this function's time (about 5 of 7 µs per change, docs/performance.md twenty-first round).
  const { specRef, precedence } = perSpec(spec);
  const subject = spec.subject;
  const sourceId = sourceIdOf(raw.topic);
  const position = change.position;
  const sourceTsMs = change.tsMs;
  const source = sourceOf(change, raw);

  if (change.op === 'd') {
    const image = change.before ? spec.map(change.before) : {};
    const key = keyOf(spec, image, change.entityKey);
    return { subject, sourceId, position, spec: specRef, sourceTsMs, source, kind: 'delete', hard: spec.deleteMode === 'hard', key };
  }
  if (change.after && change.unavailable.length === 0) {
    const data = storable(spec.map(change.after), limits);
    const key = keyOf(spec, data, change.entityKey);
    return { subject, sourceId, position, spec: specRef, sourceTsMs, source, kind: 'full', data, ownedFields: spec.ownedFields, key, precedence };
  }
  let partial: { set: Record<string, unknown>; unset: string[]; truncate?: Readonly<Record<string, number>> };
  if (change.after) {
    // PostgreSQL sent "__debezium_unavailable_value" for unchanged TOASTed columns: apply the
    // available columns as a partial update so the stored values of the others stay.
    partial = spec.mapPartial(change.after);
  } else if (change.patch) {
    const removed = Object.fromEntries(change.patch.unset.map((path) => [path, undefined]));
    partial = spec.mapPartial({ ...change.patch.set, ...removed }, change.patch.truncatedArrays);
  } else {
    throw new AppError(ErrorCode.UNSUPPORTED_ENVELOPE, `op "${change.op}" carries neither an after image nor a patch`);
  }
  const { set, unset, truncate } = partial;
  storable(set, limits);
  const key = keyOf(spec, set, change.entityKey);
  return { subject, sourceId, position, spec: specRef, sourceTsMs, source, kind: 'partial', set, unset, truncate, key, precedence };
}

/** The source block of a change's canonical event; `db`, `table` and `collection` only when present. */
function sourceOf(change: Change, raw: RawRecord): CanonicalEventSource {
  const { db, table, collection, snapshot } = change.source;
  const source: { -readonly [K in keyof CanonicalEventSource]: CanonicalEventSource[K] } = {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    position: change.position,
    connector: change.connector,
    op: change.op,
    snapshot: change.op === 'r' || (snapshot !== undefined && snapshot !== false && snapshot !== 'false'),
  };
  if (db) source.db = db;
  if (table) source.table = table;
  if (collection) source.collection = collection;
  return source;
}

function keyOf(spec: PipelineSpec, canonical: Record<string, unknown>, recordKey: string | null): string {
  const key = spec.entityKey(canonical, recordKey);
  if (key === '' || key === undefined || key === null) {
    throw new AppError(ErrorCode.MAPPING_FAILED, `spec ${spec.id} produced no entity key`);
  }
  return key;
}

/** What every intent of a spec shares, made once per compiled spec. */
const specParts = new WeakMap<PipelineSpec, { readonly specRef: ChangeIntent['spec']; readonly precedence: PrecedenceSource | undefined }>();

function perSpec(spec: PipelineSpec): { readonly specRef: ChangeIntent['spec']; readonly precedence: PrecedenceSource | undefined } {
  let parts = specParts.get(spec);
  if (!parts) {
    parts = {
      specRef: { id: spec.id, version: spec.version },
      precedence: spec.fieldRoots && spec.precedenceOf ? { id: spec.id, fieldRoots: spec.fieldRoots, precedenceOf: spec.precedenceOf } : undefined,
    };
    specParts.set(spec, parts);
  }
  return parts;
}

/**
 * The canonical fields sit one level down in every stored document (`data` of the entity,
 * `after`/`before` of its event), and a mapping may nest a copied value further (a `dst` path):
 * the canonical document is checked against the depth limit with that level counted, so the store
 * never receives what it refuses.
 */
function storable(canonical: Record<string, unknown>, limits: DecodeLimits): Record<string, unknown> {
  if (valueDepth(canonical, limits.maxDepth) + 1 > limits.maxDepth) throw tooDeep('the canonical document, as stored,', limits.maxDepth);
  return canonical;
}

/** Position maps are stored as MongoDB field names, which must not contain '.' or start with '$'. */
export function sourceIdOf(topic: string): string {
  return topic.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
}

function deadLetter(raw: RawRecord, error: unknown, spec?: PipelineSpec): RecordResult {
  const code = isAppError(error) ? error.code : ErrorCode.INTERNAL;
  const message = error instanceof Error ? error.message : String(error);
  return {
    outcome: 'dead-lettered',
    reason: code,
    ...(spec ? { subject: spec.subject } : {}),
    deadLetter: {
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
      key: raw.key,
      value: raw.value,
      ...(raw.timestamp !== undefined ? { timestamp: raw.timestamp } : {}),
      ...(raw.headers !== undefined ? { headers: raw.headers } : {}),
      code,
      message,
      ...(isAppError(error) && error.details !== undefined ? { details: error.details } : {}),
      ...(spec ? { spec: { id: spec.id, version: spec.version } } : {}),
    },
  };
}
