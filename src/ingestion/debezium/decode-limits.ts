import { AppError, ErrorCode } from '../../errors';

/**
 * Bounds on what the decoder accepts, checked on the JSON text before it is parsed, so a hostile
 * or careless producer cannot make canonql store what its store refuses (MongoDB accepts at most
 * 100 levels of nesting and 16 MiB per document; past that a write fails for good, or, with a
 * store that does not check, its writer overflows its stack) nor make a recursive walk of ours
 * overflow ours. Both checks are single iterative passes over the text.
 */
export interface DecodeLimits {
  /** Deepest nesting of objects and arrays in one JSON text (`{}` is 1, `{"a":[1]}` is 2). */
  readonly maxDepth: number;
  /** Largest JSON text, in UTF-8 bytes. */
  readonly maxBytes: number;
}

/** What MongoDB itself accepts: 100 levels of nesting, 16 MiB per BSON document. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxDepth: 100, maxBytes: 16 * 1024 * 1024 };

/**
 * Most digits of one decoded decimal: the widest PostgreSQL numeric (131,072 digits before the
 * point, 16,383 after), the widest any source database sends. A Decimal's scale or exponent takes
 * a few bytes of a record yet says how many digits its text has: beyond this it is refused before
 * any arithmetic, rather than building a number of a billion digits.
 */
export const MAX_DECIMAL_DIGITS = 131_072 + 16_383;

/** Refuses JSON text beyond the limits (DECODE_LIMIT_EXCEEDED); `what` names it in the message. */
export function checkJsonText(text: string, limits: DecodeLimits, what: string): void {
  // A string's UTF-8 size is between its length and three times it: count bytes only when needed.
  if (text.length > limits.maxBytes || (text.length * 3 > limits.maxBytes && Buffer.byteLength(text, 'utf8') > limits.maxBytes)) {
    throw tooLarge(what, Buffer.byteLength(text, 'utf8'), limits.maxBytes);
  }
  if (openingBrackets(text, limits.maxDepth + 1) <= limits.maxDepth) return;
  let depth = 0;
  let inString = false;
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (inString) {
      if (code === 92 /* \ */) at += 1;
      else if (code === 34 /* " */) inString = false;
    } else if (code === 34) {
      inString = true;
    } else if (code === 123 /* { */ || code === 91 /* [ */) {
      depth += 1;
      if (depth > limits.maxDepth) throw tooDeep(what, limits.maxDepth);
    } else if (code === 125 /* } */ || code === 93 /* ] */) {
      depth -= 1;
    }
  }
}

/**
 * The `{` and `[` in the text, strings included, counted up to `stopAt`: nesting can go no deeper
 * than their number, so a text with few of them (every ordinary record) needs no scan character
 * by character. `indexOf` finds them several times faster than that scan.
 */
function openingBrackets(text: string, stopAt: number): number {
  let count = 0;
  for (let at = text.indexOf('{'); at !== -1 && count < stopAt; at = text.indexOf('{', at + 1)) count += 1;
  for (let at = text.indexOf('['); at !== -1 && count < stopAt; at = text.indexOf('[', at + 1)) count += 1;
  return count;
}

/** Levels of object/array nesting of a decoded value (`{}` is 1, a scalar 0), walked iteratively; stops counting past `stopAbove`. */
export function valueDepth(value: unknown, stopAbove = Number.POSITIVE_INFINITY): number {
  if (!isContainer(value)) return 0;
  let deepest = 0;
  // Two stacks side by side, and only containers on them: every canonical document is walked,
  // and a [value, level] pair per scalar was most of what the walk allocated.
  const containers: object[] = [value];
  const levels: number[] = [1];
  while (containers.length > 0) {
    const item = containers.pop()!;
    const level = levels.pop()!;
    if (level > deepest) {
      deepest = level;
      if (deepest > stopAbove) return deepest;
    }
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (isContainer(child)) {
        containers.push(child);
        levels.push(level + 1);
      }
    }
  }
  return deepest;
}

/** An object or array to descend into; a Date or binary value is a leaf. */
function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !(value instanceof Date) && !ArrayBuffer.isView(value);
}

export function tooDeep(what: string, max: number): AppError {
  return new AppError(ErrorCode.DECODE_LIMIT_EXCEEDED, `${what} nests deeper than ${max} levels (CANONQL_DECODE_MAX_DEPTH)`, {
    details: { limit: 'depth', max },
  });
}

export function tooLarge(what: string, bytes: number, max: number): AppError {
  return new AppError(ErrorCode.DECODE_LIMIT_EXCEEDED, `${what} is ${bytes} bytes, more than ${max} (CANONQL_DECODE_MAX_BYTES)`, {
    details: { limit: 'bytes', bytes, max },
  });
}

/**
 * How many items that take no bytes (nulls, records without fields) an Avro value may hold at
 * least, whatever its length: a small value with a few of them decodes, and 4,096 of them cost a
 * few tens of kilobytes.
 */
export const MIN_ZERO_SIZE_ITEMS = 4096;

/**
 * Refuses an Avro value holding more items that take no bytes (nulls, records without fields) than
 * `max`: its length in bytes (at least MIN_ZERO_SIZE_ITEMS, CANONQL_DECODE_MAX_BYTES at most). No
 * byte bounds their count, and a JSON record could not hold more items than it has bytes. `what`
 * names the field where the count passed `max`.
 */
export function tooManyItems(what: string, max: number): AppError {
  return new AppError(
    ErrorCode.DECODE_LIMIT_EXCEEDED,
    `${what} holds more than ${max} items that take no bytes: a value holds as many as it has bytes, at least ${MIN_ZERO_SIZE_ITEMS}`,
    { details: { limit: 'items', max } },
  );
}

/** Refuses a decimal beyond MAX_DECIMAL_DIGITS (DECODE_LIMIT_EXCEEDED); `digits` when its count is known. */
export function tooManyDigits(digits?: number): AppError {
  const what = digits !== undefined && Number.isFinite(digits) ? `a decimal of ${digits} digits` : 'a decimal';
  return new AppError(ErrorCode.DECODE_LIMIT_EXCEEDED, `${what} is more than ${MAX_DECIMAL_DIGITS} digits (the widest PostgreSQL numeric)`, {
    details: { limit: 'digits', max: MAX_DECIMAL_DIGITS },
  });
}
