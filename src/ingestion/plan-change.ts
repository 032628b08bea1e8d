import { AppError, ErrorCode, isAppError } from '../errors';
import { canonicalEventId, changedFields, type CanonicalEvent, type CanonicalEventSource } from '../events/canonical-event';
import { claimsOwnedBy, mergeByPrecedence, type PrecedenceSource } from '../mapping/merge-by-precedence';
import type { EntityMeta, StoredEntity } from '../state/entity-store';

/**
 * Deciding what one canonical change does to one entity, without touching any store: the pure
 * core shared by the batch path (apply-batch.ts) and the single-change path (apply-change.ts).
 */
export type ChangeIntent =
  | (IntentBase & {
      readonly kind: 'full';
      readonly data: Record<string, unknown>;
      readonly ownedFields: readonly string[];
      readonly precedence?: PrecedenceSource;
    })
  | (IntentBase & {
      readonly kind: 'partial';
      readonly set: Record<string, unknown>;
      readonly unset: readonly string[];
      /** Canonical arrays cut to a length before `set` and `unset` (a MongoDB update's truncated arrays). */
      readonly truncate?: Readonly<Record<string, number>>;
      readonly precedence?: PrecedenceSource;
    })
  | (IntentBase & { readonly kind: 'delete'; readonly hard: boolean });

interface IntentBase {
  readonly subject: string;
  readonly key: string;
  /** Identifies the source stream whose positions are comparable (one per raw topic). */
  readonly sourceId: string;
  readonly position: string;
  readonly spec: { readonly id: string; readonly version: number };
  readonly sourceTsMs: number | null;
  readonly source: CanonicalEventSource;
}

export type ChangePlan =
  /** Already applied (equal position) or superseded (older position): nothing changes. */
  | { readonly kind: 'skip'; readonly outcome: 'duplicate' | 'stale'; readonly eventId: string }
  /** `event` is null when nothing visible changes (e.g. a delete of an unknown entity). */
  | { readonly kind: 'write'; readonly event: CanonicalEvent | null; readonly next: StoredEntity };

export type Validate = (subject: string, document: Record<string, unknown>) => string[];

/** A change that can never be applied as it stands: dead-lettered with its code, never retried. */
export function isInvalidChange(error: unknown): error is AppError {
  return isAppError(error) && (error.code === ErrorCode.VALIDATION_FAILED || error.code === ErrorCode.VALUE_OUT_OF_RANGE);
}

/**
 * The stored per-source position decides: a change at or below it is a duplicate or stale.
 * Otherwise the next state and its canonical event are computed from the stored state.
 * Throws VALIDATION_FAILED when the next state breaks the canonical schema.
 */
export function planChange(intent: ChangeIntent, prev: StoredEntity | null, now: Date, validate: Validate): ChangePlan {
  const eventId = canonicalEventId(intent.subject, intent.key, intent.sourceId, intent.position);
  const stored = prev?._meta.positions[intent.sourceId];
  if (stored !== undefined && intent.position <= stored) {
    return { kind: 'skip', outcome: intent.position === stored ? 'duplicate' : 'stale', eventId };
  }
  if (prev && olderThanAnotherSourcesDelete(intent, prev)) return { kind: 'skip', outcome: 'stale', eventId };
  const before = prev && !prev._meta.deleted ? prev.data : null;
  let after: Record<string, unknown> | null;
  let claims = prev && !prev._meta.deleted ? prev._meta.claims : undefined;
  // The spec whose claims are stored as numbers (merge-by-precedence.ts: StoredClaim).
  let owner = prev?._meta.specId;
  if (intent.kind !== 'delete' && intent.precedence) {
    // Several specs may feed this subject: each field root goes to the highest precedence.
    const merged = mergeByPrecedence(
      before ? { data: before, claims: claims ?? {}, owner } : null,
      intent.precedence,
      intent.kind === 'full' ? { kind: 'full', data: intent.data } : { kind: 'partial', set: intent.set, unset: intent.unset, truncate: intent.truncate },
    );
    after = merged.data;
    claims = merged.claims;
    owner = merged.owner;
  } else {
    after = nextData(intent, before);
  }
  // The next state names intent.spec as its owner (the pipeline makes it the precedence source
  // too): claims of any other owner are named first.
  if (claims && owner !== intent.spec.id) claims = claimsOwnedBy({ claims, owner }, intent.spec.id);
  if (after) {
    const problems = validate(intent.subject, after);
    if (problems.length > 0) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `canonical ${intent.subject} "${intent.key}" fails its schema: ${problems.join('; ')}`, {
        details: problems,
      });
    }
  }
  const version = (prev?._meta.version ?? 0) + 1;
  const event: CanonicalEvent | null =
    before === null && after === null
      ? null
      : {
          id: eventId,
          subject: intent.subject,
          key: intent.key,
          op: after === null ? 'DELETE' : before === null ? 'CREATE' : 'UPDATE',
          version,
          before,
          after,
          changedFields: changedFields(before, after),
          spec: intent.spec,
          source: intent.source,
          sourceTsMs: intent.sourceTsMs,
          ingestedAt: now.toISOString(),
        };
  // A hard delete (spec `deleteMode: "hard"`) drops the data but keeps a deleted marker with the
  // version and positions: a re-created entity continues at the next version (state, events,
  // subscription de-dup and metric guards all compare versions), and a late older change cannot
  // bring the deleted one back. Reads treat the marker as absent, `includeDeleted` too.
  const purged = intent.kind === 'delete' && intent.hard;
  const positions: Record<string, string> = { ...prev?._meta.positions };
  positions[intent.sourceId] = intent.position;
  const position = intent.position;
  const specId = intent.spec.id;
  const specVersion = intent.spec.version;
  const sourceTsMs = intent.sourceTsMs;
  const createdAt = prev?._meta.createdAt ?? now;
  const deleted = after === null;
  const lastEventId = event?.id ?? prev?._meta.lastEventId ?? eventId;
  // Literals in the stored order rather than one with spreads of the optional parts, which cost
  // several times more per change (docs/performance.md, twenty-first round).
  const meta: { -readonly [K in keyof EntityMeta]: EntityMeta[K] } = purged
    ? { version, positions, position, specId, specVersion, sourceTsMs, createdAt, updatedAt: now, deleted, purged: true, lastEventId }
    : { version, positions, position, specId, specVersion, sourceTsMs, createdAt, updatedAt: now, deleted, lastEventId };
  if (claims) meta.claims = claims;
  const next: StoredEntity = {
    _id: intent.key,
    // A soft-deleted entity keeps its last state (history, as-of reads) and its positions, so
    // a late older change cannot bring it back.
    data: after ?? (purged ? {} : (prev?.data ?? {})),
    _meta: meta,
  };
  return { kind: 'write', event, next };
}

/**
 * Whether `intent` comes from another source than the delete that left `prev` deleted, and from
 * before it by source time. Positions of two sources do not compare, so only the source clocks
 * can order a change of one source against another source's delete: a change made before the
 * entity was deleted (but read after the delete) must not bring it back, as a late change of the
 * deleting source itself cannot. A change of the deleting source is judged by its positions
 * alone (one database's own order, whatever its clock did); without both times nothing is said.
 */
function olderThanAnotherSourcesDelete(intent: ChangeIntent, prev: StoredEntity): boolean {
  if (!prev._meta.deleted || intent.sourceTsMs === null) return false;
  const deletedAt = prev._meta.sourceTsMs;
  if (deletedAt === null || deletedAt === undefined || intent.sourceTsMs >= deletedAt) return false;
  return prev._meta.positions[intent.sourceId] !== prev._meta.position;
}

/** The canonical state after a change, from the state before it (pure; exported for tests). */
export function nextData(intent: ChangeIntent, before: Record<string, unknown> | null): Record<string, unknown> | null {
  switch (intent.kind) {
    case 'delete':
      return null;
    case 'full': {
      // A full image replaces the fields this spec owns; fields fed by other specs are kept.
      const merged: Record<string, unknown> = { ...(before ?? {}) };
      for (const field of intent.ownedFields) delete merged[field];
      return { ...merged, ...intent.data };
    }
    case 'partial': {
      const merged = structuredClone(before ?? {});
      for (const [path, length] of Object.entries(intent.truncate ?? {})) truncatePath(merged, path, length);
      for (const [path, value] of Object.entries(intent.set)) setPath(merged, path, value);
      for (const path of intent.unset) unsetPath(merged, path);
      return merged;
    }
  }
}

/**
 * Dotted paths from MongoDB partial updates address array elements by number (`items.1.sku`),
 * so a numeric part indexes an existing array instead of turning it into an object.
 */
type Container = Record<string, unknown> | unknown[];

function child(node: Container, part: string): unknown {
  return Array.isArray(node) ? node[Number(part)] : node[part];
}

function assign(node: Container, part: string, value: unknown): void {
  if (Array.isArray(node)) node[Number(part)] = value;
  else node[part] = value;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Container = target;
  for (let i = 0; i < parts.length - 1; i += 1) {
    const part = parts[i]!;
    let next = child(node, part);
    if (next === null || typeof next !== 'object') {
      next = /^\d+$/.test(parts[i + 1]!) ? [] : {};
      assign(node, part, next);
    }
    node = next as Container;
  }
  assign(node, parts[parts.length - 1]!, value);
}

/** Cuts the array at `path` to `length` elements (MongoDB's truncatedArrays); anything else stays. */
function truncatePath(target: Record<string, unknown>, path: string, length: number): void {
  let node: unknown = target;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return;
    node = child(node as Container, part);
  }
  if (Array.isArray(node) && node.length > length) node.length = length;
}

function unsetPath(target: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  let node: unknown = target;
  for (const part of parts.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = child(node as Container, part);
  }
  if (node === null || typeof node !== 'object') return;
  const last = parts[parts.length - 1]!;
  // Removing an array element in MongoDB ($unset) leaves null in its place, not a hole.
  if (Array.isArray(node)) node[Number(last)] = null;
  else delete (node as Record<string, unknown>)[last];
}
