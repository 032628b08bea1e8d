import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Compatibility of canonical JSON Schemas between versions, with the rules of JSON Schema itself:
 * "every document valid under A is valid under B" (A ⊆ B), decided keyword by keyword for the
 * subset canonical schemas use. BACKWARD asks old ⊆ new (readers on the new version read data
 * written under the old one), FORWARD asks new ⊆ old, FULL both. Pure: no I/O.
 *
 * The check is sound, never optimistic: what it cannot decide (a keyword outside the supported
 * subset, two different regular expressions, an external $ref) is reported as a violation rather
 * than guessed compatible. Every violation is listed, not just the first.
 */
export type JsonSchema = Record<string, unknown> | boolean;

export const COMPATIBILITY_LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export type Direction = 'backward' | 'forward';

export interface Violation {
  /** JSON pointer into the schema where the rule is broken (`/properties/tier/enum`). */
  readonly path: string;
  readonly rule: string;
  readonly message: string;
  readonly direction: Direction;
  /** The earlier version (1-based position in the history) the candidate was compared with. */
  readonly against?: number;
}

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly violations: Violation[];
}

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

/** Directions a level checks, and whether against every earlier version or only the latest. */
export function levelRules(level: CompatibilityLevel): { directions: Direction[]; transitive: boolean } {
  switch (level) {
    case 'BACKWARD':
      return { directions: ['backward'], transitive: false };
    case 'BACKWARD_TRANSITIVE':
      return { directions: ['backward'], transitive: true };
    case 'FORWARD':
      return { directions: ['forward'], transitive: false };
    case 'FORWARD_TRANSITIVE':
      return { directions: ['forward'], transitive: true };
    case 'FULL':
      return { directions: ['backward', 'forward'], transitive: false };
    case 'FULL_TRANSITIVE':
      return { directions: ['backward', 'forward'], transitive: true };
    case 'NONE':
      return { directions: [], transitive: false };
  }
}

/**
 * Checks `candidate` against `history` (oldest first) under `level`. An empty history (a new
 * subject) is always compatible.
 */
export function checkCompatibility(
  history: readonly JsonSchema[],
  candidate: JsonSchema,
  level: CompatibilityLevel = DEFAULT_COMPATIBILITY,
): CompatibilityResult {
  const { directions, transitive } = levelRules(level);
  const violations: Violation[] = [];
  if (history.length === 0 || directions.length === 0) return { compatible: true, violations };
  const first = transitive ? 0 : history.length - 1;
  for (let index = history.length - 1; index >= first; index -= 1) {
    const previous = history[index]!;
    const against = transitive ? { against: index + 1 } : {};
    for (const direction of directions) {
      // backward: everything the old version accepted, the new one accepts; forward: the reverse.
      const found = direction === 'backward' ? subschemaViolations(previous, candidate) : subschemaViolations(candidate, previous);
      violations.push(...found.map((v) => ({ ...v, direction, ...against })));
    }
  }
  return { compatible: violations.length === 0, violations };
}

type Found = Omit<Violation, 'direction' | 'against'>;

/** Every reason why a document valid under `from` may be invalid under `to` (empty: from ⊆ to). */
export function subschemaViolations(from: JsonSchema, to: JsonSchema): Found[] {
  return new Checker(from, to).run();
}

/** Keywords that never change which documents are valid. `x-*` are canonql's own annotations. */
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$anchor',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$defs',
  'definitions',
  'contentMediaType',
  'contentEncoding',
]);
const SUPPORTED = new Set([
  'type',
  'enum',
  'const',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  '$ref',
  'anyOf',
  'oneOf',
]);

const ALL_TYPES = ['null', 'boolean', 'object', 'array', 'number', 'string'] as const;
type JsonType = (typeof ALL_TYPES)[number] | 'integer';

interface Side {
  readonly root: JsonSchema;
  readonly id: string;
}

let rootCounter = 0;

class Checker {
  private found: Found[] = [];
  private readonly ajv = new Ajv2020({ allErrors: false, strict: false });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly from: Side;
  private readonly to: Side;
  /** $ref pairs being compared: a recursive schema compared with itself terminates. */
  private readonly inProgress = new Set<string>();

  constructor(from: JsonSchema, to: JsonSchema) {
    addFormats(this.ajv);
    this.from = this.side(from);
    this.to = this.side(to);
  }

  private side(root: JsonSchema): Side {
    rootCounter += 1;
    const id = `urn:canonql:compat:${rootCounter}`;
    try {
      this.ajv.addSchema(typeof root === 'boolean' ? root : { ...root, $id: id }, id);
    } catch (error) {
      this.found.push({ path: '', rule: 'SCHEMA_INVALID', message: `schema does not compile: ${(error as Error).message}` });
    }
    return { root, id };
  }

  run(): Found[] {
    if (this.found.length > 0) return this.found;
    this.compare(this.from.root, '', this.to.root, '', '');
    return this.found;
  }

  private report(path: string, rule: string, message: string) {
    this.found.push({ path, rule, message });
  }

  /** Validates a value against the subschema at `pointer` of a side (exact, through ajv). */
  private accepts(side: Side, pointer: string, value: unknown): boolean {
    const key = `${side.id}#${pointer}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: key });
      this.validators.set(key, validate);
    }
    return validate(value) as boolean;
  }

  private resolve(side: Side, schema: JsonSchema, pointer: string, path: string): { schema: JsonSchema; pointer: string } | null {
    let current = schema;
    let at = pointer;
    for (let hops = 0; typeof current === 'object' && typeof current.$ref === 'string'; hops += 1) {
      const ref = current.$ref as string;
      const others = Object.keys(current).filter((k) => k !== '$ref' && !isAnnotation(k));
      if (others.length > 0) {
        this.report(path, 'UNSUPPORTED_KEYWORD', `$ref next to ${others.join(', ')} is not supported by the compatibility check`);
        return null;
      }
      if (!ref.startsWith('#/') || hops > 32) {
        this.report(path, 'UNSUPPORTED_REF', `$ref "${ref}" cannot be resolved (only local "#/$defs/..." references are)`);
        return null;
      }
      const target = ref
        .slice(1)
        .split('/')
        .slice(1)
        .map(unescapePointer)
        .reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), side.root);
      if (typeof target !== 'boolean' && (target === null || typeof target !== 'object')) {
        this.report(path, 'UNSUPPORTED_REF', `$ref "${ref}" points to nothing`);
        return null;
      }
      current = target as JsonSchema;
      at = ref.slice(1);
    }
    return { schema: current, pointer: at };
  }

  private compare(fromRaw: JsonSchema, fromPtr: string, toRaw: JsonSchema, toPtr: string, path: string): void {
    const pairKey = `${fromPtr}|${toPtr}`;
    const isRef = (s: JsonSchema) => typeof s === 'object' && '$ref' in s;
    if (isRef(fromRaw) || isRef(toRaw)) {
      if (this.inProgress.has(pairKey)) return;
      this.inProgress.add(pairKey);
    }
    try {
      const fromResolved = this.resolve(this.from, fromRaw, fromPtr, path);
      const toResolved = this.resolve(this.to, toRaw, toPtr, path);
      if (!fromResolved || !toResolved) return;
      this.compareResolved(fromResolved.schema, fromResolved.pointer, toResolved.schema, toResolved.pointer, path);
    } finally {
      this.inProgress.delete(pairKey);
    }
  }

  private compareResolved(from: JsonSchema, fromPtr: string, to: JsonSchema, toPtr: string, path: string): void {
    if (from === false || to === true) return;
    const unsupported = [...unsupportedKeywords(from), ...unsupportedKeywords(to)];
    if (unsupported.length > 0) {
      for (const keyword of new Set(unsupported)) {
        this.report(
          `${path}/${keyword}`,
          'UNSUPPORTED_KEYWORD',
          `keyword "${keyword}" is not supported by the compatibility check, so compatibility cannot be shown`,
        );
      }
      return;
    }
    if (isUnconstrained(to)) return;
    if (from === true || isUnconstrained(from)) {
      if (to === false) this.report(path, 'SCHEMA_CLOSED', 'nothing is accepted any more where anything was');
      else this.report(path, 'CONSTRAINT_ADDED', 'constraints added where any value was accepted');
      return;
    }
    if (to === false) {
      this.report(path, 'SCHEMA_CLOSED', 'nothing is accepted any more where values were');
      return;
    }

    // anyOf/oneOf on the accepting side of the old one: each branch must be accepted.
    const fromBranches = branchesOf(from);
    if (fromBranches) {
      if (hasValidationBesides(from, fromBranches.keyword)) {
        this.report(
          `${path}/${fromBranches.keyword}`,
          'UNSUPPORTED_KEYWORD',
          `${fromBranches.keyword} next to other validation keywords is not supported by the compatibility check`,
        );
        return;
      }
      fromBranches.list.forEach((branch, i) => this.compare(branch, `${fromPtr}/${fromBranches.keyword}/${i}`, to, toPtr, path));
      return;
    }
    // An enumerated set (enum, const, or only null/boolean values) is decided value by value.
    const values = enumeratedValues(from);
    if (values) {
      for (const value of values) {
        if (!this.accepts(this.from, fromPtr, value)) continue;
        if (!this.accepts(this.to, toPtr, value)) {
          const where = 'const' in from ? '/const' : 'enum' in from ? '/enum' : '/type';
          this.report(`${path}${where}`, 'VALUE_REJECTED', `value ${JSON.stringify(value)} was valid and is not any more`);
        }
      }
      return;
    }
    const toBranches = branchesOf(to);
    if (toBranches) {
      this.compareToBranches(from, fromPtr, to, toPtr, toBranches, path);
      return;
    }

    if ('enum' in to || 'const' in to) {
      this.report(`${path}/${'const' in to ? 'const' : 'enum'}`, 'ENUM_ADDED', 'a fixed set of values is required where any value of the type was accepted');
    }

    const fromTypes = typesOf(from);
    const toTypes = typesOf(to);
    const removed: JsonType[] = [];
    for (const type of fromTypes) {
      if (toTypes.has(type) || (type === 'integer' && toTypes.has('number'))) continue;
      if (type === 'number' && toTypes.has('integer')) {
        this.report(`${path}/type`, 'TYPE_NARROWED', 'number narrowed to integer: fractional values are rejected');
      } else {
        removed.push(type);
      }
    }
    if (removed.length > 0) {
      this.report(`${path}/type`, 'TYPE_REMOVED', `values of type ${removed.join(', ')} accepted before are rejected now`);
    }
    const has = (t: JsonType) => fromTypes.has(t) && (toTypes.has(t) || (t === 'integer' && toTypes.has('number')));
    const numeric = (types: Set<JsonType>) => types.has('number') || types.has('integer');
    if (numeric(fromTypes) && numeric(toTypes)) this.compareNumbers(from, to, path, !fromTypes.has('number') || !toTypes.has('number'));
    if (has('string')) this.compareStrings(from, to, path);
    if (has('object')) this.compareObjects(from, fromPtr, to, toPtr, path);
    if (has('array')) this.compareArrays(from, fromPtr, to, toPtr, path);
  }

  private compareToBranches(
    from: Record<string, unknown>,
    fromPtr: string,
    to: Record<string, unknown>,
    toPtr: string,
    branches: { keyword: string; list: JsonSchema[] },
    path: string,
  ) {
    if (hasValidationBesides(to, branches.keyword)) {
      this.report(
        `${path}/${branches.keyword}`,
        'UNSUPPORTED_KEYWORD',
        `${branches.keyword} next to other validation keywords is not supported by the compatibility check`,
      );
      return;
    }
    // Split the old schema by type: each part must fit one branch (and, for oneOf, no other
    // branch may accept that type at all, so "exactly one" still holds).
    const types = [...typesOf(from)];
    for (const type of types) {
      const part = { ...from, type };
      let fits = -1;
      let closest: Found[] | null = null;
      for (let i = 0; i < branches.list.length && fits < 0; i += 1) {
        const found = this.collect(() =>
          this.compare(part, fromPtr, branches.list[i]!, `${toPtr}/${branches.keyword}/${i}`, `${path}/${branches.keyword}/${i}`),
        );
        if (found.length === 0) fits = i;
        else if (!closest || found.length < closest.length) closest = found;
      }
      if (fits < 0) {
        const detail = closest ? `: ${closest.map((f) => f.message).join('; ')}` : '';
        this.report(`${path}/${branches.keyword}`, 'NO_MATCHING_BRANCH', `values of type ${type} accepted before fit no ${branches.keyword} branch${detail}`);
        continue;
      }
      if (branches.keyword === 'oneOf' && branches.list.some((branch, i) => i !== fits && acceptsType(branch, type))) {
        this.report(`${path}/oneOf`, 'ONEOF_AMBIGUOUS', `values of type ${type} may match more than one oneOf branch`);
      }
    }
  }

  /** Runs a comparison on the side, returning its violations instead of reporting them. */
  private collect(compare: () => void): Found[] {
    const saved = this.found;
    this.found = [];
    try {
      compare();
      return this.found;
    } finally {
      this.found = saved;
    }
  }

  private compareNumbers(from: Record<string, unknown>, to: Record<string, unknown>, path: string, integersOnly: boolean) {
    const low = (s: Record<string, unknown>) => bound(s, 'minimum', 'exclusiveMinimum', 'low', integersOnly);
    const high = (s: Record<string, unknown>) => bound(s, 'maximum', 'exclusiveMaximum', 'high', integersOnly);
    const [fromLow, toLow, fromHigh, toHigh] = [low(from), low(to), high(from), high(to)];
    if (toLow && !(fromLow && (fromLow.value > toLow.value || (fromLow.value === toLow.value && (fromLow.exclusive || !toLow.exclusive))))) {
      this.report(
        `${path}/${toLow.keyword}`,
        'MINIMUM_RAISED',
        `lower bound ${describe(toLow)} rejects values the previous bound ${fromLow ? describe(fromLow) : '(none)'} accepted`,
      );
    }
    if (toHigh && !(fromHigh && (fromHigh.value < toHigh.value || (fromHigh.value === toHigh.value && (fromHigh.exclusive || !toHigh.exclusive))))) {
      this.report(
        `${path}/${toHigh.keyword}`,
        'MAXIMUM_LOWERED',
        `upper bound ${describe(toHigh)} rejects values the previous bound ${fromHigh ? describe(fromHigh) : '(none)'} accepted`,
      );
    }
    const toStep = typeof to.multipleOf === 'number' ? to.multipleOf : undefined;
    if (toStep !== undefined) {
      const fromStep = typeof from.multipleOf === 'number' ? from.multipleOf : integersOnly ? 1 : undefined;
      if (fromStep === undefined || !Number.isInteger(fromStep / toStep)) {
        this.report(
          `${path}/multipleOf`,
          'MULTIPLE_OF_CHANGED',
          `multipleOf ${toStep} rejects values that ${fromStep === undefined ? 'no step' : `multipleOf ${fromStep}`} accepted`,
        );
      }
    }
  }

  private compareStrings(from: Record<string, unknown>, to: Record<string, unknown>, path: string) {
    const num = (s: Record<string, unknown>, k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
    const toMin = num(to, 'minLength');
    if (toMin !== undefined && toMin > (num(from, 'minLength') ?? 0)) {
      this.report(
        `${path}/minLength`,
        'MIN_LENGTH_RAISED',
        `minLength ${toMin} rejects shorter strings accepted before (minLength ${num(from, 'minLength') ?? 0})`,
      );
    }
    const toMax = num(to, 'maxLength');
    const fromMax = num(from, 'maxLength');
    if (toMax !== undefined && (fromMax === undefined || fromMax > toMax)) {
      this.report(`${path}/maxLength`, 'MAX_LENGTH_LOWERED', `maxLength ${toMax} rejects longer strings accepted before (maxLength ${fromMax ?? 'none'})`);
    }
    if (typeof to.pattern === 'string' && to.pattern !== from.pattern) {
      this.report(
        `${path}/pattern`,
        from.pattern === undefined ? 'PATTERN_ADDED' : 'PATTERN_CHANGED',
        `pattern ${JSON.stringify(to.pattern)} ${from.pattern === undefined ? 'added' : `replaces ${JSON.stringify(from.pattern)}`}; only an identical pattern is known to accept the same strings`,
      );
    }
    if (typeof to.format === 'string' && to.format !== from.format) {
      this.report(
        `${path}/format`,
        from.format === undefined ? 'FORMAT_ADDED' : 'FORMAT_CHANGED',
        `format "${to.format}" ${from.format === undefined ? 'added' : `replaces "${String(from.format)}"`}: strings accepted before may not match it`,
      );
    }
  }

  private compareObjects(from: Record<string, unknown>, fromPtr: string, to: Record<string, unknown>, toPtr: string, path: string) {
    const fromProps = (from.properties ?? {}) as Record<string, JsonSchema>;
    const toProps = (to.properties ?? {}) as Record<string, JsonSchema>;
    const fromExtra = (from.additionalProperties ?? true) as JsonSchema;
    const toExtra = (to.additionalProperties ?? true) as JsonSchema;
    const names = [...new Set([...Object.keys(fromProps), ...Object.keys(toProps)])].sort();
    for (const name of names) {
      const inFrom = name in fromProps;
      const inTo = name in toProps;
      const propPath = `${path}/properties/${escapePointer(name)}`;
      const fromSchema = inFrom ? fromProps[name]! : fromExtra;
      const fromAt = inFrom ? `${fromPtr}/properties/${escapePointer(name)}` : `${fromPtr}/additionalProperties`;
      const toSchema = inTo ? toProps[name]! : toExtra;
      const toAt = inTo ? `${toPtr}/properties/${escapePointer(name)}` : `${toPtr}/additionalProperties`;
      if (!inFrom && fromExtra === false) continue; // a closed model never had it: adding it is safe
      if (!inFrom && isOpen(fromExtra)) {
        if (!isUnconstrained(toSchema)) {
          this.report(
            propPath,
            'PROPERTY_ADDED_TO_OPEN_MODEL',
            `property "${name}" added with constraints to an open content model: earlier documents may carry "${name}" with any value`,
          );
        }
        continue;
      }
      if (inFrom && !inTo && toExtra === false) {
        if (fromSchema !== false)
          this.report(
            propPath,
            'PROPERTY_REMOVED_FROM_CLOSED_MODEL',
            `property "${name}" removed from a closed content model: documents carrying it are rejected`,
          );
        continue;
      }
      this.compare(fromSchema, fromAt, toSchema, toAt, propPath);
    }
    // Properties named in neither schema.
    if (fromExtra !== false && !isOpen(toExtra)) {
      if (toExtra === false)
        this.report(`${path}/additionalProperties`, 'CONTENT_MODEL_CLOSED', 'additionalProperties: false rejects properties that were accepted before');
      else this.compare(fromExtra, `${fromPtr}/additionalProperties`, toExtra, `${toPtr}/additionalProperties`, `${path}/additionalProperties`);
    }
    const fromRequired = new Set(Array.isArray(from.required) ? (from.required as string[]) : []);
    for (const name of Array.isArray(to.required) ? (to.required as string[]) : []) {
      if (!fromRequired.has(name)) this.report(`${path}/required`, 'REQUIRED_ADDED', `property "${name}" became required: documents without it are rejected`);
    }
    this.compareCounts(from, to, path, 'minProperties', 'maxProperties', 'properties');
  }

  private compareArrays(from: Record<string, unknown>, fromPtr: string, to: Record<string, unknown>, toPtr: string, path: string) {
    this.compare((from.items ?? true) as JsonSchema, `${fromPtr}/items`, (to.items ?? true) as JsonSchema, `${toPtr}/items`, `${path}/items`);
    this.compareCounts(from, to, path, 'minItems', 'maxItems', 'items');
    if (to.uniqueItems === true && from.uniqueItems !== true) {
      this.report(`${path}/uniqueItems`, 'UNIQUE_ITEMS_ADDED', 'uniqueItems rejects arrays with duplicates accepted before');
    }
  }

  private compareCounts(from: Record<string, unknown>, to: Record<string, unknown>, path: string, minKey: string, maxKey: string, what: string) {
    const num = (s: Record<string, unknown>, k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
    const toMin = num(to, minKey);
    if (toMin !== undefined && toMin > (num(from, minKey) ?? 0)) {
      this.report(
        `${path}/${minKey}`,
        `${minKey.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_RAISED`,
        `${minKey} ${toMin} rejects fewer ${what} accepted before (${num(from, minKey) ?? 0})`,
      );
    }
    const toMax = num(to, maxKey);
    const fromMax = num(from, maxKey);
    if (toMax !== undefined && (fromMax === undefined || fromMax > toMax)) {
      this.report(
        `${path}/${maxKey}`,
        `${maxKey.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_LOWERED`,
        `${maxKey} ${toMax} rejects more ${what} accepted before (${fromMax ?? 'no limit'})`,
      );
    }
  }
}

function isAnnotation(keyword: string): boolean {
  return ANNOTATIONS.has(keyword) || keyword.startsWith('x-');
}

function unsupportedKeywords(schema: JsonSchema): string[] {
  if (typeof schema === 'boolean') return [];
  return Object.keys(schema).filter((k) => !isAnnotation(k) && !SUPPORTED.has(k));
}

/** No validation keyword at all (`{}` or annotations only): accepts everything. */
function isUnconstrained(schema: JsonSchema): boolean {
  return schema === true || (typeof schema === 'object' && Object.keys(schema).every(isAnnotation));
}

function isOpen(extra: JsonSchema): boolean {
  return isUnconstrained(extra);
}

function branchesOf(schema: Record<string, unknown>): { keyword: 'anyOf' | 'oneOf'; list: JsonSchema[] } | null {
  if (Array.isArray(schema.anyOf)) return { keyword: 'anyOf', list: schema.anyOf as JsonSchema[] };
  if (Array.isArray(schema.oneOf)) return { keyword: 'oneOf', list: schema.oneOf as JsonSchema[] };
  return null;
}

function hasValidationBesides(schema: Record<string, unknown>, keyword: string): boolean {
  return Object.keys(schema).some((k) => k !== keyword && !isAnnotation(k));
}

/** The JSON types a schema admits (integer kept apart from number: it is the narrower one). */
function typesOf(schema: Record<string, unknown>): Set<JsonType> {
  const declared = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : null;
  if (!declared) return new Set<JsonType>(ALL_TYPES);
  const types = new Set(declared as JsonType[]);
  if (types.has('number')) types.delete('integer');
  return types;
}

function acceptsType(schema: JsonSchema, type: JsonType): boolean {
  if (schema === false) return false;
  if (schema === true) return true;
  const types = typesOf(schema);
  return types.has(type) || (type === 'integer' && types.has('number')) || (type === 'number' && types.has('integer'));
}

/** The finite set of values a schema can accept, when it is finite and small; else null. */
function enumeratedValues(schema: Record<string, unknown>): unknown[] | null {
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  const types = typesOf(schema);
  if ([...types].every((t) => t === 'null' || t === 'boolean')) {
    return [...(types.has('null') ? [null] : []), ...(types.has('boolean') ? [true, false] : [])];
  }
  return null;
}

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
  readonly keyword: string;
}

/**
 * The effective lower or upper bound of a numeric schema. Over integers an exclusive bound is
 * the inclusive one next to it (exclusiveMinimum 0 is minimum 1), so both spellings compare equal.
 */
function bound(schema: Record<string, unknown>, inclusiveKey: string, exclusiveKey: string, side: 'low' | 'high', integersOnly: boolean): Bound | null {
  const candidates: Bound[] = [];
  if (typeof schema[inclusiveKey] === 'number') candidates.push({ value: schema[inclusiveKey] as number, exclusive: false, keyword: inclusiveKey });
  if (typeof schema[exclusiveKey] === 'number') candidates.push({ value: schema[exclusiveKey] as number, exclusive: true, keyword: exclusiveKey });
  const normalized = candidates.map((b) => {
    if (!integersOnly) return b;
    const value = side === 'low' ? (b.exclusive ? Math.floor(b.value) + 1 : Math.ceil(b.value)) : b.exclusive ? Math.ceil(b.value) - 1 : Math.floor(b.value);
    return { ...b, value, exclusive: false };
  });
  if (normalized.length === 0) return null;
  // The tighter of the two when both are given.
  return normalized.reduce((a, b) => {
    if (a.value === b.value) return a.exclusive ? a : b;
    return side === 'low' ? (a.value > b.value ? a : b) : a.value < b.value ? a : b;
  });
}

function describe(b: Bound): string {
  return `${b.exclusive ? (b.keyword.includes('Min') ? '>' : '<') : b.keyword === 'minimum' || b.keyword === 'exclusiveMinimum' ? '>=' : '<='} ${b.value}`;
}

function escapePointer(part: string): string {
  return part.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}
