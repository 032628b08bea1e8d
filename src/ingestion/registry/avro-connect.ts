import { isUtf8 } from 'node:buffer';
import avro from 'avsc';
import type { AppError } from '../../errors';
import type { ConnectSchema } from '../debezium/decode-connect-value';
import { LogicalType } from '../debezium/decode-connect-value';
import { decodeFailed } from '../debezium/decode-failure';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, MIN_ZERO_SIZE_ITEMS, tooDeep, tooManyItems } from '../debezium/decode-limits';
import { EXACT_NUMBER_MARKER } from '../debezium/parse-json-lossless';

/**
 * An Avro writer schema seen as the Kafka Connect schema it was made from, and its decoded values
 * seen as the JSON converter writes them, so the very decoder of the JSON path
 * (decode-record.ts, decode-connect-value.ts) reads Avro records: every Debezium shape, logical
 * type and placeholder is decoded by one code, and both formats give the same canonical state.
 *
 * The Connect schema is rebuilt the way Kafka Connect's Avro converter wrote it: a record's
 * Connect name is its `connect.name` (else its Avro full name, e.g. `<prefix>.<table>.Envelope`),
 * a logical type comes from `connect.name` / `connect.parameters` (Debezium's `io.debezium.time.*`,
 * Connect's Decimal with its scale...), else from the Avro `logicalType` (decimal with its scale,
 * date, time-millis/-micros, timestamp-millis/-micros; uuid stays a string), `["null", X]` is an
 * optional X. Values become the JSON converter's: bytes as base64, longs as numbers (beyond 2^53
 * as the exact-number markers of parse-json-lossless.ts), floats as their shortest decimal
 * (floatToJson), unions unwrapped. A string or map key whose bytes are not UTF-8 is refused
 * (DECODE_FAILED naming the field), never read with U+FFFD in their place. An array or map block
 * is refused before any of its items is read when it claims more items than the bytes left could
 * hold (DECODE_FAILED naming the field), and more items that take no bytes (null, a record without
 * fields) than the value has bytes (at least 4,096) are DECODE_LIMIT_EXCEEDED: avsc trusts the count, and a few
 * bytes claiming two billion items would hold the consumer for minutes or exhaust its memory.
 */
export interface AvroConnectView {
  readonly schema: ConnectSchema;
  /** The avsc type that decodes the binary encoding (longs as BigInt, unions wrapped). */
  readonly type: avro.Type;
  /**
   * Decodes one Avro binary value into the JSON converter's payload.
   * @throws AppError DECODE_FAILED naming the field (`value.address.city`) when a string or a map
   * key is not UTF-8 or a block claims more items than the bytes left could hold;
   * DECODE_LIMIT_EXCEEDED naming the field when the value holds more items that take no bytes than
   * it has bytes (`limits.maxBytes` at most);
   * avsc's own Error when the bytes do not follow the schema
   */
  decode(payload: Buffer, part?: 'key' | 'value', limits?: DecodeLimits): unknown;
}

type AvroNode = string | readonly AvroNode[] | { readonly type: unknown; readonly [attribute: string]: unknown };

interface Node {
  connect: ConnectSchema;
  /** The name avsc gives the branch in a wrapped union. */
  readonly branch: string;
  convert(value: unknown): unknown;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const CONNECT_TYPE: Readonly<Record<string, string>> = {
  boolean: 'boolean',
  int: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  bytes: 'bytes',
  string: 'string',
};
/** Avro logical types as the Connect semantic type the JSON path knows. */
const LOGICAL: Readonly<Record<string, string>> = {
  date: LogicalType.CONNECT_DATE,
  'time-millis': LogicalType.CONNECT_TIME,
  'time-micros': LogicalType.MICRO_TIME,
  'timestamp-millis': LogicalType.CONNECT_TIMESTAMP,
  'timestamp-micros': LogicalType.MICRO_TIMESTAMP,
  'local-timestamp-millis': LogicalType.CONNECT_TIMESTAMP,
  'local-timestamp-micros': LogicalType.MICRO_TIMESTAMP,
  uuid: LogicalType.UUID,
};

/** Longs as BigInt: a double cannot hold every int64 (ids, NanoTimestamp), and no digit may be lost. */
export const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as string),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** The part of avsc's reading cursor (its `Tap`) the checked types below use. */
interface Tap {
  readonly buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  /** avsc's read of a string: `utf8Slice`, which puts U+FFFD in place of each byte sequence that is not UTF-8. */
  readString(): string | undefined;
}

interface Reader {
  _read(tap: Tap): unknown;
}

/** What a checked string or map reads in place of a string, or of a map, whose bytes are not UTF-8. */
const NOT_UTF8 = Object.freeze({ notUtf8: 'text' });
const NOT_UTF8_KEY = Object.freeze({ notUtf8: 'key' });

/**
 * A string as avsc reads it, or NOT_UTF8 when its bytes are not UTF-8. avsc's read puts U+FFFD in
 * place of each bad sequence, so only a string holding U+FFFD has its bytes looked at again (a
 * one-byte string cannot hold it, and V8 answers that at once): the cost on valid text is one
 * search of the decoded string.
 */
function readText(tap: Tap): string | typeof NOT_UTF8 | undefined {
  const start = tap.pos;
  const text = tap.readString();
  if (text === undefined || !text.includes('\ufffd')) return text;
  const end = tap.pos;
  tap.pos = start;
  const length = tap.readLong();
  const valid = isUtf8(tap.buf.subarray(tap.pos, tap.pos + length));
  tap.pos = end;
  return valid ? text : NOT_UTF8;
}

/** avsc's string, read with readText: U+FFFD the source wrote is kept, bytes that are not UTF-8 are not made into it. */
class CheckedStringType extends avro.types.StringType {
  _read(tap: Tap): unknown {
    return readText(tap);
  }
}

/**
 * A value refused while it is read or converted, named by the path of its field (`.address.city`,
 * `[2]`): the fields around it are added as it unwinds, and decode() makes it `refuse(path)`.
 */
class Refusal extends Error {
  constructor(
    public path: string,
    readonly refuse: (path: string) => AppError,
  ) {
    super('refused');
  }

  static within(error: unknown, segment: string): unknown {
    if (error instanceof Refusal) error.path = segment + error.path;
    return error;
  }
}

/**
 * The reading of one value by the checked types below, started afresh by decode() for each value:
 * one value is read at a time (a read is synchronous), whatever its view.
 */
const reading = {
  /** How many items that take no bytes one value may hold: its length in bytes, at least MIN_ZERO_SIZE_ITEMS. */
  maxItems: DEFAULT_DECODE_LIMITS.maxBytes,
  /** How many of them the value may still hold. */
  itemsLeft: DEFAULT_DECODE_LIMITS.maxBytes,
  /** Set while a refused record reads its fields again to find the one refused (locateRefusal). */
  locating: false,
  /** The part read (`key` or `value`), for the depth refusal. */
  part: 'value' as 'key' | 'value',
  /** The depth limit, and how many more records the record being read may hold inside itself. */
  maxDepth: DEFAULT_DECODE_LIMITS.maxDepth,
  depthLeft: DEFAULT_DECODE_LIMITS.maxDepth,
};

/**
 * Refuses a block of `count` items (or map entries) before any of them is read: when each takes
 * at least `size` bytes and the bytes left cannot hold them all, the bytes are corrupt
 * (DECODE_FAILED); when they take no bytes (null, a record without fields), no byte bounds their
 * count, so the value's length does, over all such items of the value (DECODE_LIMIT_EXCEEDED: a
 * JSON record of that many bytes could not hold more). Past the end of the buffer avsc's reads still
 * move on by at least an item's size, so the blocks that follow are bounded by what is left too.
 */
function checkBlock(tap: Tap, count: number, size: number): void {
  if (size > 0) {
    const left = tap.buf.length - tap.pos;
    if (count > left / size) {
      throw new Refusal('', (path) =>
        decodeFailed(`${path} claims a block of ${count} items, more than the ${Math.max(left, 0)} bytes left can hold (each takes at least ${size})`),
      );
    }
    return;
  }
  reading.itemsLeft -= count;
  if (reading.itemsLeft < 0) {
    const max = reading.maxItems;
    throw new Refusal('', (path) => tooManyItems(path, max));
  }
}

function blockCount(tap: Tap): number {
  const count = tap.readLong();
  if (count >= 0) return count;
  tap.skipLong();
  return -count;
}

/** The minimum size of a record (cycles through itself count 0), and of the items or entries of an array or map. */
const MINIMUM_SIZE = new WeakMap<avro.Type, number>();

/**
 * The fewest bytes a value of `type` takes. A boolean, an int or long, a string's or bytes'
 * length, an enum's index (of one symbol too), an array's or map's last block count and a union's
 * index take a byte at least; a float 4, a double 8, a fixed its size; a record the sum of its
 * fields, so 0 for a record without fields; null 0, and any type not known here 0 (bounded by the
 * value's length, never by the bytes left).
 */
function minimumSize(type: avro.Type): number {
  switch (type.typeName) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'abstract:long':
    case 'string':
    case 'bytes':
    case 'enum':
    case 'array':
    case 'map':
      return 1;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return (type as avro.types.FixedType).size;
    case 'union:wrapped':
    case 'union:unwrapped':
      return 1 + Math.min(...(type as avro.types.WrappedUnionType).types.map(minimumSize));
    case 'record':
    case 'error': {
      const known = MINIMUM_SIZE.get(type);
      if (known !== undefined) return known;
      // A record within itself (through a union, an array or a map) adds nothing to its own minimum.
      MINIMUM_SIZE.set(type, 0);
      const size = (type as avro.types.RecordType).fields.reduce((sum, field) => sum + minimumSize(field.type), 0);
      MINIMUM_SIZE.set(type, size);
      return size;
    }
    default:
      return type.typeName.startsWith('logical:') ? minimumSize((type as avro.types.LogicalType).underlyingType) : 0;
  }
}

/** The minimum size of an item of `container` (an array), or of an entry (a map: a key's length takes a byte at least), computed once. */
function itemSize(container: avro.Type, item: () => number): number {
  let size = MINIMUM_SIZE.get(container);
  if (size === undefined) {
    size = item();
    MINIMUM_SIZE.set(container, size);
  }
  return size;
}

/** avsc's array, each block checked (checkBlock) before its items are read; a refusal within an item gets its index. */
class CheckedArrayType extends avro.types.ArrayType {
  _read(tap: Tap): unknown {
    const items = this.itemsType as unknown as Reader;
    const size = itemSize(this, () => minimumSize(this.itemsType));
    let array: unknown[] | undefined;
    let at = 0;
    let count: number;
    while ((count = blockCount(tap))) {
      checkBlock(tap, count, size);
      // As avsc does: the array is made at the size of the first block.
      array ??= new Array<unknown>(count);
      for (const end = at + count; at < end; at += 1) {
        try {
          array[at] = items._read(tap);
        } catch (error) {
          throw Refusal.within(error, `[${at}]`);
        }
      }
    }
    return array ?? [];
  }
}

/**
 * avsc's map, its keys read with readText (avsc reads them with its string read, not its string
 * type's): a map with a key that is not UTF-8 reads as NOT_UTF8_KEY, after its entries, so the
 * rest of the value reads on. Blocks as avsc reads them (a negative count is followed by the
 * block's size in bytes), each checked (checkBlock) before its entries are read.
 */
class CheckedMapType extends avro.types.MapType {
  _read(tap: Tap): unknown {
    const values = this.valuesType as Reader;
    const size = itemSize(this, () => 1 + minimumSize(this.valuesType));
    const map: Record<string, unknown> = {};
    let keyNotUtf8 = false;
    let count: number;
    while ((count = blockCount(tap))) {
      checkBlock(tap, count, size);
      while (count--) {
        const key = readText(tap);
        let value: unknown;
        try {
          value = values._read(tap);
        } catch (error) {
          throw Refusal.within(error, key === NOT_UTF8 ? '.<a key that is not UTF-8>' : `.${key}`);
        }
        if (key === NOT_UTF8) keyNotUtf8 = true;
        else map[key as string] = value;
      }
    }
    return keyNotUtf8 ? NOT_UTF8_KEY : map;
  }
}

type Read = (tap: Tap) => unknown;
/** avsc's own: makes the record's reader (code generated per record, one call per field), which its constructor keeps. */
const createReader = (avro.types.RecordType.prototype as unknown as { _createReader(this: avro.types.RecordType): Read })._createReader;

/**
 * avsc's record, its reader wrapped so that a refusal within it gets the field it is in
 * (locateRefusal), and records nested deeper than the decode limits' depth are refused as they are
 * reached (DECODE_LIMIT_EXCEEDED, as a JSON value that deep is): a recursive schema lets a value of
 * a few kilobytes nest records thousands deep, which avsc's reader would follow until the stack
 * overflowed. No field is named: the path of such a value is as long as the value.
 */
class CheckedRecordType extends avro.types.RecordType {
  _createReader(): Read {
    const read = createReader.call(this);
    return (tap) => {
      const start = tap.pos;
      const itemsLeft = reading.itemsLeft;
      const depthLeft = --reading.depthLeft;
      if (depthLeft < 0) throw tooDeep(reading.part, reading.maxDepth);
      try {
        const value = read(tap);
        reading.depthLeft += 1;
        return value;
      } catch (error) {
        throw locateRefusal(error, this, tap, start, itemsLeft, depthLeft);
      }
    };
  }
}

/**
 * The refusal thrown while `record` was read from `start`, with the field it is in: avsc's reader
 * reads the fields in one expression, so they are read again one by one from there, as they were
 * (same bytes, same items left), until one throws. Records within it, read again, leave the
 * refusal as it is (`reading.locating`): each record around a refusal reads its fields again once.
 */
function locateRefusal(error: unknown, record: avro.types.RecordType, tap: Tap, start: number, itemsLeft: number, depthLeft: number): unknown {
  if (!(error instanceof Refusal) || reading.locating) return error;
  reading.locating = true;
  tap.pos = start;
  reading.itemsLeft = itemsLeft;
  reading.depthLeft = depthLeft;
  try {
    for (const field of record.fields) {
      try {
        (field.type as unknown as Reader)._read(tap);
      } catch {
        return Refusal.within(error, `.${field.name}`);
      }
    }
    return error;
  } finally {
    reading.locating = false;
  }
}

const CHECKED_STRING = new CheckedStringType();

/**
 * avsc's `typeHook`: every long (`"long"` and `{"type": "long", ...}`, a logical or Connect-named
 * long alike) as BIGINT_LONG, every string (Connect-named, uuid...), array, map and record as the
 * checked types above, so a string that is not UTF-8 is caught while it is read, not by a walk of
 * its own, and no block count is trusted.
 */
function readerTypes(schema: avro.Schema, options: unknown): avro.Type | undefined {
  const kind = typeof schema === 'string' ? schema : (schema as { type?: unknown }).type;
  if (kind === 'long') return BIGINT_LONG;
  if (kind === 'string') return CHECKED_STRING;
  if (typeof schema !== 'object') return undefined;
  if (kind === 'array') return new CheckedArrayType(schema, options);
  if (kind === 'map') return new CheckedMapType(schema, options);
  if (kind === 'record' || kind === 'error') return new CheckedRecordType(schema, options);
  return undefined;
}

const notUtf8 = (path: string) => decodeFailed(`${path} is not valid UTF-8 text`);
const notUtf8Key = (path: string) => decodeFailed(`${path} (a key) is not valid UTF-8 text`);

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Builds the view of a parsed Avro schema; throws (avsc's or our own words) when it is not one. */
export function avroConnectView(schema: unknown): AvroConnectView {
  const type = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: true, typeHook: readerTypes });
  const named = new Map<string, Node>();
  const root = build(schema as AvroNode, '', named);
  return {
    schema: root.connect,
    type,
    decode(payload, part = 'value', limits = DEFAULT_DECODE_LIMITS) {
      // As many items that take no bytes as the value has bytes (a few thousand in any value): no more than a JSON record holds,
      // and as much as any other item, so a batch of a fetch's bytes decodes to what such items
      // would (the byte limit alone let 8 values of 16 bytes, 16 million nulls each, fill 1 GB).
      reading.maxItems = Math.min(Math.max(payload.length, MIN_ZERO_SIZE_ITEMS), limits.maxBytes);
      reading.itemsLeft = reading.maxItems;
      reading.locating = false;
      reading.part = part;
      reading.maxDepth = limits.maxDepth;
      reading.depthLeft = limits.maxDepth;
      try {
        return root.convert(type.fromBuffer(payload));
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        throw error.refuse(`${part}${error.path}`);
      }
    },
  };
}

function build(node: AvroNode, namespace: string, named: Map<string, Node>): Node {
  if (typeof node === 'string') {
    if (PRIMITIVES.has(node)) return primitive(node, {});
    const found = named.get(fullName(node, namespace)) ?? named.get(node);
    if (!found) throw new Error(`unknown Avro type name ${JSON.stringify(node)}`);
    return found;
  }
  if (Array.isArray(node)) return union(node as readonly AvroNode[], namespace, named);
  const attributes = node as Record<string, unknown>;
  const kind = attributes.type;
  if (typeof kind !== 'string') return build(kind as AvroNode, namespace, named);
  if (PRIMITIVES.has(kind)) return primitive(kind, attributes);
  switch (kind) {
    case 'record':
    case 'error': {
      const full = fullName(String(attributes.name), typeof attributes.namespace === 'string' ? attributes.namespace : namespace);
      const inner = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
      const fields: { name: string; node: Node }[] = [];
      const record: Node = {
        connect: { type: 'struct', name: connectName(attributes) ?? full, ...connectExtras(attributes) },
        branch: full,
        convert(value) {
          if (value === null || value === undefined) return null;
          const source = value as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          let at = 0;
          try {
            for (; at < fields.length; at += 1) {
              const field = fields[at]!;
              out[field.name] = field.node.convert(source[field.name]);
            }
          } catch (error) {
            throw Refusal.within(error, `.${fields[at]!.name}`);
          }
          return out;
        },
      };
      named.set(full, record);
      for (const field of (attributes.fields as { name: string; type: AvroNode }[] | undefined) ?? []) {
        fields.push({ name: field.name, node: build(field.type, inner, named) });
      }
      record.connect = { ...record.connect, fields: fields.map((f) => ({ ...f.node.connect, field: f.name })) };
      return record;
    }
    case 'enum': {
      const full = fullName(String(attributes.name), typeof attributes.namespace === 'string' ? attributes.namespace : namespace);
      const node: Node = { connect: { type: 'string', ...named_(attributes) }, branch: full, convert: (value) => value ?? null };
      named.set(full, node);
      return node;
    }
    case 'fixed': {
      const full = fullName(String(attributes.name), typeof attributes.namespace === 'string' ? attributes.namespace : namespace);
      const node: Node = { ...primitive('bytes', attributes), branch: full };
      named.set(full, node);
      return node;
    }
    case 'array': {
      const items = build(attributes.items as AvroNode, namespace, named);
      return {
        connect: { type: 'array', items: items.connect, ...named_(attributes) },
        branch: 'array',
        convert(value) {
          if (!Array.isArray(value)) return null;
          const out = new Array<unknown>(value.length);
          let at = 0;
          try {
            for (; at < value.length; at += 1) out[at] = items.convert(value[at]);
          } catch (error) {
            throw Refusal.within(error, `[${at}]`);
          }
          return out;
        },
      };
    }
    case 'map': {
      const values = build(attributes.values as AvroNode, namespace, named);
      return {
        connect: { type: 'map', keys: { type: 'string' }, values: values.connect, ...named_(attributes) },
        branch: 'map',
        convert(value) {
          if (value === null || value === undefined) return null;
          if (value === NOT_UTF8_KEY) throw new Refusal('', notUtf8Key);
          const out: Record<string, unknown> = {};
          for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
            try {
              out[key] = values.convert(item);
            } catch (error) {
              throw Refusal.within(error, `.${key}`);
            }
          }
          return out;
        },
      };
    }
    default:
      return build(kind, namespace, named);
  }
}

function primitive(kind: string, attributes: Record<string, unknown>): Node {
  const connectType = typeof attributes['connect.type'] === 'string' ? attributes['connect.type'] : (CONNECT_TYPE[kind] ?? kind);
  const connect: ConnectSchema = { type: connectType, ...named_(attributes) };
  const convert =
    kind === 'long'
      ? longToJson
      : kind === 'float'
        ? floatToJson
        : kind === 'bytes' || kind === 'fixed'
          ? (value: unknown) => (Buffer.isBuffer(value) ? value.toString('base64') : (value ?? null))
          : kind === 'string'
            ? textToJson
            : (value: unknown) => value ?? null;
  return { connect, branch: kind, convert };
}

/** `["null", X]` is an optional X (what Connect's converter writes for an optional field); wider unions keep their branch's value. */
function union(branches: readonly AvroNode[], namespace: string, named: Map<string, Node>): Node {
  const nodes = branches.map((branch) => build(branch, namespace, named));
  const present = nodes.filter((node) => node.branch !== 'null');
  const byBranch = new Map(nodes.map((node) => [node.branch, node]));
  const connect: ConnectSchema = present.length === 1 ? { ...present[0]!.connect, optional: true } : { type: 'union', optional: present.length < nodes.length };
  return {
    connect,
    branch: 'union',
    convert(value) {
      if (value === null || value === undefined) return null;
      // wrapUnions: avsc gives `{<branch name>: value}`.
      const [name, inner] = Object.entries(value as Record<string, unknown>)[0] ?? [];
      const node = name === undefined ? undefined : byBranch.get(name);
      if (!node) throw new Error(`union value of unknown branch ${JSON.stringify(name)}`);
      return node.convert(inner);
    },
  };
}

/**
 * A float32 as the JSON converter writes it: Java's `Float.toString`, the shortest decimal that
 * reads back as the same float32 (0.1f is `0.1`, not the double 0.10000000149011612 avsc gives).
 * Like Java, at least two significant digits are considered (where one would do, the closest of
 * two is taken: Float.MIN_VALUE is 1.4e-45, not 1e-45); nine always suffice. Zero (its sign too),
 * NaN and the infinities stay as they are.
 */
export function floatToJson(value: unknown): unknown {
  if (typeof value !== 'number') return value ?? null;
  if (value === 0 || !Number.isFinite(value)) return value;
  for (let digits = 2; digits < 9; digits += 1) {
    const shortest = Number(value.toPrecision(digits));
    if (Math.fround(shortest) === value) return shortest;
  }
  return Number(value.toPrecision(9));
}

function textToJson(value: unknown): unknown {
  if (value === NOT_UTF8) throw new Refusal('', notUtf8);
  return value ?? null;
}

function longToJson(value: unknown): unknown {
  if (typeof value !== 'bigint') return value ?? null;
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : `${EXACT_NUMBER_MARKER}${value.toString()}`;
}

/** The Connect name, parameters and version of a node (from `connect.*`, else its Avro logical type). */
function named_(attributes: Record<string, unknown>): Partial<ConnectSchema> {
  const name = connectName(attributes) ?? (typeof attributes.logicalType === 'string' ? logicalName(attributes) : undefined);
  return { ...(name ? { name } : {}), ...connectExtras(attributes) };
}

function connectName(attributes: Record<string, unknown>): string | undefined {
  return typeof attributes['connect.name'] === 'string' ? attributes['connect.name'] : undefined;
}

function logicalName(attributes: Record<string, unknown>): string | undefined {
  if (attributes.logicalType === 'decimal') return LogicalType.DECIMAL;
  return LOGICAL[String(attributes.logicalType)];
}

function connectExtras(attributes: Record<string, unknown>): Partial<ConnectSchema> {
  const parameters = attributes['connect.parameters'];
  const version = attributes['connect.version'];
  const decimalScale =
    attributes.logicalType === 'decimal' && (parameters === undefined || parameters === null) ? { scale: String(attributes.scale ?? 0) } : undefined;
  return {
    ...(parameters !== null && typeof parameters === 'object' ? { parameters: parameters as Record<string, string> } : {}),
    ...(decimalScale ? { parameters: decimalScale } : {}),
    ...(typeof version === 'number' ? { version } : {}),
  };
}

function fullName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}
