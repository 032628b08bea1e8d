import type { RegExpEngine, RegExpLike } from 'ajv/dist/types';
import { RE2JS } from 're2js';

/**
 * The regex engine ajv validates canonical documents with (its `code.regExp` option): RE2
 * (re2js, pure JavaScript), whose matching time is linear in the input, so no `pattern` or
 * `patternProperties` key a schema registers can make one record stall ingestion or a preview
 * (`^(\w|\d)*$` on "111…1!" takes exponential time in JavaScript's backtracking engine).
 *
 * Patterns keep their ECMAScript meaning (ajv's `u` flag): a pattern is first compiled by
 * JavaScript (its syntax errors stay ajv's), then rewritten where RE2's syntax means something
 * else — `\s`/`\S` (ECMAScript's includes Unicode spaces), `[\b]`, `.` (ECMAScript's excludes \r,
 * U+2028, U+2029), `[]`, surrogate-pair escapes — and translated (`\u{…}`, named groups…).
 * What RE2 cannot match in linear time (lookarounds, backreferences, repeat counts above 1000,
 * `\p{Script=…}` long forms) throws: see {@link linearPatternProblem}.
 */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string): RegExpLike => {
    if (flags !== 'u') throw new Error(`the linear regex engine takes ajv's "u" flag only, got ${JSON.stringify(flags)}`);
    new RegExp(pattern, flags); // ECMAScript syntax first: what JavaScript refuses stays refused
    const re = RE2JS.compile(RE2JS.translateRegExp(toRe2Syntax(pattern)));
    return { test: (s: string) => re.test(s), toString: () => `/${pattern}/${flags}` } as RegExpLike;
  },
  { code: 'linearRegExp' },
);

/** Why RE2 cannot take a pattern JavaScript compiles (null when it can, or when JavaScript cannot). */
export function linearPatternProblem(pattern: string): string | null {
  try {
    new RegExp(pattern, 'u');
  } catch {
    return null; // not an ECMAScript pattern: ajv reports it
  }
  try {
    linearRegExp(pattern, 'u');
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const WHITESPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** The complement of WHITESPACE as ranges, so `\S` can sit inside a class. */
const NON_WHITESPACE =
  '\\u{0}-\\u{8}\\u{e}-\\u{1f}\\u{21}-\\u{9f}\\u{a1}-\\u{167f}\\u{1681}-\\u{1fff}\\u{200b}-\\u{2027}\\u{202a}-\\u{202e}\\u{2030}-\\u{205e}\\u{2060}-\\u{2fff}\\u{3001}-\\u{fefe}\\u{ff00}-\\u{10ffff}';
const NOTHING = '[^\\u{0}-\\u{10ffff}]';
const DOT = '[^\\n\\r\\u2028\\u2029]';
const HIGH_SURROGATE = /^\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})/i;

/** ECMAScript (`u` flag) → the same language in the syntax RE2JS.translateRegExp reads. */
function toRe2Syntax(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      const pair = HIGH_SURROGATE.exec(pattern.slice(i, i + 12));
      if (pair) {
        const codePoint = 0x10000 + ((Number.parseInt(pair[1], 16) - 0xd800) << 10) + (Number.parseInt(pair[2], 16) - 0xdc00);
        out += `\\u{${codePoint.toString(16)}}`;
        i += 11;
        continue;
      }
      if (next === 'k') throw new Error('a backreference (\\k<name>) cannot be matched in linear time');
      if (next === 's') out += inClass ? WHITESPACE : `[${WHITESPACE}]`;
      else if (next === 'S') out += inClass ? NON_WHITESPACE : `[^${WHITESPACE}]`;
      else if (next === 'b' && inClass)
        out += '\\x08'; // backspace in a class; a word boundary in RE2
      else out += ch + next;
      i += 1;
    } else if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
    } else if (ch === '[' && pattern[i + 1] === ']') {
      out += NOTHING; // ECMAScript's empty class matches nothing; RE2 would read `[]…]`
      i += 1;
    } else if (ch === '[') {
      inClass = true;
      out += ch;
      if (pattern[i + 1] === '^') {
        out += '^';
        i += 1;
      }
    } else if (ch === '.') out += DOT;
    else out += ch;
  }
  return out;
}
