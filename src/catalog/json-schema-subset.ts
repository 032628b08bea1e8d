import { countViolations, numberRangeViolations, stringViolations } from './json-schema-bounds';
import {
  acceptsType,
  branchesOf,
  enumeratedValues,
  escapePointer,
  hasValidationBesides,
  isOpen,
  isUnconstrained,
  typesOf,
  unsupportedKeywords,
  type JsonSchema,
  type JsonType,
  type SubsetViolation,
} from './json-schema-keywords';
import { SchemaSide, schemaValidators, type ResolvedSchema } from './json-schema-side';

/**
 * "Every document valid under A is valid under B" (A ⊆ B), decided keyword by keyword for the
 * subset canonical schemas use: a walk of both schemas side by side (local $refs, anyOf/oneOf
 * branches, enumerated values checked by validating them, types, then objects and arrays
 * recursively and the range rules of json-schema-bounds.ts). Sound, never optimistic: what it
 * cannot decide is a violation. compatibility.ts applies it in the directions a level asks.
 *
 * The result: every reason why a document valid under `from` may be invalid under `to` (empty: from ⊆ to).
 */
export function subschemaViolations(from: JsonSchema, to: JsonSchema): SubsetViolation[] {
  return new Checker(from, to).run();
}

class Checker {
  private found: SubsetViolation[] = [];
  private readonly from: SchemaSide;
  private readonly to: SchemaSide;
  /** $ref pairs being compared: a recursive schema compared with itself terminates. */
  private readonly inProgress = new Set<string>();
  /**
   * Pairs of subschemas already compared, by their pointers (with the schemas themselves, as a
   * pointer may name a part of a schema): definitions that refer to shared ones several times
   * (`d0` → `d1` twice → `d2` twice …) made the comparison walk every path, doubling per level.
   * A pair met again reports the incompatibilities it found the first time, at their first paths.
   */
  private readonly compared = new Map<string, { from: JsonSchema; to: JsonSchema; violations: SubsetViolation[] | null }[]>();

  constructor(from: JsonSchema, to: JsonSchema) {
    const validators = schemaValidators();
    this.from = new SchemaSide(validators, from);
    this.to = new SchemaSide(validators, to);
    for (const side of [this.from, this.to]) if (side.invalid) this.report('', 'SCHEMA_INVALID', side.invalid);
  }

  run(): SubsetViolation[] {
    if (this.found.length > 0) return this.found;
    this.compare(this.from.root, '', this.to.root, '', '');
    return this.found;
  }

  private report(path: string, rule: string, message: string) {
    this.found.push({ path, rule, message });
  }

  /** Follows local $refs; what cannot be followed is reported here and ends this comparison. */
  private resolve(side: SchemaSide, schema: JsonSchema, pointer: string, path: string): ResolvedSchema | null {
    const resolved = side.resolve(schema, pointer);
    if ('rule' in resolved) {
      this.report(path, resolved.rule, resolved.message);
      return null;
    }
    return resolved;
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

  /**
   * compareResolvedOnce, once per pair of subschemas (as resolved: two $refs to one definition are
   * one pair): a pair met again reports what it found the first time (at the paths it found it
   * there), so a trial comparison (a branch tried in compareToBranches) sees the same answer.
   */
  private compareResolved(from: JsonSchema, fromPtr: string, to: JsonSchema, toPtr: string, path: string): void {
    if (from === false || to === true) return;
    const pairKey = `${fromPtr}|${toPtr}`;
    let pairs = this.compared.get(pairKey);
    const seen = pairs?.find((pair) => pair.from === from && pair.to === to);
    if (seen) {
      // Null while it is being compared: a pair reached from inside itself adds nothing, as a $ref cycle does not.
      // Each violation once: two paths to one pair must not double what is reported (per level, in a chain of shared definitions).
      for (const violation of seen.violations ?? []) if (!this.found.includes(violation)) this.found.push(violation);
      return;
    }
    const entry: { from: JsonSchema; to: JsonSchema; violations: SubsetViolation[] | null } = { from, to, violations: null };
    if (!pairs) this.compared.set(pairKey, (pairs = []));
    pairs.push(entry);
    const found = this.found;
    const start = found.length;
    this.compareResolvedOnce(from, fromPtr, to, toPtr, path);
    entry.violations = found.slice(start);
  }

  private compareResolvedOnce(from: JsonSchema, fromPtr: string, to: JsonSchema, toPtr: string, path: string): void {
    if (from === false || to === true) return;
    // A `$id` below the root changes what the `$ref`s inside it resolve against, which the sides here
    // do not follow (they resolve against the root): compatibility cannot be shown past it.
    const nestedIds = [...(fromPtr !== '' && hasOwnKeyword(from, '$id') ? ['$id'] : []), ...(toPtr !== '' && hasOwnKeyword(to, '$id') ? ['$id'] : [])];
    const unsupported = [...unsupportedKeywords(from), ...unsupportedKeywords(to), ...nestedIds];
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
        if (!this.from.accepts(fromPtr, value)) continue;
        if (!this.to.accepts(toPtr, value)) {
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
    if (numeric(fromTypes) && numeric(toTypes)) this.found.push(...numberRangeViolations(from, to, path, !fromTypes.has('number') || !toTypes.has('number')));
    if (has('string')) this.found.push(...stringViolations(from, to, path));
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
      let closest: SubsetViolation[] | null = null;
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
  private collect(compare: () => void): SubsetViolation[] {
    const saved = this.found;
    this.found = [];
    try {
      compare();
      return this.found;
    } finally {
      this.found = saved;
    }
  }

  private compareObjects(from: Record<string, unknown>, fromPtr: string, to: Record<string, unknown>, toPtr: string, path: string) {
    const fromProps = (from.properties ?? {}) as Record<string, JsonSchema>;
    const toProps = (to.properties ?? {}) as Record<string, JsonSchema>;
    const fromExtra = (from.additionalProperties ?? true) as JsonSchema;
    const toExtra = (to.additionalProperties ?? true) as JsonSchema;
    const names = [...new Set([...Object.keys(fromProps), ...Object.keys(toProps)])].sort();
    for (const name of names) {
      // Own properties only: `constructor` or `toString` is a property name, not what every object inherits.
      const inFrom = Object.hasOwn(fromProps, name);
      const inTo = Object.hasOwn(toProps, name);
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
    this.found.push(...countViolations(from, to, path, 'minProperties', 'maxProperties', 'properties'));
  }

  private compareArrays(from: Record<string, unknown>, fromPtr: string, to: Record<string, unknown>, toPtr: string, path: string) {
    this.compare((from.items ?? true) as JsonSchema, `${fromPtr}/items`, (to.items ?? true) as JsonSchema, `${toPtr}/items`, `${path}/items`);
    this.found.push(...countViolations(from, to, path, 'minItems', 'maxItems', 'items'));
    if (to.uniqueItems === true && from.uniqueItems !== true) {
      this.report(`${path}/uniqueItems`, 'UNIQUE_ITEMS_ADDED', 'uniqueItems rejects arrays with duplicates accepted before');
    }
  }
}

function hasOwnKeyword(schema: JsonSchema, keyword: string): boolean {
  return typeof schema === 'object' && schema !== null && Object.hasOwn(schema, keyword);
}
