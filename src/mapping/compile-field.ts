import { AppError, ErrorCode, isAppError } from '../errors';
import { compileCondition, type CompiledCondition } from './condition';
import { formatJsonPath, parseJsonPath, wildcardCount, type PathSegment } from './json-path';
import type { FieldMapping } from './mapping-spec';
import { compileGetter, type Getter } from './path-getter';
import { compileSetter, type Setter } from './path-setter';
import type { TransformFn } from './transforms/transform-definition';
import { getTransform } from './transforms/transform-registry';
import { transformSteps } from './transform-steps';

/** One field mapping, compiled: how to test, read and convert its value. */
export interface CompiledAlternative {
  readonly index: number;
  readonly srcSegments: readonly PathSegment[] | null;
  /** Source paths the `when` conditions read. */
  readonly conditionPaths: readonly (readonly PathSegment[])[];
  /** Source paths transforms read themselves (concat/coalesce `srcs`). */
  readonly transformPaths: readonly (readonly PathSegment[])[];
  /** No transform but identity and no default: a value can be copied piecewise. */
  readonly copiesVerbatim: boolean;
  readonly holds: (record: unknown) => boolean;
  /** Getter for src without its first k segments (partial updates start mid-path). */
  readonly readFrom: readonly Getter[];
  /** Converts a raw value with `depth` remaining `[*]` levels; `at` are indices already bound. */
  readonly convert: (raw: unknown, record: Readonly<Record<string, unknown>>, depth: number, at?: readonly number[]) => unknown;
}

/** Every mapping into one canonical path; the first alternative whose condition holds wins. */
export interface CompiledField {
  readonly dst: string;
  readonly dstSegments: readonly PathSegment[];
  readonly topField: string;
  readonly precedence: number;
  readonly depth: number;
  readonly alternatives: readonly CompiledAlternative[];
  readonly write: Setter;
  /** The value for a full record; `undefined` means the field is absent. */
  readonly evaluate: (record: Readonly<Record<string, unknown>>) => unknown;
}

interface Step {
  readonly name: string;
  readonly fn: TransformFn;
  readonly acceptsNull: boolean;
  readonly acceptsMissing: boolean;
}

/** Thrown inside element loops, caught at the field: carries the failing element's indices. */
class StepFailure extends Error {
  readonly indices: number[] = [];
  constructor(readonly failure: AppError) {
    super(failure.message);
  }
}

/** Compiles the (checked) mappings that share one dst, in spec order. */
export function compileField(mappingId: string, group: readonly { mapping: FieldMapping; index: number }[]): CompiledField {
  const dstSegments = mustParse(group[0]!.mapping.dst);
  const alternatives = group.map(({ mapping, index }) => compileAlternative(mappingId, mapping, index, dstSegments));
  const depth = wildcardCount(dstSegments);
  const evaluate = (record: Readonly<Record<string, unknown>>): unknown => {
    for (const alt of alternatives) {
      if (alt.holds(record)) return alt.convert(alt.readFrom[0]!(record), record, depth);
    }
    return undefined;
  };
  return {
    dst: formatJsonPath(dstSegments),
    dstSegments,
    topField: (dstSegments[0] as { name: string }).name,
    precedence: group[0]!.mapping.precedence ?? 0,
    depth,
    alternatives,
    write: compileSetter(dstSegments),
    evaluate,
  };
}

function compileAlternative(mappingId: string, mapping: FieldMapping, index: number, dstSegments: readonly PathSegment[]): CompiledAlternative {
  const srcSegments = mapping.src === undefined ? null : mustParse(mapping.src);
  const conditions = (mapping.when === undefined ? [] : Array.isArray(mapping.when) ? mapping.when : [mapping.when]).map(compileCondition);
  const stepRefs = transformSteps(mapping.transform);
  const steps: Step[] = stepRefs.map((ref) => {
    const definition = getTransform(ref.name)!;
    return { name: ref.name, fn: definition.create(ref.args), acceptsNull: !!definition.acceptsNull, acceptsMissing: !!definition.acceptsMissing };
  });
  const transformPaths = stepRefs.flatMap((ref) => getTransform(ref.name)!.sourcePaths?.(ref.args) ?? []).map(mustParse);
  const hasDefault = Object.hasOwn(mapping, 'default');
  const fallback = mapping.default;
  const freshDefault = fallback !== null && typeof fallback === 'object' ? () => structuredClone(fallback) : () => fallback;

  const leaf = (value: unknown, record: Readonly<Record<string, unknown>>): unknown => {
    let v = value;
    for (let s = 0; s < steps.length; s += 1) {
      const step = steps[s]!;
      // Null passes through and absent stays absent, except for transforms that supply values.
      if (v === undefined ? !step.acceptsMissing : v === null && !step.acceptsNull) continue;
      try {
        v = step.fn(v, record);
      } catch (error) {
        if (isAppError(error) && error.code === ErrorCode.MAPPING_FAILED) throw new StepFailure(error);
        throw error;
      }
    }
    return hasDefault && (v === undefined || v === null) ? freshDefault() : v;
  };

  const convertAt = (raw: unknown, record: Readonly<Record<string, unknown>>, depth: number): unknown => {
    if (depth === 0) return leaf(raw, record);
    if (!Array.isArray(raw)) return undefined;
    // `raw` is the array the getter just built for this event: converting in place saves a copy.
    for (let i = 0; i < raw.length; i += 1) {
      try {
        raw[i] = convertAt(raw[i], record, depth - 1);
      } catch (error) {
        if (error instanceof StepFailure) error.indices.unshift(i);
        throw error;
      }
    }
    return raw;
  };

  const describe = (failure: StepFailure, bound: readonly number[]): AppError => {
    const indices = [...bound, ...failure.indices];
    const src = srcSegments ? formatJsonPath(bindWildcards(srcSegments, indices)) : '(no src)';
    const dst = formatJsonPath(bindWildcards(dstSegments, indices));
    return new AppError(ErrorCode.MAPPING_FAILED, `mapping "${mappingId}" fieldMappings[${index}] (${src} → ${dst}): ${failure.failure.message}`, {
      cause: failure.failure,
      details: { mappingId, fieldMapping: index, src, dst },
    });
  };

  const readFrom: Getter[] = [];
  if (srcSegments) for (let k = 0; k <= srcSegments.length; k += 1) readFrom.push(compileGetter(srcSegments.slice(k)));
  else readFrom.push(() => undefined);

  const tests = conditions.map((c: CompiledCondition) => c.test);
  return {
    index,
    srcSegments,
    conditionPaths: conditions.map((c) => c.segments),
    transformPaths,
    copiesVerbatim: !hasDefault && steps.every((s) => s.name === 'identity'),
    holds: tests.length === 0 ? () => true : tests.length === 1 ? tests[0]! : (record) => tests.every((t) => t(record)),
    readFrom,
    convert: (raw, record, depth, at = []) => {
      try {
        return convertAt(raw, record, depth);
      } catch (error) {
        throw error instanceof StepFailure ? describe(error, at) : error;
      }
    },
  };
}

/** The path with its first wildcards replaced by concrete indices, for messages. */
export function bindWildcards(segments: readonly PathSegment[], indices: readonly number[]): PathSegment[] {
  let next = 0;
  return segments.map((s) => (s.kind === 'wildcard' && next < indices.length ? { kind: 'index', index: indices[next++]! } : s));
}

function mustParse(path: string): readonly PathSegment[] {
  const parsed = parseJsonPath(path);
  if (!parsed.ok) throw new Error(`unchecked path reached the compiler: ${parsed.problem}`);
  return parsed.segments;
}
