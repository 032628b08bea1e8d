/**
 * The JSONPath subset mapping specs use, parsed once at compile time:
 *
 * - `$` the root (the record, or the canonical document for `dst`)
 * - `.name` a member (letters, digits, `_` and `$`, not starting with a digit)
 * - `['name']` / `["name"]` any member name (backslash escapes the quote and itself)
 * - `[n]` the n-th array element (n >= 0)
 * - `[*]` every array element (element-wise mapping)
 *
 * Everything else (recursive descent `..`, member wildcard `.*`, filters `[?()]`, slices
 * `[a:b]`, unions `[a,b]`, negative indices, functions) is rejected with a problem naming it: a
 * spec that silently matched nothing would be worse than one that does not load.
 */
export type PathSegment = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'wildcard' };

export type ParsedPath = { readonly ok: true; readonly segments: readonly PathSegment[] } | { readonly ok: false; readonly problem: string };

const NAME_START = /[A-Za-z_$]/;
const NAME_CHAR = /[A-Za-z0-9_$]/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Parses a JSONPath of the supported subset; the problem says what is wrong and where. */
export function parseJsonPath(path: string): ParsedPath {
  if (typeof path !== 'string' || path.length === 0) return fail('is empty');
  if (path[0] !== '$') return fail(`"${path}" must start with "$"`);
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i]!;
    if (c === '.') {
      if (path[i + 1] === '.') return fail(`"${path}": recursive descent ".." is not supported`);
      if (path[i + 1] === '*') return fail(`"${path}": member wildcard ".*" is not supported (use [*] on arrays)`);
      let j = i + 1;
      if (j >= path.length || !NAME_START.test(path[j]!)) {
        return fail(`"${path}": expected a member name after "." at position ${i}`);
      }
      while (j < path.length && NAME_CHAR.test(path[j]!)) j += 1;
      segments.push({ kind: 'name', name: path.slice(i + 1, j) });
      i = j;
    } else if (c === '[') {
      const parsed = parseBracket(path, i);
      if (!parsed.ok) return fail(parsed.problem);
      segments.push(parsed.segment);
      i = parsed.next;
    } else {
      return fail(`"${path}": unexpected "${c}" at position ${i}`);
    }
  }
  // Writing "__proto__" would replace a document's prototype instead of adding a field.
  if (segments.some((s) => s.kind === 'name' && s.name === '__proto__')) return fail(`"${path}": the member name "__proto__" is not allowed`);
  return { ok: true, segments };
}

type BracketResult = { ok: true; segment: PathSegment; next: number } | { ok: false; problem: string };

function parseBracket(path: string, open: number): BracketResult {
  const quote = path[open + 1];
  if (quote === "'" || quote === '"') {
    let name = '';
    let j = open + 2;
    while (j < path.length && path[j] !== quote) {
      if (path[j] === '\\' && j + 1 < path.length) j += 1;
      name += path[j];
      j += 1;
    }
    if (path[j] !== quote || path[j + 1] !== ']') return { ok: false, problem: `"${path}": unterminated ['name'] at position ${open}` };
    return { ok: true, segment: { kind: 'name', name }, next: j + 2 };
  }
  const close = path.indexOf(']', open);
  if (close < 0) return { ok: false, problem: `"${path}": unterminated "[" at position ${open}` };
  const inner = path.slice(open + 1, close).trim();
  if (inner === '*') return { ok: true, segment: { kind: 'wildcard' }, next: close + 1 };
  if (/^\d+$/.test(inner)) return { ok: true, segment: { kind: 'index', index: Number(inner) }, next: close + 1 };
  const what = inner.startsWith('?')
    ? 'filter expressions'
    : inner.includes(':')
      ? 'array slices'
      : inner.includes(',')
        ? 'unions'
        : /^-\d+$/.test(inner)
          ? 'negative indices'
          : `"[${inner}]"`;
  return { ok: false, problem: `"${path}": ${what} are not supported (supported: $, .name, ['name'], [n], [*])` };
}

function fail(problem: string): ParsedPath {
  return { ok: false, problem: `JSONPath ${problem}` };
}

/** The canonical spelling of a path, used in messages and in `sourceFields`. */
export function formatJsonPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const s of segments) {
    if (s.kind === 'name') out += IDENTIFIER.test(s.name) ? `.${s.name}` : `['${s.name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
    else if (s.kind === 'index') out += `[${s.index}]`;
    else out += '[*]';
  }
  return out;
}

/** Number of `[*]` segments: src and dst must agree for element-wise mapping. */
export function wildcardCount(segments: readonly PathSegment[]): number {
  let n = 0;
  for (const s of segments) if (s.kind === 'wildcard') n += 1;
  return n;
}

/**
 * Parses a key of `defaults` or of a partial update: a JSONPath (`$.customer.tier`) or a dotted
 * path (`customer.tier`, `items.0.sku`, numeric parts addressing array elements).
 */
export function parseFieldPath(path: string): ParsedPath {
  if (path.startsWith('$')) return parseJsonPath(path);
  if (path.length === 0) return fail('is empty');
  // "items[*].x" is JSONPath without its "$.": read it as such rather than as odd member names.
  if (/[[\]*]/.test(path)) return parseJsonPath(`$.${path}`);
  const parts = path.split('.');
  if (parts.some((p) => p.length === 0)) return { ok: false, problem: `path "${path}" has an empty part` };
  if (parts.includes('__proto__')) return { ok: false, problem: `path "${path}": the member name "__proto__" is not allowed` };
  return { ok: true, segments: parts.map((p): PathSegment => (/^\d+$/.test(p) ? { kind: 'index', index: Number(p) } : { kind: 'name', name: p })) };
}

/** Dotted form (`customer.email`, `line_items.0.sku`) used for the keys of partial updates. */
export function toDottedPath(segments: readonly PathSegment[]): string {
  return segments.map((s) => (s.kind === 'name' ? s.name : s.kind === 'index' ? String(s.index) : '*')).join('.');
}

/**
 * The key under which spellings of one field compare equal, as a JSONPath without its `$.` and
 * with every array step as `[*]`: `$.items[0].sku`, `items[*].sku`, `$['items'][*].sku` and
 * `items.0.sku` are all `items[*].sku`. A path outside the supported subset is its own key (only
 * `$.` dropped), so it still compares equal to itself. Shared by the spec preview and the studio.
 */
export function fieldPathKey(path: string): string {
  const parsed = parseFieldPath(path);
  if (!parsed.ok) return path.replace(/^\$\.?/, '');
  const segments = parsed.segments.map((s): PathSegment => (s.kind === 'index' ? { kind: 'wildcard' } : s));
  return formatJsonPath(segments).replace(/^\$\.?/, '');
}
