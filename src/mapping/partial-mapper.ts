import { AppError, ErrorCode } from '../errors';
import { bindWildcards, type CompiledAlternative, type CompiledField } from './compile-field';
import { formatJsonPath, toDottedPath, wildcardCount, type PathSegment } from './json-path';
import { compileSetter, type Setter } from './path-setter';

/**
 * A canonical partial update: dotted paths to set ("customer.email", "line_items.0.sku") and to
 * remove, and canonical arrays to cut to a length (present only when the update truncated a source
 * array: applied before `set` and `unset`, as MongoDB reports element changes after the truncation).
 */
export interface PartialMapping {
  readonly set: Record<string, unknown>;
  readonly unset: string[];
  readonly truncate?: Readonly<Record<string, number>>;
}

/** An array a MongoDB update shortened (`updateDescription.truncatedArrays`): its dotted source path and new length. */
export interface TruncatedArray {
  readonly field: string;
  readonly newSize: number;
}

/** A spec-level default, by its dotted canonical path. */
export interface PartialDefault {
  readonly fresh: () => unknown;
}

interface PatchEntry {
  readonly key: string;
  readonly parts: readonly string[];
  readonly value: unknown;
}

/** Writers for a dst whose first m wildcards are bound: the array root and the rest of the path. */
interface RootWriter {
  readonly rootLength: number;
  readonly write: Setter;
}

/**
 * Maps a partial source update (MongoDB-style `updatedFields`: dotted keys, numeric parts address
 * array elements; a key whose value is `undefined` was removed) to a canonical partial update.
 *
 * Only canonical fields whose source paths the patch touches are produced; fields it does not
 * touch get nothing (no spec defaults). A touched field is computed exactly as `map` would compute
 * it from the full record, so a field that ends up absent is unset, or set to its default when it
 * has one: applying the result to the stored document equals mapping the patched source row.
 * When that is impossible from the patch alone (a condition or a concat/coalesce source the patch
 * does not carry, a change inside a value that a transform converts whole), the event fails with
 * MAPPING_FAILED rather than writing a guess.
 */
export function createPartialMapper(
  mappingId: string,
  fields: readonly CompiledField[],
  defaults: ReadonlyMap<string, PartialDefault>,
): (patch: Readonly<Record<string, unknown>>, truncated?: readonly TruncatedArray[]) => PartialMapping {
  const rootWriters = new Map<CompiledField, RootWriter[]>(fields.map((f) => [f, compileRootWriters(f.dstSegments)]));
  /** For a field in arrays: writes its value into an element of its innermost array (`{root: element}`). */
  const elementWriters = new Map<CompiledField, Setter>(
    fields
      .filter((f) => f.depth > 0)
      .map((f) => [f, compileSetter([{ kind: 'name', name: 'root' }, ...f.dstSegments.slice(lastWildcardOf(f.dstSegments) + 1)])]),
  );
  const pathsRead = new Map<CompiledField, (readonly PathSegment[])[]>(fields.map((f) => [f, f.alternatives.flatMap(allPaths)]));

  return (patch: Readonly<Record<string, unknown>>, truncated: readonly TruncatedArray[] = []): PartialMapping => {
    const truncate = truncated.length > 0 ? truncationsOf(mappingId, fields, pathsRead, truncated) : null;
    const entries: PatchEntry[] = [];
    for (const key of Object.keys(patch)) {
      const parts = key.split('.');
      // No source field is called "__proto__"; writing it would replace a prototype.
      if (!parts.includes('__proto__')) entries.push({ key, parts, value: patch[key] });
    }
    const set: Record<string, unknown> = {};
    const unset = new Set<string>();
    const arrays = new Map<string, Record<string, unknown>>();
    // Canonical arrays the update writes (or removes) whole, and the fields it writes them from.
    const wholeArrays = new Map<string, { readonly segments: readonly PathSegment[]; readonly writers: Set<CompiledField> }>();
    let expanded: Record<string, unknown> | undefined;
    const fail = (field: CompiledField, reason: string): never => {
      throw new AppError(ErrorCode.MAPPING_FAILED, `mapping "${mappingId}": a partial update cannot produce ${field.dst}: ${reason}`, {
        details: { mappingId, dst: field.dst },
      });
    };

    /**
     * Canonical array elements the update writes whole, because the patch carries their whole
     * source element (`items.2`: a `$push`, or an element replaced): what the fields reading it put
     * there, `{}` when none puts anything (or null for an element that is the value itself), as
     * the full mapping has it. Written field by field, an element appended with none of the mapped
     * fields would not be there at all, and the canonical array would be one short.
     */
    const elements = new Map<
      string,
      {
        readonly segments: readonly PathSegment[];
        readonly writers: Set<CompiledField>;
        readonly scratch: { root?: unknown };
        readonly ops: [string, unknown][];
      }
    >();
    /** A canonical field's value at `key`; absent, its default when it has one, else removed. */
    const writeField = (key: string, value: unknown): void => {
      const fallback = value === undefined ? defaults.get(key) : undefined;
      if (value !== undefined) set[key] = value;
      else if (fallback) set[key] = fallback.fresh();
      else unset.add(key);
    };
    const emit = (field: CompiledField, bound: readonly number[], value: unknown, wholeElement = false): void => {
      const dst = bindWildcards(field.dstSegments, bound);
      if (bound.length === field.depth) {
        const key = toDottedPath(dst);
        if (wholeElement) {
          const cut = lastWildcardOf(field.dstSegments) + 1;
          const elementKey = toDottedPath(dst.slice(0, cut));
          const element = elements.get(elementKey) ?? { segments: dst.slice(0, cut - 1), writers: new Set<CompiledField>(), scratch: {}, ops: [] };
          elements.set(elementKey, element);
          element.writers.add(field);
          element.ops.push([key, value]);
          if (cut === dst.length) element.scratch.root = value === undefined ? null : value;
          else {
            element.scratch.root ??= {};
            if (value !== undefined) elementWriters.get(field)!(element.scratch, value);
          }
          return;
        }
        writeField(key, value);
        return;
      }
      const writer = rootWriters.get(field)![bound.length]!;
      const rootKey = toDottedPath(dst.slice(0, writer.rootLength));
      const whole = wholeArrays.get(rootKey) ?? { segments: dst.slice(0, writer.rootLength), writers: new Set<CompiledField>() };
      whole.writers.add(field);
      wholeArrays.set(rootKey, whole);
      if (value === undefined) {
        // An element of an outer array is never absent: where the full mapping finds no inner
        // array under it (`$.skus[*][*]`, the update makes `skus.1` a string), it holds `[]`.
        // Unsetting it would leave null there. A named root (`o.1.lines`) is left out instead.
        // A named root gets its spec default when it has one, as a field outside arrays does.
        const fallback = defaults.get(rootKey);
        if (dst[writer.rootLength - 1]?.kind === 'index') set[rootKey] = [];
        else if (fallback) set[rootKey] = fallback.fresh();
        else unset.add(rootKey);
        return;
      }
      const scratch = arrays.get(rootKey) ?? {};
      arrays.set(rootKey, scratch);
      writer.write(scratch, value);
    };

    for (const field of fields) {
      const paths = pathsRead.get(field)!;
      const touching = entries.filter((e) => paths.some((p) => relates(e.parts, p)));
      if (touching.length === 0) continue;
      const only = field.alternatives[0]!;
      const simple = field.alternatives.length === 1 && only.conditionPaths.length === 0 && only.transformPaths.length === 0;
      if (simple) {
        const alt = only;
        const src = alt.srcSegments!;
        for (const entry of touching) {
          const bound = boundIndices(entry.parts, src);
          if (entry.parts.length <= src.length) {
            const raw = alt.readFrom[entry.parts.length]!(entry.value);
            // The patch carries the whole element of the innermost array (`items.2`, not `items.2.sku`),
            // pushed or replaced (a removed key says nothing of what stands there now).
            const wholeElement = field.depth > 0 && bound.length === field.depth && entry.parts.length === lastWildcardOf(src) + 1 && entry.value !== undefined;
            emit(field, bound, alt.convert(raw, {}, field.depth - bound.length, bound), wholeElement);
          } else if (alt.copiesVerbatim) {
            const key = `${toDottedPath(bindWildcards(field.dstSegments, bound))}.${entry.parts.slice(src.length).join('.')}`;
            if (entry.value === undefined) unset.add(key);
            else set[key] = entry.value;
          } else {
            fail(
              field,
              `the update changes ${entry.key} inside ${formatJsonPath(src)}, which fieldMappings[${alt.index}] transforms as a whole; the update must carry the whole value`,
            );
          }
        }
        continue;
      }
      // Conditions, alternatives or extra sources: evaluate on the patch as a record, which is
      // only sound when every path consulted is fully carried by the patch.
      for (const entry of touching) {
        if (entry.parts.some((p, i) => /^\d+$/.test(p) && field.alternatives.some((a) => a.srcSegments?.[i]?.kind === 'wildcard'))) {
          fail(field, `the update changes an array element (${entry.key}) of a conditional or multi-source mapping; the update must carry the whole array`);
        }
      }
      const carried = (path: readonly PathSegment[]): boolean => entries.some((e) => e.parts.length <= path.length && relates(e.parts, path));
      expanded ??= expand(entries);
      let value: unknown;
      for (const alt of field.alternatives) {
        const untested = alt.conditionPaths.find((p) => !carried(p));
        if (untested) fail(field, `the condition of fieldMappings[${alt.index}] reads ${formatJsonPath(untested)}, which the update does not carry`);
        if (!alt.holds(expanded)) continue;
        const unread = [...(alt.srcSegments ? [alt.srcSegments] : []), ...alt.transformPaths].find((p) => !carried(p));
        if (unread) fail(field, `fieldMappings[${alt.index}] reads ${formatJsonPath(unread)}, which the update does not carry`);
        value = alt.convert(alt.readFrom[0]!(expanded), expanded, field.depth);
        break;
      }
      emit(field, [], value);
    }

    // An array written whole holds only what the fields written here put in it: a field that fills
    // it from a source the update does not carry would lose its part (`$.items[*].sku` and
    // `$.extras[*]` both into `$.lines[*]`, and only `items` replaced).
    for (const [rootKey, { segments, writers }] of wholeArrays) {
      const other = otherFiller(fields, segments, writers);
      if (other) {
        const from = [...writers].map((w) => w.dst).join(', ');
        fail(
          other,
          `the update writes ${rootKey} whole (from what ${from} reads), which also holds what this field fills from a source the update does not carry; the update must carry the whole document`,
        );
      }
    }
    for (const [rootKey, scratch] of arrays) {
      set[rootKey] = scratch.root;
      unset.delete(rootKey);
    }
    for (const [elementKey, { segments, writers: fieldsOfElement, scratch, ops }] of elements) {
      // Arrays inside the element that fields of the same source element write whole (`$.items[*].parts[*].id`).
      const inside = [...wholeArrays].filter(([rootKey]) => rootKey.startsWith(`${elementKey}.`));
      const writers = new Set([...fieldsOfElement, ...inside.flatMap(([, whole]) => [...whole.writers])]);
      if (arrays.has(toDottedPath(segments)) || otherFiller(fields, segments, writers)) {
        // Another field fills this array from a source the patch does not carry: field by field,
        // leaving its part of the element as it is.
        for (const [key, value] of ops) writeField(key, value);
        continue;
      }
      for (const [rootKey, whole] of inside) {
        if (rootKey in set) compileSetter([{ kind: 'name', name: 'root' }, ...whole.segments.slice(segments.length + 1)])(scratch, set[rootKey]);
        delete set[rootKey];
        unset.delete(rootKey);
      }
      set[elementKey] = scratch.root;
    }
    return truncate && Object.keys(truncate).length > 0 ? { set, unset: [...unset], truncate } : { set, unset: [...unset] };
  };
}

/**
 * The canonical arrays to cut for source arrays a MongoDB update truncated. Exact where each
 * canonical element comes from the source element at the same index: a field copied verbatim from
 * the array (`$.tags` → `$.labels`) or mapped element by element (`$.items[*].sku` →
 * `$.line_items[*].sku`, the array's `[*]` the first of both paths, no condition, no other source).
 * Any other field that reads the array cannot be computed from the patch, which does not say what
 * the dropped elements were: MAPPING_FAILED.
 */
function truncationsOf(
  mappingId: string,
  fields: readonly CompiledField[],
  pathsRead: ReadonlyMap<CompiledField, (readonly PathSegment[])[]>,
  truncated: readonly TruncatedArray[],
): Record<string, number> {
  const truncate: Record<string, number> = {};
  for (const { field: array, newSize } of truncated) {
    const parts = array.split('.');
    const refuse = (field: CompiledField, why: string): never => {
      throw new AppError(
        ErrorCode.MAPPING_FAILED,
        `mapping "${mappingId}": a partial update cannot produce ${field.dst}: the update truncates ${array} to ${newSize} elements (MongoDB truncatedArrays), ${why}; the update must carry the whole document (Debezium capture.mode change_streams_update_full)`,
        { details: { mappingId, dst: field.dst, truncated: { field: array, newSize } } },
      );
    };
    const readers = new Set(fields.filter((field) => pathsRead.get(field)!.some((p) => relates(parts, p))));
    for (const field of readers) {
      const cut = arrayCutBy(field, parts);
      if (cut === null) refuse(field, 'which the mapping does not copy element by element');
      truncate[cut!.path] = newSize;
      // The canonical array is cut whole: a field filling it from another source would lose elements.
      const other = otherFiller(fields, cut!.segments, readers);
      if (other) refuse(other, `which cuts ${cut!.path}, where this field writes from another source`);
    }
  }
  return truncate;
}

/**
 * The dotted canonical array that `field` fills element by element from the source array at
 * `parts`, or null. The array may be inside elements of outer arrays (`orders.3.items`): a number
 * in `parts` where the src path has `[*]` binds that `[*]`, and the dst's `[*]` of the same rank
 * gets the same index (`$.orders[*].items[*].sku` → `$.o[*].lines[*].sku` cuts `o.3.lines`).
 */
function arrayCutBy(field: CompiledField, parts: readonly string[]): { readonly path: string; readonly segments: readonly PathSegment[] } | null {
  const [alt, ...others] = field.alternatives;
  if (!alt || others.length > 0 || alt.conditionPaths.length > 0 || alt.transformPaths.length > 0 || !alt.srcSegments) return null;
  const src = alt.srcSegments;
  // The src path addresses the array: the same names, an element of each outer `[*]`.
  const shared = Math.min(parts.length, src.length);
  const bound: number[] = [];
  for (let i = 0; i < shared; i += 1) {
    const segment = src[i]!;
    const part = parts[i]!;
    if (segment.kind === 'wildcard' && /^\d+$/.test(part)) bound.push(Number(part));
    else if (!partMatches(part, segment) || segment.kind === 'wildcard') return null;
  }
  if (wildcardCount(src) !== field.depth) return null;
  if (src.length <= parts.length) {
    // The array, or a document holding it, copied as it is (into each element of the outer arrays
    // it is in): the same array under the dst.
    if (!alt.copiesVerbatim || bound.length !== field.depth) return null;
    const segments = [
      ...bindWildcards(field.dstSegments, bound),
      ...parts.slice(src.length).map((part): PathSegment => (/^\d+$/.test(part) ? { kind: 'index', index: Number(part) } : { kind: 'name', name: part })),
    ];
    return { path: toDottedPath(segments), segments };
  }
  if (src[parts.length]!.kind !== 'wildcard') return null;
  // The dst up to its `[*]` of the array's rank, the outer ones bound.
  const cut = wildcardAt(field.dstSegments, bound.length);
  if (cut < 0) return null;
  const segments = bindWildcards(field.dstSegments.slice(0, cut), bound);
  return { path: toDottedPath(segments), segments };
}

/** A field besides `writers` that writes into (or holds) the canonical array at `segments`, if any. */
function otherFiller(fields: readonly CompiledField[], segments: readonly PathSegment[], writers: ReadonlySet<CompiledField>): CompiledField | undefined {
  return fields.find((f) => !writers.has(f) && overlaps(f.dstSegments, segments));
}

/** Whether one path is a prefix of the other, a `[*]` taken to be any index. */
function overlaps(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const [x, y] = [a[i]!, b[i]!];
    if (x.kind === 'wildcard' || y.kind === 'wildcard') {
      if (x.kind === 'name' || y.kind === 'name') return false;
    } else if (x.kind === 'name' ? y.kind !== 'name' || x.name !== y.name : y.kind !== 'index' || x.index !== y.index) return false;
  }
  return true;
}

/** The index of the last `[*]` of a path, or -1. */
function lastWildcardOf(segments: readonly PathSegment[]): number {
  for (let i = segments.length - 1; i >= 0; i -= 1) if (segments[i]!.kind === 'wildcard') return i;
  return -1;
}

/** The index of the `rank`-th `[*]` (from 0) of a path, or -1. */
function wildcardAt(segments: readonly PathSegment[], rank: number): number {
  let seen = 0;
  for (let i = 0; i < segments.length; i += 1) {
    if (segments[i]!.kind !== 'wildcard') continue;
    if (seen === rank) return i;
    seen += 1;
  }
  return -1;
}

function allPaths(alt: CompiledAlternative): readonly (readonly PathSegment[])[] {
  return [...(alt.srcSegments ? [alt.srcSegments] : []), ...alt.conditionPaths, ...alt.transformPaths];
}

/** Whether a patch key and a source path overlap: one is a prefix of the other. */
function relates(parts: readonly string[], path: readonly PathSegment[]): boolean {
  const n = Math.min(parts.length, path.length);
  for (let i = 0; i < n; i += 1) if (!partMatches(parts[i]!, path[i]!)) return false;
  return true;
}

function partMatches(part: string, segment: PathSegment): boolean {
  switch (segment.kind) {
    case 'name':
      return part === segment.name;
    case 'index':
      return part === String(segment.index);
    case 'wildcard':
      return /^\d+$/.test(part);
  }
}

/** The array indices a patch key fixes for the `[*]` of a source path it covers. */
function boundIndices(parts: readonly string[], path: readonly PathSegment[]): number[] {
  const bound: number[] = [];
  for (let i = 0; i < Math.min(parts.length, path.length); i += 1) if (path[i]!.kind === 'wildcard') bound.push(Number(parts[i]));
  return bound;
}

/** For m bound wildcards: the dst up to the (m+1)-th `[*]` is the array written whole. */
function compileRootWriters(dst: readonly PathSegment[]): RootWriter[] {
  const writers: RootWriter[] = [];
  dst.forEach((segment, i) => {
    if (segment.kind === 'wildcard') writers.push({ rootLength: i, write: compileSetter([{ kind: 'name', name: 'root' }, ...dst.slice(i)]) });
  });
  return writers;
}

/** The patch as a nested record (`{"customer.email": x}` → `{customer: {email: x}}`). */
function expand(entries: readonly PatchEntry[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const ours = new Set<object>([root]);
  for (const { parts, value } of [...entries].sort((a, b) => a.parts.length - b.parts.length)) {
    if (value === undefined) continue;
    let node: Record<string, unknown> = root;
    for (let i = 0; i < parts.length - 1; i += 1) {
      const part = parts[i]!;
      let child = node[part];
      if (child === null || typeof child !== 'object') child = /^\d+$/.test(parts[i + 1]!) ? [] : {};
      // Never write into an object the caller passed in: copy it first.
      else if (!ours.has(child)) child = Array.isArray(child) ? [...(child as unknown[])] : { ...(child as Record<string, unknown>) };
      ours.add(child as object);
      node[part] = child;
      node = child as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return root;
}
