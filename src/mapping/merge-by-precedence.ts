import { parseFieldPath, type PathSegment } from './json-path';
import { compileGetter, type Getter } from './path-getter';
import { compileSetter, type Setter } from './path-setter';

/** Which source last wrote a canonical field root, and with what precedence. */
export interface FieldClaim {
  readonly spec: string;
  readonly precedence: number;
}

/**
 * A claim as stored: the precedence alone when the claim is the owner's (the spec that wrote the
 * entity last, `_meta.specId`), else the spec and its precedence. With one spec per subject, the
 * common case, every claim is a number: a state document's claims take 93 bytes of BSON instead of
 * 358, and the document encodes about 3 µs faster (docs/performance.md, twenty-fourth round).
 */
export type StoredClaim = number | FieldClaim;

/** The claims of an entity, and the spec whose claims are stored as numbers (absent: none are). */
export interface Claims {
  readonly claims: Readonly<Record<string, StoredClaim>>;
  readonly owner?: string;
}

/** An entity of a subject fed by several specs: its data and a claim per field root. */
export interface ClaimedEntity extends Claims {
  readonly data: Record<string, unknown>;
}

/** The claim of a field root, whatever its stored form. */
export function claimOf({ claims, owner }: Claims, root: string): FieldClaim | undefined {
  const claim = claims[root];
  if (typeof claim !== 'number') return claim;
  if (owner === undefined) throw new Error(`the claim of ${root} is stored as a number, and the entity names no owner`);
  return { spec: owner, precedence: claim };
}

/**
 * A copy of the claims with `owner`'s as numbers and every other spec's named: what an entity
 * stores once `owner` has written it. The copy is a plain spread when the owner stays the same.
 */
export function claimsOwnedBy(current: Claims | undefined, owner: string): Record<string, StoredClaim> {
  if (!current) return {};
  if (current.owner === owner) return { ...current.claims };
  const claims: Record<string, StoredClaim> = {};
  for (const root of Object.keys(current.claims)) {
    const claim = claimOf(current, root)!;
    claims[root] = claim.spec === owner ? claim.precedence : claim;
  }
  return claims;
}

/** What the merge needs of a compiled spec. */
export interface PrecedenceSource {
  readonly id: string;
  readonly fieldRoots: readonly string[];
  precedenceOf(path: string): number;
}

export type SourceChange =
  | { readonly kind: 'full'; readonly data: Readonly<Record<string, unknown>> }
  | {
      readonly kind: 'partial';
      readonly set: Readonly<Record<string, unknown>>;
      readonly unset: readonly string[];
      /** Arrays cut to a length before the writes (a MongoDB update's truncated arrays). */
      readonly truncate?: Readonly<Record<string, number>>;
    };

/**
 * Merges one source's change into an entity that several specs feed (one subject, several
 * sources), field root by field root (`email`, `customer.email`, `line_items`: arrays whole):
 *
 * - A source may write a field root that nobody claims, that it claims itself, or that another
 *   source claims with a precedence lower than or EQUAL to its own (equal: the latest write wins).
 *   Writing claims the root for it. A lower-precedence write is ignored (listed in `ignored`).
 * - A source may remove (unset, or leave absent in a full image) only a root it claims or nobody
 *   claims: "this source has no value" must not erase another source's value.
 * - There are no shadow copies: when the owner removes a field, a lower-precedence source's value
 *   reappears only when that source writes it again.
 *
 * Pure: returns a new entity, the input is not modified. The result shares with `current` and with
 * `change` every object it does not change (states and events are never modified once built):
 * only the containers on the path of a write or a removal are copied, not the whole entity.
 */
export function mergeByPrecedence(
  current: ClaimedEntity | null,
  source: PrecedenceSource,
  change: SourceChange,
): ClaimedEntity & { readonly owner: string; readonly ignored: string[] } {
  const data: Record<string, unknown> = { ...(current?.data ?? {}) };
  // The source writing now owns the result: its claims are numbers, every other's names its spec.
  const claims = claimsOwnedBy(current ?? undefined, source.id);
  const ignored: string[] = [];
  const roots = source.fieldRoots;

  const writes: [string, unknown][] = [];
  const removals: string[] = [];
  if (change.kind === 'full') {
    for (const root of roots) {
      const value = compiledPath(root).get()(change.data);
      if (value === undefined) removals.push(root);
      else writes.push([root, value]);
    }
  } else {
    // A cut is a write of the array cut short, before the change's own writes (its element updates
    // come after the truncation): it claims the root, and yields to a higher precedence's claim.
    // Outer arrays first: each cut is read from the data as the change found it, and an outer
    // array written after an inner one would bring back the inner array's dropped elements.
    const cuts = Object.entries(change.truncate ?? {}).sort(([a], [b]) => a.split('.').length - b.split('.').length);
    for (const [path, length] of cuts) {
      const array = compiledPath(path).get()(data);
      if (Array.isArray(array)) writes.push([path, array.length > length ? array.slice(0, length) : array]);
    }
    writes.push(...Object.entries(change.set));
    removals.push(...change.unset);
  }

  for (const [path, value] of writes) {
    const root = rootOf(roots, path);
    const precedence = source.precedenceOf(path);
    const claim = claims[root];
    // A number is the source's own claim (so is an object naming it, stored before numbers were).
    if (claim !== undefined && typeof claim !== 'number' && claim.spec !== source.id && precedence < claim.precedence) {
      ignored.push(path);
      continue;
    }
    const compiled = compiledPath(path);
    ownContainers(data, compiled.segments);
    compiled.set()(data, value);
    claims[root] = precedence;
  }
  for (const path of removals) {
    const root = rootOf(roots, path);
    const claim = claims[root];
    if (claim !== undefined && typeof claim !== 'number' && claim.spec !== source.id) {
      ignored.push(path);
      continue;
    }
    const compiled = compiledPath(path);
    ownContainers(data, compiled.segments);
    removePath(data, compiled);
    // A removal inside a root leaves the root in place, so nothing above it can have emptied.
    if (path === root) {
      delete claims[root];
      pruneEmptyAbove(data, root, roots, claims);
    }
  }
  return { data, claims, owner: source.id, ignored };
}

/** The field root a path lies under (the path itself when under none). */
function rootOf(roots: readonly string[], path: string): string {
  for (const r of roots) if (path === r || (path.startsWith(r) && path.charCodeAt(r.length) === 46)) return r;
  return path;
}

/**
 * A path parsed once and its getter, setter and parent getter compiled on first use: every
 * merge of an entity walks the same few paths (a spec's field roots), and parsing and compiling
 * them per change cost more than the merge itself. Bounded: paths of partial updates may name
 * array positions (`items.3.sku`), so the memo starts over when it is full.
 */
interface CompiledPath {
  readonly segments: readonly PathSegment[];
  get(): Getter;
  set(): Setter;
  parent(): Getter;
}

const MAX_COMPILED_PATHS = 4096;
const compiledPaths = new Map<string, CompiledPath>();

function compiledPath(path: string): CompiledPath {
  const known = compiledPaths.get(path);
  if (known) return known;
  const segments = segmentsOf(path);
  let getter: Getter | undefined;
  let setter: Setter | undefined;
  let parent: Getter | undefined;
  const compiled: CompiledPath = {
    segments,
    get: () => (getter ??= compileGetter(segments)),
    set: () => (setter ??= compileSetter(segments)),
    parent: () => (parent ??= compileGetter(segments.slice(0, -1))),
  };
  if (compiledPaths.size >= MAX_COMPILED_PATHS) compiledPaths.clear();
  compiledPaths.set(path, compiled);
  return compiled;
}

function segmentsOf(path: string): readonly PathSegment[] {
  const parsed = parseFieldPath(path);
  if (!parsed.ok) throw new Error(`not a field path: ${parsed.problem}`);
  return parsed.segments;
}

/**
 * Replaces each object or array on the way to a path's last segment with a shallow copy of it,
 * so a write or removal there changes no object that `data` shares with the entity it was copied
 * from (`data` itself is already a copy). Stops where the path leaves the existing containers:
 * whatever the setter creates from there on is new.
 */
function ownContainers(data: Record<string, unknown>, segments: readonly PathSegment[]): void {
  let node: Record<string, unknown> | unknown[] = data;
  for (let i = 0; i < segments.length - 1; i += 1) {
    const segment = segments[i]!;
    let slot: string | number;
    if (segment.kind === 'name' && !Array.isArray(node) && Object.hasOwn(node, segment.name)) slot = segment.name;
    else if (segment.kind === 'index' && Array.isArray(node)) slot = segment.index;
    else return;
    const child: unknown = (node as Record<string | number, unknown>)[slot];
    if (child === null || typeof child !== 'object') return;
    const copy: Record<string, unknown> | unknown[] = Array.isArray(child) ? child.slice() : { ...(child as Record<string, unknown>) };
    (node as Record<string | number, unknown>)[slot] = copy;
    node = copy;
  }
}

/**
 * Drops the objects above a field root that a removal left empty (`customer` once
 * `customer.email`, its last field, is gone): the mapping makes them only to hold its fields, so
 * the full mapping of a source without them has none, and an empty one would read as a present
 * object with every field null. Nothing at or inside an object that is a field root of this
 * source or that any spec claims (a value written whole, or a default, which may hold `{}`) is
 * dropped. Only named members are walked: they are the containers ownContainers copied for the
 * removal, so the objects changed here are this merge's own.
 */
function pruneEmptyAbove(data: Record<string, unknown>, root: string, roots: readonly string[], claims: Readonly<Record<string, unknown>>): void {
  // A top-level root (most of them) has nothing above it: this runs for every field a change removes.
  if (!root.includes('.')) return;
  const segments = compiledPath(root).segments;
  // chain[n] is the object at the root's first n names; it may go only if no shorter prefix is a root or claimed.
  const chain: Record<string, unknown>[] = [data];
  const names: string[] = [];
  for (let i = 0; i < segments.length - 1; i += 1) {
    const segment = segments[i]!;
    if (segment.kind !== 'name') break;
    const path = names.length === 0 ? segment.name : `${names.join('.')}.${segment.name}`;
    if (roots.includes(path) || claims[path] !== undefined) break;
    const child = chain[i]![segment.name];
    if (child === null || typeof child !== 'object' || Array.isArray(child)) break;
    names.push(segment.name);
    chain.push(child as Record<string, unknown>);
  }
  for (let n = chain.length - 1; n >= 1; n -= 1) {
    if (Object.keys(chain[n]!).length > 0) return;
    delete chain[n - 1]![names[n - 1]!];
  }
}

/** Removes a member; an array element becomes null (as MongoDB's $unset does), keeping indices. */
function removePath(target: Record<string, unknown>, path: CompiledPath): void {
  const { segments } = path;
  const parent = path.parent()(target);
  const last = segments[segments.length - 1]!;
  if (last.kind === 'name' && parent !== null && typeof parent === 'object' && !Array.isArray(parent)) {
    delete (parent as Record<string, unknown>)[last.name];
  } else if (last.kind === 'index' && Array.isArray(parent) && last.index < parent.length) {
    parent[last.index] = null;
  }
}
