import type { SerializedSketch } from './distinct-sketch';
import type { StringFormat, ValueKind } from './value-kind';

/**
 * The stored form of one process's profile of one raw topic (collection `discovery_profiles`,
 * one document per topic and process). Every number in it is a count, a minimum or a maximum, and
 * every sketch merges without loss, so the profile of a topic is the merge of its documents
 * (profile-merge.ts), whichever processes (each owning some partitions, or earlier runs) wrote them.
 *
 * Times are "stamps": microseconds since the epoch from a per-process monotonic clock
 * (`Date.now() * 1000`, plus one per record within a millisecond), so records profiled in one
 * millisecond still have an order, and stamps of different processes compare as their clocks do.
 */
export interface FieldDoc {
  /** JSONPath of the field in the row image, in mapping-spec syntax: `$.customer.email`, `$.items[*].sku`. */
  readonly path: string;
  /** Full images (not patches) in which the field had at least one value. */
  readonly present: number;
  /** Partial updates (patches) that carried the field; absent in documents written before it was counted. */
  readonly patched?: number;
  /** Values observed: one per record, or one per array element below `[*]`; patches included. */
  readonly values: number;
  readonly types: Partial<Record<ValueKind, number>>;
  readonly minNumber?: number;
  readonly maxNumber?: number;
  /** Earliest / latest `date-time` or `date` string, with its epoch milliseconds. */
  readonly minInstant?: { readonly ms: number; readonly text: string };
  readonly maxInstant?: { readonly ms: number; readonly text: string };
  readonly formats: Partial<Record<StringFormat, number>>;
  readonly distinct: SerializedSketch;
  /** Up to five distinct scalar values, first seen first (strings cut to 64 characters). */
  readonly examples: unknown[];
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export interface OpCounts {
  c: number;
  u: number;
  d: number;
  r: number;
}

export interface ProfileDoc {
  readonly _id: string;
  readonly topic: string;
  readonly processId: string;
  readonly updatedAt: Date;
  /** Change records profiled (after sampling). */
  readonly sampled: number;
  /** Of which full row images (after image, or before image of a delete). */
  readonly images: number;
  /** Of which partial updates (MongoDB `updateDescription`/`patch`, PostgreSQL unchanged-TOAST rows). */
  readonly patches: number;
  readonly ops: OpCounts;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Stamps of this process's last `removalWindow` full images, newest last (drift's removal rule). */
  readonly imageStamps: number[];
  /** Paths not profiled because the topic reached its field limit. */
  readonly droppedPaths: number;
  readonly fields: FieldDoc[];
}

export const PROFILES_COLLECTION = 'discovery_profiles';
export const VERSIONS_COLLECTION = 'discovery_versions';
export const SAMPLES_COLLECTION = 'discovery_samples';
export const COUNTERS_COLLECTION = 'discovery_counters';

/** Microseconds → Date (stamps are microseconds, see above). */
export function stampToDate(stamp: number): Date {
  return new Date(Math.floor(stamp / 1000));
}
