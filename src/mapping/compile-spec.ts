import { AppError, ErrorCode } from '../errors';
import { compileField, type CompiledField } from './compile-field';
import { compileEntityKey, type KeyFrom } from './entity-key';
import { formatJsonPath, parseFieldPath, toDottedPath, type PathSegment } from './json-path';
import type { FieldMapping, MappingSpec } from './mapping-spec';
import { createPartialMapper, type PartialMapping, type TruncatedArray } from './partial-mapper';
import { compileGetter } from './path-getter';
import { compileSetter } from './path-setter';
import { subjectName } from './subject-name';
import { validateSpec } from './validate-spec';

/** A mapping spec compiled for per-event use: every path and transform is a prebuilt closure. */
export interface CompiledSpec {
  /** The spec's `mappingId`. */
  readonly id: string;
  readonly version: number;
  /** Canonical subject: `target.subject` without a leading "canonical." and a trailing ".vN". */
  readonly subject: string;
  /** Raw topics the spec consumes: `source.topic` and `source.topics`, without duplicates. */
  readonly topics: readonly string[];
  readonly deleteMode: 'soft' | 'hard';
  readonly keyFrom: KeyFrom;
  /** Every source path the spec reads (src, conditions, transform srcs), for coverage. */
  readonly sourceFields: readonly string[];
  /** Canonical paths the spec writes as units (dotted, arrays whole): what precedence is kept for. */
  readonly fieldRoots: readonly string[];
  /** Top-level canonical fields the spec writes: what a full image of this source replaces. */
  readonly ownedFields: readonly string[];
  readonly spec: MappingSpec;
  /** Precedence of the field root that contains a dotted canonical path (0 when none does). */
  precedenceOf(path: string): number;
  /**
   * Maps a full source row/document. A src that matches nothing leaves the field absent; then
   * spec `defaults` fill fields that are still absent (a null stays null). Values copied by
   * identity are not cloned: the output may share objects with `record`.
   */
  map(record: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** Maps a partial update whose keys may be dotted paths; see createPartialMapper. */
  mapPartial(patch: Readonly<Record<string, unknown>>, truncated?: readonly TruncatedArray[]): PartialMapping;
  /** The entity key from the canonical document or the Debezium record key, per `key`. */
  entityKey(canonical: Readonly<Record<string, unknown>>, recordKey: unknown): string;
}

/**
 * Validates and compiles a spec once. Throws SPEC_INVALID with every problem in `details`.
 */
export function compileSpec(spec: MappingSpec): CompiledSpec {
  const validation = validateSpec(spec);
  if (!validation.ok) {
    const id = typeof (spec as { mappingId?: unknown })?.mappingId === 'string' ? spec.mappingId : '(no mappingId)';
    throw new AppError(ErrorCode.SPEC_INVALID, `mapping spec "${id}" is invalid: ${validation.problems.join('; ')}`, { details: validation.problems });
  }

  const fields = groupByDst(spec.fieldMappings).map((group) => compileField(spec.mappingId, group));
  const defaults = Object.entries(spec.defaults ?? {}).map(([path, value]) => {
    const segments = mustParse(path);
    return { segments, dotted: toDottedPath(segments), read: compileGetter(segments), write: compileSetter(segments), fresh: freshCopy(value) };
  });
  const { keyFrom, entityKey } = compileEntityKey(spec.mappingId, spec.key);

  const precedence = new Map<string, number>();
  for (const field of fields) precedence.set(rootOf(field.dstSegments), field.precedence);
  for (const d of defaults) if (!precedence.has(d.dotted)) precedence.set(d.dotted, 0);
  const fieldRoots = [...precedence.keys()];

  const fieldCount = fields.length;
  const defaultCount = defaults.length;
  const map = (record: Readonly<Record<string, unknown>>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fieldCount; i += 1) {
      const field = fields[i]!;
      field.write(out, field.evaluate(record));
    }
    for (let i = 0; i < defaultCount; i += 1) {
      const d = defaults[i]!;
      if (d.read(out) === undefined) d.write(out, d.fresh());
    }
    return out;
  };

  return {
    id: spec.mappingId,
    version: spec.version ?? 1,
    subject: subjectName(spec.target.subject),
    topics: [...new Set([...(spec.source.topic === undefined ? [] : [spec.source.topic]), ...(spec.source.topics ?? [])])],
    deleteMode: spec.deleteMode ?? 'soft',
    keyFrom,
    sourceFields: sourceFieldsOf(fields),
    fieldRoots,
    ownedFields: [...new Set(fieldRoots.map((root) => root.split('.')[0]!))],
    spec,
    precedenceOf: (path) => {
      for (let cut = path.length; cut > 0; cut = path.lastIndexOf('.', cut - 1)) {
        const found = precedence.get(path.slice(0, cut));
        if (found !== undefined) return found;
      }
      return 0;
    },
    map,
    mapPartial: createPartialMapper(spec.mappingId, fields, new Map(defaults.map((d) => [d.dotted, d]))),
    entityKey,
  };
}

function groupByDst(mappings: readonly FieldMapping[]): { mapping: FieldMapping; index: number }[][] {
  const groups = new Map<string, { mapping: FieldMapping; index: number }[]>();
  mappings.forEach((mapping, index) => {
    const dst = formatJsonPath(mustParse(mapping.dst));
    groups.set(dst, [...(groups.get(dst) ?? []), { mapping, index }]);
  });
  return [...groups.values()];
}

function sourceFieldsOf(fields: readonly CompiledField[]): string[] {
  const paths = new Set<string>();
  for (const field of fields) {
    for (const alt of field.alternatives) {
      for (const p of [...(alt.srcSegments ? [alt.srcSegments] : []), ...alt.conditionPaths, ...alt.transformPaths]) paths.add(formatJsonPath(p));
    }
  }
  return [...paths];
}

/** A dst up to its first `[*]`, dotted: arrays are owned whole. */
function rootOf(segments: readonly PathSegment[]): string {
  const cut = segments.findIndex((s) => s.kind === 'wildcard');
  return toDottedPath(cut < 0 ? segments : segments.slice(0, cut));
}

function freshCopy(value: unknown): () => unknown {
  // Each document gets its own copy of an object default: documents must not share state.
  return value !== null && typeof value === 'object' ? () => structuredClone(value) : () => value;
}

function mustParse(path: string): readonly PathSegment[] {
  const parsed = parseFieldPath(path);
  if (!parsed.ok) throw new Error(`unchecked path reached the compiler: ${parsed.problem}`);
  return parsed.segments;
}
