import type { DecodedChange } from '../ingestion/debezium/decoded-record';
import { DistinctSketch, hashString } from './distinct-sketch';
import type { FieldDoc, OpCounts, ProfileDoc } from './profile-doc';
import { formatOf, instantOf, kindOf, STRING_FORMATS, VALUE_KINDS, type StringFormat, type ValueKind } from './value-kind';

/**
 * The in-memory profile of one raw topic in one process: the hot path of discovery. Each
 * profiled record walks its image once, updating a tree of field nodes (one per JSONPath; child
 * nodes are looked up by member name, so no path string is built per record). Only counters,
 * min/max, a sketch and a few examples change: no allocation per value once a field is known.
 *
 * What counts:
 * - creates, updates and snapshot reads: the after image; deletes: the before image (a delete
 *   without one, e.g. MongoDB's, counts in `ops` only);
 * - partial updates (MongoDB `updateDescription`/`patch`, PostgreSQL rows with unchanged TOAST
 *   columns) count only the fields they carry: their values feed types, min/max, formats, distinct
 *   and examples, and mark the field as seen, and count in `patched`, but never in presence (a patch says nothing about the
 *   fields it does not carry). A patch key `items.2.sku` is the path `$.items[*].sku`.
 */
export const MAX_FIELDS_PER_TOPIC = 1000;
export const MAX_DEPTH = 32;
const MAX_EXAMPLES = 5;
const EXAMPLE_CHARS = 64;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const NUMBER_SALT = 0x5bd1e995;
const TRUE_HASH = 0x2f6b1c3d;
const FALSE_HASH = 0x7a1e44b9;

const KIND_INDEX = new Map<ValueKind, number>(VALUE_KINDS.map((kind, i) => [kind, i]));
const FORMAT_INDEX = new Map<StringFormat, number>(STRING_FORMATS.map((format, i) => [format, i]));

/** The path of member `name` under `parent`, in the mapping specs' JSONPath syntax. */
export function childPath(parent: string, name: string): string {
  return IDENTIFIER.test(name) && name !== '__proto__' ? `${parent}.${name}` : `${parent}['${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

class FieldNode {
  children: Map<string, FieldNode> | null = null;
  element: FieldNode | null = null;
  lastRecord = -1;
  present = 0;
  lastPatchRecord = -1;
  /** Partial updates that carried the field. */
  patched = 0;
  values = 0;
  readonly types = new Array<number>(VALUE_KINDS.length).fill(0);
  readonly formats = new Array<number>(STRING_FORMATS.length).fill(0);
  minNumber = Infinity;
  maxNumber = -Infinity;
  minInstant = Infinity;
  minInstantText = '';
  maxInstant = -Infinity;
  maxInstantText = '';
  readonly distinct = new DistinctSketch();
  readonly examples: unknown[] = [];
  lastSeen: number;

  constructor(
    readonly path: string,
    readonly firstSeen: number,
  ) {
    this.lastSeen = firstSeen;
  }

  toDoc(): FieldDoc {
    const types: Partial<Record<ValueKind, number>> = {};
    VALUE_KINDS.forEach((kind, i) => {
      if (this.types[i]! > 0) types[kind] = this.types[i]!;
    });
    const formats: Partial<Record<StringFormat, number>> = {};
    STRING_FORMATS.forEach((format, i) => {
      if (this.formats[i]! > 0) formats[format] = this.formats[i]!;
    });
    return {
      path: this.path,
      present: this.present,
      ...(this.patched > 0 ? { patched: this.patched } : {}),
      values: this.values,
      types,
      ...(this.minNumber <= this.maxNumber ? { minNumber: this.minNumber, maxNumber: this.maxNumber } : {}),
      ...(this.minInstant <= this.maxInstant
        ? { minInstant: { ms: this.minInstant, text: this.minInstantText }, maxInstant: { ms: this.maxInstant, text: this.maxInstantText } }
        : {}),
      formats,
      distinct: this.distinct.serialize(),
      examples: [...this.examples],
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
    };
  }
}

export class TopicProfile {
  private readonly root: FieldNode;
  private readonly nodes: FieldNode[] = [];
  private record = 0;
  private sampled = 0;
  private images = 0;
  private patches = 0;
  private readonly ops: OpCounts = { c: 0, u: 0, d: 0, r: 0 };
  private firstSeen = 0;
  private lastSeen = 0;
  private droppedPaths = 0;
  /** Ring of the last `removalWindow` image stamps. */
  private readonly imageStamps: Float64Array;
  private ringNext = 0;

  constructor(
    readonly topic: string,
    removalWindow: number,
  ) {
    this.root = new FieldNode('$', 0);
    this.imageStamps = new Float64Array(Math.max(1, removalWindow));
  }

  /** Profiles one decoded change; `stamp` orders it (see profile-doc.ts). */
  observe(change: DecodedChange, stamp: number): void {
    this.sampled += 1;
    this.ops[change.op] += 1;
    if (this.firstSeen === 0) this.firstSeen = stamp;
    this.lastSeen = stamp;
    this.record += 1;
    if (change.op === 'd') {
      if (change.before) this.observeImage(change.before, stamp);
      return;
    }
    if (change.after && change.unavailable.length === 0) {
      this.observeImage(change.after, stamp);
    } else if (change.after) {
      this.observePatch(change.after, stamp, false);
    } else if (change.patch) {
      this.observePatch(change.patch.set, stamp, true);
    }
  }

  toDoc(processId: string): ProfileDoc {
    const stamps: number[] = [];
    const size = Math.min(this.images, this.imageStamps.length);
    for (let i = size; i > 0; i -= 1) {
      stamps.push(this.imageStamps[(this.ringNext - i + this.imageStamps.length) % this.imageStamps.length]!);
    }
    return {
      _id: profileId(this.topic, processId),
      topic: this.topic,
      processId,
      updatedAt: new Date(),
      sampled: this.sampled,
      images: this.images,
      patches: this.patches,
      ops: { ...this.ops },
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
      imageStamps: stamps,
      droppedPaths: this.droppedPaths,
      fields: this.nodes.filter((node) => node.values > 0 || node.present > 0).map((node) => node.toDoc()),
    };
  }

  private observeImage(image: Record<string, unknown>, stamp: number): void {
    this.images += 1;
    this.imageStamps[this.ringNext] = stamp;
    this.ringNext = (this.ringNext + 1) % this.imageStamps.length;
    this.observeMembers(this.root, image, stamp, true, 1);
  }

  private observePatch(set: Record<string, unknown>, stamp: number, dotted: boolean): void {
    this.patches += 1;
    for (const key of Object.keys(set)) {
      const value = set[key];
      if (value === undefined) continue;
      let node: FieldNode | null = this.root;
      const segments = dotted ? key.split('.') : [key];
      for (let i = 0; i < segments.length && node; i += 1) {
        const segment = segments[i]!;
        node = /^\d+$/.test(segment) && i > 0 ? this.elementOf(node, stamp) : this.childOf(node, segment, stamp);
        if (node && i < segments.length - 1) node.lastSeen = stamp;
      }
      if (node) this.observeValue(node, value, stamp, false, segments.length);
    }
  }

  private observeMembers(node: FieldNode, object: Record<string, unknown>, stamp: number, image: boolean, depth: number): void {
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      const value = object[key];
      if (value === undefined) continue;
      const child = this.childOf(node, key, stamp);
      if (child) this.observeValue(child, value, stamp, image, depth);
    }
  }

  private observeValue(node: FieldNode, value: unknown, stamp: number, image: boolean, depth: number): void {
    const kind = kindOf(value);
    if (kind === null) return;
    if (image && node.lastRecord !== this.record) {
      node.lastRecord = this.record;
      node.present += 1;
    } else if (!image && node.lastPatchRecord !== this.record) {
      node.lastPatchRecord = this.record;
      node.patched += 1;
    }
    node.values += 1;
    node.lastSeen = stamp;
    node.types[KIND_INDEX.get(kind)!]! += 1;
    switch (kind) {
      case 'string': {
        const text = value as string;
        const format = formatOf(text);
        if (format !== null) {
          node.formats[FORMAT_INDEX.get(format)!]! += 1;
          const ms = instantOf(text, format);
          if (ms !== null) {
            if (ms < node.minInstant) {
              node.minInstant = ms;
              node.minInstantText = text;
            }
            if (ms > node.maxInstant) {
              node.maxInstant = ms;
              node.maxInstantText = text;
            }
          }
        }
        node.distinct.addHash(hashString(text));
        addExample(node, text.length > EXAMPLE_CHARS ? text.slice(0, EXAMPLE_CHARS) : text);
        return;
      }
      case 'integer':
      case 'number': {
        const number = typeof value === 'bigint' ? Number(value) : (value as number);
        if (number < node.minNumber) node.minNumber = number;
        if (number > node.maxNumber) node.maxNumber = number;
        node.distinct.addHash((hashString(String(value)) ^ NUMBER_SALT) >>> 0);
        addExample(node, typeof value === 'bigint' ? String(value) : value);
        return;
      }
      case 'boolean':
        node.distinct.addHash(value ? TRUE_HASH : FALSE_HASH);
        addExample(node, value);
        return;
      case 'object':
        if (depth < MAX_DEPTH) this.observeMembers(node, value as Record<string, unknown>, stamp, image, depth + 1);
        return;
      case 'array': {
        if (depth >= MAX_DEPTH) return;
        const items = value as unknown[];
        if (items.length === 0) return;
        const element = this.elementOf(node, stamp);
        if (!element) return;
        for (const item of items) this.observeValue(element, item, stamp, image, depth + 1);
        return;
      }
      default:
        return;
    }
  }

  private childOf(node: FieldNode, name: string, stamp: number): FieldNode | null {
    node.children ??= new Map();
    const found = node.children.get(name);
    if (found) return found;
    return this.adopt(new FieldNode(childPath(node.path, name), stamp), (child) => node.children!.set(name, child));
  }

  private elementOf(node: FieldNode, stamp: number): FieldNode | null {
    if (node.element) return node.element;
    return this.adopt(new FieldNode(`${node.path}[*]`, stamp), (child) => {
      node.element = child;
    });
  }

  private adopt(node: FieldNode, attach: (node: FieldNode) => void): FieldNode | null {
    if (this.nodes.length >= MAX_FIELDS_PER_TOPIC) {
      this.droppedPaths += 1;
      return null;
    }
    attach(node);
    this.nodes.push(node);
    return node;
  }
}

function addExample(node: FieldNode, value: unknown): void {
  if (node.examples.length < MAX_EXAMPLES && !node.examples.includes(value)) node.examples.push(value);
}

export function profileId(topic: string, processId: string): string {
  return `${topic}|${processId}`;
}
