import { parseFieldPath, parseJsonPath, wildcardCount, type PathSegment } from '../mapping/json-path';
import type { Condition } from '../mapping/mapping-spec';

/**
 * A metric definition: what to aggregate (a measure, or a count), per which dimensions, over
 * which UTC tumbling windows, placed in time by which timestamp. Versioned like a mapping spec
 * (`name` is its id): a new version is a new rollup, built by a backfill, while the old one is
 * still served.
 *
 * ```json
 * { "name": "order-amount", "version": 1, "subject": "order",
 *   "measure": { "field": "line_items[*].price", "multiplyBy": "line_items[*].qty" },
 *   "dimensions": [{ "name": "region", "field": "region" }, { "name": "product", "field": "line_items[*].sku" }],
 *   "time": { "field": "created_at" }, "windows": ["hour", "day"] }
 * ```
 *
 * Field paths are canonical field paths (`region`, `customer.email`, `line_items[*].sku`) with
 * at most one `[*]`; every path with a `[*]` must iterate the same array. When one does, each
 * element of that array is one contribution (its element paths read from the element, the other
 * paths from the entity); see docs/metrics.md for the semantics.
 */
export type WindowSize = 'minute' | 'hour' | 'day';
export const WINDOW_SIZES: readonly WindowSize[] = ['minute', 'hour', 'day'];
export const WINDOW_MS: Readonly<Record<WindowSize, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export interface MetricDimension {
  /** Name used in queries (`where: {region: ...}`, `groupBy: [region]`) and results. */
  readonly name: string;
  readonly field: string;
}

export interface MetricDefinition {
  readonly name: string;
  readonly version: number;
  readonly description?: string;
  readonly subject: string;
  /** Absent: a count-only metric. */
  readonly measure?: { readonly field: string; readonly multiplyBy?: string };
  readonly dimensions: readonly MetricDimension[];
  /** `field`: an entity timestamp (DateTime text with an offset, Date or epoch ms: aggregation.ts timeOf); `changeTime`: the source time of the entity's last change. */
  readonly time: { readonly field: string } | { readonly changeTime: true };
  readonly windows: readonly WindowSize[];
  /** Every condition must hold for the entity to contribute (the mapping specs' `when` format). */
  readonly filter?: readonly Condition[];
}

export type MetricValidation = { readonly ok: true; readonly definition: MetricDefinition } | { readonly ok: false; readonly problems: string[] };

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const DIMENSION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SUBJECT = /^[a-z][a-z0-9_]*$/;
/** Names of Object.prototype: a dimension's name is a key of result objects (`dimensions`), where they are not plain keys. */
const RESERVED_DIMENSION_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];
const TOP_KEYS = new Set(['$schema', 'name', 'version', 'description', 'subject', 'measure', 'dimensions', 'time', 'windows', 'filter']);
const CONDITION_OPS = ['equals', 'notEquals', 'in', 'notIn', 'exists'];

/** The identity of a definition for a versioned registry: its name, and its version. */
export const metricIdOf = (definition: MetricDefinition) => definition.name;
export const metricVersionOf = (definition: MetricDefinition) => definition.version;

/**
 * Checks a definition and lists every problem with its location (`dimensions[1].field: ...`);
 * returns it normalized (version defaulted, dimension shorthands expanded, filter as a list).
 */
export function validateMetricDefinition(input: unknown): MetricValidation {
  const problems: string[] = [];
  if (!isObject(input)) return { ok: false, problems: ['a metric definition must be a JSON object'] };
  for (const key of Object.keys(input)) {
    if (!TOP_KEYS.has(key)) problems.push(`${key}: unknown property (expected one of ${[...TOP_KEYS].filter((k) => k !== '$schema').join(', ')})`);
  }
  const { name, subject } = input;
  if (typeof name !== 'string' || !NAME.test(name))
    problems.push('name: required, lower-case letters, digits and "-", starting with a letter, at most 63 characters');
  const version = input.version ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) problems.push('version: must be a positive integer');
  if (input.description !== undefined && typeof input.description !== 'string') problems.push('description: must be a string');
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) problems.push('subject: required, a canonical subject name such as "order"');

  const arrays: { at: string; prefix: string }[] = [];
  const checkPath = (value: unknown, at: string): string | null => {
    if (typeof value !== 'string' || value.length === 0) {
      problems.push(`${at}: must be a canonical field path such as "region" or "line_items[*].sku"`);
      return null;
    }
    const parsed = parseFieldPath(value);
    if (!parsed.ok) {
      problems.push(`${at}: ${parsed.problem}`);
      return null;
    }
    const wildcards = wildcardCount(parsed.segments);
    if (wildcards > 1) problems.push(`${at}: "${value}" has ${wildcards} [*]; a metric path may iterate one array`);
    if (parsed.segments.some((s) => s.kind === 'index')) problems.push(`${at}: "${value}" must not address one array element`);
    if (wildcards === 1) {
      const cut = parsed.segments.findIndex((s) => s.kind === 'wildcard');
      if (cut === parsed.segments.length - 1) problems.push(`${at}: "${value}" must name a field of the array's elements after [*]`);
      arrays.push({ at, prefix: prefixText(parsed.segments.slice(0, cut)) });
    }
    return value;
  };

  let measure: MetricDefinition['measure'];
  if (input.measure !== undefined) {
    if (!isObject(input.measure)) {
      problems.push('measure: must be an object {field, multiplyBy?}; leave it out for a count-only metric');
    } else {
      for (const key of Object.keys(input.measure))
        if (key !== 'field' && key !== 'multiplyBy') problems.push(`measure.${key}: unknown property (expected field, multiplyBy)`);
      const field = checkPath(input.measure.field, 'measure.field');
      const multiplyBy = input.measure.multiplyBy === undefined ? undefined : checkPath(input.measure.multiplyBy, 'measure.multiplyBy');
      if (field) measure = { field, ...(multiplyBy ? { multiplyBy } : {}) };
    }
  }

  const dimensions: MetricDimension[] = [];
  if (!Array.isArray(input.dimensions)) {
    problems.push('dimensions: required, a list of {name, field} (or field paths); may be empty');
  } else {
    input.dimensions.forEach((entry: unknown, i: number) => {
      const at = `dimensions[${i}]`;
      const spec = typeof entry === 'string' ? { field: entry } : entry;
      if (!isObject(spec)) {
        problems.push(`${at}: must be a field path or {name, field}`);
        return;
      }
      for (const key of Object.keys(spec)) if (key !== 'name' && key !== 'field') problems.push(`${at}.${key}: unknown property (expected name, field)`);
      const field = checkPath(spec.field, `${at}.field`);
      if (!field) return;
      const dimensionName = spec.name ?? defaultDimensionName(field);
      if (typeof dimensionName !== 'string' || !DIMENSION_NAME.test(dimensionName)) {
        problems.push(`${at}.name: "${String(dimensionName)}" must be a GraphQL-style name (letters, digits, _)`);
        return;
      }
      if (RESERVED_DIMENSION_NAMES.includes(dimensionName)) {
        problems.push(
          `${at}.name: "${dimensionName}" is reserved (${RESERVED_DIMENSION_NAMES.join(', ')} are names of every JavaScript object): name the dimension otherwise, e.g. {"name": "${dimensionName.replace(/^_+/, '')}_value", "field": "${field}"}`,
        );
        return;
      }
      if (dimensions.some((d) => d.name === dimensionName)) problems.push(`${at}.name: "${dimensionName}" is used by another dimension`);
      dimensions.push({ name: dimensionName, field });
    });
  }

  let time: MetricDefinition['time'] | undefined;
  if (!isObject(input.time)) {
    problems.push('time: required, {"field": "<timestamp field>"} or {"changeTime": true}');
  } else if (input.time.changeTime === true && input.time.field === undefined) {
    time = { changeTime: true };
  } else if (input.time.changeTime !== undefined) {
    problems.push('time: either {"field": ...} or {"changeTime": true}, not both');
  } else {
    const field = checkPath(input.time.field, 'time.field');
    if (field?.includes('[*]')) problems.push('time.field: must not use [*] (an entity has one time)');
    if (field) time = { field };
  }

  const windows: WindowSize[] = [];
  if (!Array.isArray(input.windows) || input.windows.length === 0) {
    problems.push(`windows: required, a non-empty list of ${WINDOW_SIZES.join(', ')}`);
  } else {
    input.windows.forEach((w: unknown, i: number) => {
      if (!WINDOW_SIZES.includes(w as WindowSize)) problems.push(`windows[${i}]: "${String(w)}" is not one of ${WINDOW_SIZES.join(', ')}`);
      else if (windows.includes(w as WindowSize)) problems.push(`windows[${i}]: "${String(w)}" is listed twice`);
      else windows.push(w as WindowSize);
    });
  }

  const filter: Condition[] = [];
  if (input.filter !== undefined) {
    const list = Array.isArray(input.filter) ? input.filter : [input.filter];
    list.forEach((condition: unknown, i: number) => {
      const at = Array.isArray(input.filter) ? `filter[${i}]` : 'filter';
      if (!isObject(condition) || typeof condition.src !== 'string') {
        problems.push(`${at}: must be a condition {src, equals|notEquals|in|notIn|exists}`);
        return;
      }
      const parsed = parseJsonPath(condition.src.startsWith('$') ? condition.src : `$.${condition.src}`);
      if (!parsed.ok) problems.push(`${at}.src: ${parsed.problem}`);
      else if (wildcardCount(parsed.segments) > 0) problems.push(`${at}.src: must not use [*] (a filter tests one value of the entity)`);
      const ops = CONDITION_OPS.filter((op) => Object.hasOwn(condition, op));
      if (ops.length !== 1) problems.push(`${at}: needs exactly one of ${CONDITION_OPS.join(', ')} (got ${ops.length})`);
      for (const key of Object.keys(condition)) if (key !== 'src' && !CONDITION_OPS.includes(key)) problems.push(`${at}.${key}: unknown property`);
      if ((Object.hasOwn(condition, 'in') && !Array.isArray(condition.in)) || (Object.hasOwn(condition, 'notIn') && !Array.isArray(condition.notIn))) {
        problems.push(`${at}: in/notIn must be a list`);
      }
      if (Object.hasOwn(condition, 'exists') && typeof condition.exists !== 'boolean') problems.push(`${at}.exists: must be true or false`);
      filter.push({ ...(condition as unknown as Condition), src: condition.src.startsWith('$') ? condition.src : `$.${condition.src}` });
    });
  }

  const prefixes = new Set(arrays.map((a) => a.prefix));
  if (prefixes.size > 1) {
    problems.push(
      `paths iterate different arrays (${[...prefixes].map((p) => `${p}[*]`).join(', ')}); a metric may iterate one array: ${arrays.map((a) => a.at).join(', ')}`,
    );
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    definition: {
      name: name as string,
      version: version as number,
      ...(typeof input.description === 'string' ? { description: input.description } : {}),
      subject: subject as string,
      ...(measure ? { measure } : {}),
      dimensions,
      time: time!,
      windows,
      ...(filter.length > 0 ? { filter } : {}),
    },
  };
}

/** `line_items[*].sku` → `sku`, `customer.email` → `email`. */
function defaultDimensionName(field: string): string {
  const last = field.split('.').pop() ?? field;
  return last.replace(/\[\*\]$/, '');
}

function prefixText(segments: readonly PathSegment[]): string {
  return segments.map((s) => (s.kind === 'name' ? s.name : s.kind === 'index' ? `[${s.index}]` : '[*]')).join('.');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
