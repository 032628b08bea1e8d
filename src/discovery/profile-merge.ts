import { DistinctSketch } from './distinct-sketch';
import type { FieldDoc, OpCounts, ProfileDoc } from './profile-doc';
import { STRING_FORMATS, VALUE_KINDS, type StringFormat, type ValueKind } from './value-kind';

/**
 * The profile of a topic across processes: the merge of its per-process documents. Counts add,
 * minima and maxima combine, sketches merge (set union / register max), examples are pooled up to
 * five; so merging is exact for everything but the distinct estimate, which keeps its error bound.
 */
export interface FieldStats {
  readonly path: string;
  readonly present: number;
  /** `present / images`: the share of full images carrying the field (0 without images). */
  readonly presence: number;
  /** Partial updates that carried the field: a field seen only in them has presence 0 but is there. */
  readonly patched: number;
  readonly values: number;
  readonly types: Readonly<Record<ValueKind, number>>;
  /** `types.null / values`. */
  readonly nullRate: number;
  readonly minNumber: number | null;
  readonly maxNumber: number | null;
  readonly minInstant: string | null;
  readonly maxInstant: string | null;
  readonly formats: Readonly<Record<StringFormat, number>>;
  readonly distinct: number;
  readonly distinctExact: boolean;
  readonly examples: readonly unknown[];
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export interface MergedProfile {
  readonly topic: string;
  readonly processes: number;
  readonly sampled: number;
  readonly images: number;
  readonly patches: number;
  readonly ops: OpCounts;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** The newest `removalWindow` image stamps of all processes, newest first. */
  readonly recentImageStamps: readonly number[];
  readonly droppedPaths: number;
  /** Sorted by path. */
  readonly fields: readonly FieldStats[];
}

const MAX_EXAMPLES = 5;

export function mergeProfiles(topic: string, docs: readonly ProfileDoc[], removalWindow: number): MergedProfile {
  const ops: OpCounts = { c: 0, u: 0, d: 0, r: 0 };
  let sampled = 0;
  let images = 0;
  let patches = 0;
  let droppedPaths = 0;
  let firstSeen = Infinity;
  let lastSeen = 0;
  const stamps: number[] = [];
  const byPath = new Map<string, FieldDoc[]>();
  for (const doc of docs) {
    sampled += doc.sampled;
    images += doc.images;
    patches += doc.patches;
    droppedPaths += doc.droppedPaths ?? 0;
    for (const op of ['c', 'u', 'd', 'r'] as const) ops[op] += doc.ops?.[op] ?? 0;
    if (doc.sampled > 0) {
      firstSeen = Math.min(firstSeen, doc.firstSeen);
      lastSeen = Math.max(lastSeen, doc.lastSeen);
    }
    stamps.push(...(doc.imageStamps ?? []));
    for (const field of doc.fields) {
      const list = byPath.get(field.path);
      if (list) list.push(field);
      else byPath.set(field.path, [field]);
    }
  }
  stamps.sort((a, b) => b - a);
  const fields = [...byPath.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, parts]) => mergeField(path, parts, images));
  return {
    topic,
    processes: docs.length,
    sampled,
    images,
    patches,
    ops,
    firstSeen: firstSeen === Infinity ? 0 : firstSeen,
    lastSeen,
    recentImageStamps: stamps.slice(0, removalWindow),
    droppedPaths,
    fields,
  };
}

function mergeField(path: string, parts: readonly FieldDoc[], images: number): FieldStats {
  const types = Object.fromEntries(VALUE_KINDS.map((k) => [k, 0])) as Record<ValueKind, number>;
  const formats = Object.fromEntries(STRING_FORMATS.map((f) => [f, 0])) as Record<StringFormat, number>;
  const sketch = new DistinctSketch();
  const examples: unknown[] = [];
  let present = 0;
  let patched = 0;
  let values = 0;
  let minNumber: number | null = null;
  let maxNumber: number | null = null;
  let minInstant: { ms: number; text: string } | null = null;
  let maxInstant: { ms: number; text: string } | null = null;
  let firstSeen = Infinity;
  let lastSeen = 0;
  for (const part of [...parts].sort((a, b) => a.firstSeen - b.firstSeen)) {
    present += part.present;
    patched += part.patched ?? 0;
    values += part.values;
    for (const kind of VALUE_KINDS) types[kind] += part.types[kind] ?? 0;
    for (const format of STRING_FORMATS) formats[format] += part.formats[format] ?? 0;
    if (part.minNumber !== undefined && (minNumber === null || part.minNumber < minNumber)) minNumber = part.minNumber;
    if (part.maxNumber !== undefined && (maxNumber === null || part.maxNumber > maxNumber)) maxNumber = part.maxNumber;
    if (part.minInstant && (!minInstant || part.minInstant.ms < minInstant.ms)) minInstant = part.minInstant;
    if (part.maxInstant && (!maxInstant || part.maxInstant.ms > maxInstant.ms)) maxInstant = part.maxInstant;
    sketch.merge(DistinctSketch.from(part.distinct));
    for (const example of part.examples) {
      if (examples.length < MAX_EXAMPLES && !examples.includes(example)) examples.push(example);
    }
    firstSeen = Math.min(firstSeen, part.firstSeen);
    lastSeen = Math.max(lastSeen, part.lastSeen);
  }
  return {
    path,
    present,
    presence: images > 0 ? present / images : 0,
    patched,
    values,
    types,
    nullRate: values > 0 ? types.null / values : 0,
    minNumber,
    maxNumber,
    minInstant: minInstant?.text ?? null,
    maxInstant: maxInstant?.text ?? null,
    formats,
    distinct: sketch.estimate(),
    distinctExact: sketch.isExact,
    examples,
    firstSeen,
    lastSeen,
  };
}
