/**
 * JSON parsing that does not silently round numbers.
 *
 * `JSON.parse` turns every number into an IEEE double, so an int64 above 2^53 (a BIGINT id, a
 * `NanoTimestamp` column, a MongoDB int64 in relaxed Extended JSON) or a Decimal written by the JSON
 * converter with `decimal.format=NUMERIC` comes back as a *different* number. Before parsing we rewrite only the
 * numbers a double cannot hold exactly into marker strings ({@link EXACT_NUMBER_MARKER} + source
 * text); decoders that know the column type turn them into what that type needs (a decimal string,
 * BigInt arithmetic for nanoseconds, a Number for floats). Everything else is the native parser.
 */

import { decodeFailed } from './decode-failure';
import { checkJsonText, DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-limits';

/**
 * Prefix of a string that stands for a JSON number literal too large or too precise for a double.
 * A NUL cannot occur unescaped in JSON text, so real data collides only if it literally contains
 * this escape sequence, which no database column plausibly does.
 */
export const EXACT_NUMBER_MARKER = '\u0000#num:';

/** Result of {@link parseJsonLossless}: the value, and whether any marker was produced. */
export interface LosslessJson {
  readonly value: unknown;
  /** False in the common case, so callers can skip walking the value to convert markers. */
  readonly hasExactNumbers: boolean;
  /**
   * How many numbers after a `"ts_ns"` key were left to the native parser although a double
   * cannot hold them exactly (only with {@link LosslessOptions.envelopeTsNs}); 0 otherwise.
   */
  readonly inexactTsNs: number;
}

export interface LosslessOptions {
  /**
   * Leave every number after a `"ts_ns"` key to the native parser (see TS_NS_KEY below), counting
   * the unsafe ones in {@link LosslessJson.inexactTsNs}. Only for a Debezium envelope's text, whose
   * own `ts_ns` and `source.ts_ns` canonql never reads; the caller parses again without it when
   * the count says a row's `ts_ns` column was among them (decode-record.ts, parseValueMessage).
   */
  readonly envelopeTsNs?: boolean;
}

// Only a literal with at least 16 digits (and dots) can be beyond the precision of a double, so
// only such runs are candidates. Most of them (`ts_us`, 16-digit ids) are still exact and stay.
// A number outside strings starts the text or follows `:`, `,`, `[` or whitespace: the lookbehind
// drops, at the first character, the digit runs inside strings (ObjectIds, zero-padded ids, digits
// after a letter or quote) that would otherwise each cost an exactness check and a quote count.
const CANDIDATE = /(?<![^:,[\s])-?\d[\d.]{15,}(?:[eE][+-]?\d+)?/g;
// With an exponent of three digits or more, a shorter literal (1E-400) may be beyond the range of
// a double too (1.5e-7 is not: with a shorter exponent and under 16 characters it is in range).
// Such literals are rare, so the extra alternative is only scanned for when the text
// may hold one: the common record pays a search for `e` followed by three digits (a sign between
// allowed), not a second pass per digit run. Hex text (an ObjectId's `e5101`) passes that search
// (29% of random 24-digit hex strings), so the scan is anchored like CANDIDATE.
const CANDIDATE_OR_EXPONENT = /(?<![^:,[\s])(?:-?\d[\d.]{15,}(?:[eE][+-]?\d+)?|-?\d[\d.]*[eE][+-]?\d{3,})/g;
const FAR_EXPONENT = /[eE][+-]?\d{3}/;
// Every match of CANDIDATE holds 16 digits and dots in a row. This fixed-length class the regular
// expression engine finds about ten times faster than CANDIDATE's first match attempt, whose
// optional sign makes it try at every position: most texts (an image, an envelope without
// `ts_ns`) have no such run and skip the scan.
const LONG_RUN = /[\d.]{16}/;
/** The smallest normal double: below it a double keeps fewer than 15 significant digits. */
const MIN_NORMAL = 2 ** -1022;
const MAX_SAFE = String(Number.MAX_SAFE_INTEGER);
// Recent Debezium versions (the 3.6 captures in test/fixtures) stamp every envelope and source
// block with `ts_ns` (19 digits, beyond 2^53).
// canonql never reads those, so with `envelopeTsNs` they are left to the native parser: skipping
// them keeps most records on the fast path (no quote scanning at all). A table column may have the
// same name, so they are counted, and the caller parses again exactly when one was not the envelope's.
const TS_NS_KEY = '"ts_ns"';

/**
 * Parses JSON text; numbers that a double cannot represent exactly become marker strings.
 * Text beyond the decode limits is refused first (AppError DECODE_LIMIT_EXCEEDED, see
 * decode-limits.ts), so neither the parser nor any recursive walk of the result sees it.
 * Throws the native `SyntaxError` for malformed text (the caller wraps it with context).
 */
export function parseJsonLossless(
  text: string,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
  what = 'the JSON text',
  options: LosslessOptions = {},
): LosslessJson {
  checkJsonText(text, limits, what);
  const marked = markUnsafeNumbers(text, options.envelopeTsNs === true);
  const value: unknown = JSON.parse(marked.text ?? text);
  if (text.includes('\\u') && SURROGATE_ESCAPE.test(text)) refuseLoneSurrogates(value, what);
  return { value, hasExactNumbers: marked.text !== null, inexactTsNs: marked.inexactTsNs };
}

/**
 * A `\uD800`–`\uDFFF` escape: the only way a lone surrogate reaches a parsed string (UTF-8 bytes
 * cannot encode one, and a record's bytes are checked to be UTF-8). Only text holding one is walked.
 */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** A surrogate code unit without its pair (with the `u` flag a pair is one code point, not `Cs`). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Refuses a value holding a string (or a key) with a lone surrogate (`"\ud800"`): the store's BSON
 * writes it as U+FFFD while the canonical event and the event log keep the escape, so the entity
 * and its history would differ. DECODE_FAILED, as for bytes that are not UTF-8. The walk's depth is
 * bounded by the decode limits, checked before the parse.
 */
function refuseLoneSurrogates(value: unknown, what: string): void {
  const visit = (node: unknown): void => {
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node))
        throw decodeFailed(`${what} holds a lone surrogate (an unpaired \\uD800–\\uDFFF escape): ${JSON.stringify(node.slice(0, 80))}`);
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        visit(key);
        visit(item);
      }
    }
  };
  visit(value);
}

/**
 * Rewrites every number literal outside strings that a double cannot hold exactly into a marker
 * string; `text` is null when there is none (the common case: then the text is parsed as it is).
 * Whether a candidate is inside a string is decided by the parity of unescaped quotes before it,
 * counted with `indexOf` from the previous candidate on, so the cost stays near a plain scan.
 * With `skipTsNs`, a literal after `"ts_ns":` is left as it is and counted (in valid JSON such a
 * literal is never inside a string: a quote inside one is escaped).
 */
function markUnsafeNumbers(text: string, skipTsNs: boolean): { text: string | null; inexactTsNs: number } {
  let out: string[] | null = null;
  let copied = 0;
  let scanned = 0;
  let inString = false;
  let inexactTsNs = 0;
  const farExponent = FAR_EXPONENT.test(text);
  if (!farExponent && !LONG_RUN.test(text)) return { text: null, inexactTsNs };
  const candidates = farExponent ? CANDIDATE_OR_EXPONENT : CANDIDATE;
  candidates.lastIndex = 0;
  for (let match = candidates.exec(text); match !== null; match = candidates.exec(text)) {
    const token = match[0];
    const start = match.index;
    if (isExactAsDouble(token)) continue;
    if (skipTsNs && isValueOf(text, start, TS_NS_KEY)) {
      inexactTsNs += 1;
      continue;
    }
    for (let quote = text.indexOf('"', scanned); quote !== -1 && quote < start; quote = text.indexOf('"', scanned)) {
      if (!inString || !isEscaped(text, quote)) inString = !inString;
      scanned = quote + 1;
    }
    scanned = Math.max(scanned, start);
    // A number followed by `:` stands where a key must: the text is not JSON, and a marker would
    // make it a string key the native parser accepts. Left as it is, the parser refuses it.
    if (inString || isFollowedByColon(text, start + token.length)) continue;
    (out ??= []).push(text.slice(copied, start), `"\\u0000#num:${token}"`);
    copied = start + token.length;
  }
  if (out === null) return { text: null, inexactTsNs };
  out.push(text.slice(copied));
  return { text: out.join(''), inexactTsNs };
}

/** True when the literal at `start` directly follows `<key>:` (JSON whitespace allowed). */
function isValueOf(text: string, start: number, key: string): boolean {
  let at = start - 1;
  while (at >= 0 && isJsonSpace(text.charCodeAt(at))) at -= 1;
  if (text.charCodeAt(at) !== 58 /* : */) return false;
  at -= 1;
  while (at >= 0 && isJsonSpace(text.charCodeAt(at))) at -= 1;
  return text.startsWith(key, at - key.length + 1);
}

/** True when the first character from `at` that is not JSON whitespace is `:`. */
function isFollowedByColon(text: string, at: number): boolean {
  while (at < text.length && isJsonSpace(text.charCodeAt(at))) at += 1;
  return text.charCodeAt(at) === 58 /* : */;
}

function isJsonSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/** A quote inside a string is escaped when an odd number of backslashes precedes it. */
function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let at = quote - 1; at >= 0 && text.charCodeAt(at) === 92 /* \\ */; at -= 1) backslashes += 1;
  return backslashes % 2 === 1;
}

/** True when `value` is a marker produced by {@link parseJsonLossless}. */
export function isExactNumber(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(EXACT_NUMBER_MARKER);
}

/** The original number literal behind a marker. */
export function exactNumberText(marker: string): string {
  return marker.slice(EXACT_NUMBER_MARKER.length);
}

/** True when the literal is an integer (no fraction, no exponent). */
export function isIntegerLiteral(literal: string): boolean {
  return /^-?\d+$/.test(literal);
}

/**
 * Schemaless rendering of a marker: an integer beyond 2^53 stays a digit string (the same rule
 * as MongoDB's `$numberLong`), a long fraction becomes a Number (it was a double at the source:
 * without a schema nothing says it is a decimal).
 */
export function plainExactNumber(marker: string): string | number {
  const literal = exactNumberText(marker);
  return isIntegerLiteral(literal) ? literal : Number(literal);
}

/** Replaces every marker in a parsed value with its schemaless rendering (see {@link plainExactNumber}). */
export function plainJson(value: unknown): unknown {
  if (typeof value === 'string') return isExactNumber(value) ? plainExactNumber(value) : value;
  if (Array.isArray(value)) return value.map(plainJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = plainJson(item);
    return out;
  }
  return value;
}

function isExactAsDouble(literal: string): boolean {
  if (isIntegerLiteral(literal)) {
    const digits = literal.replace(/^-?0*/, '');
    return digits.length < MAX_SAFE.length || (digits.length === MAX_SAFE.length && digits <= MAX_SAFE);
  }
  // Any decimal literal with at most 15 significant digits within the range of normal doubles
  // survives the round trip through a double unchanged (DBL_DIG = 15), so String(Number(x))
  // reproduces it. Beyond that range the parser gives ±Infinity, 0 (1e-400) or a subnormal.
  const significant = literal
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  if (significant.length > 15) return false;
  const magnitude = Math.abs(Number(literal));
  return significant === '' || (magnitude >= MIN_NORMAL && magnitude !== Number.POSITIVE_INFINITY);
}
