import { didYouMean } from '../errors';
import { formatJsonPath, parseFieldPath, parseJsonPath, wildcardCount, type PathSegment } from './json-path';
import { isValidSubjectName, subjectName } from './subject-name';
import { checkTransformArgs, getTransform, listTransforms } from './transforms/transform-registry';
import { transformSteps } from './transform-steps';

/**
 * The checks JSON Schema cannot express: transform names and arguments, JSONPath syntax and
 * subset, `[*]` counts, destination clashes, the subject name and the key. Runs on unvalidated
 * input (skipping what is malformed, which the schema check reports) so that one pass lists every
 * problem, each with its location.
 */
export function checkSpecSemantics(input: unknown): string[] {
  if (!isObject(input)) return [];
  const problems: string[] = [];
  checkTarget(input.target, problems);
  const dsts: DstEntry[] = [];
  const mappings = Array.isArray(input.fieldMappings) ? input.fieldMappings : [];
  mappings.forEach((mapping, i) => checkFieldMapping(mapping, `fieldMappings[${i}]`, i, problems, dsts));
  checkDstClashes(dsts, problems);
  const defaults = checkDefaults(input.defaults, problems);
  checkKey(input.key, [...dsts.map((d) => d.segments), ...defaults], problems);
  return problems;
}

interface DstEntry {
  readonly index: number;
  readonly path: string;
  readonly segments: readonly PathSegment[];
  readonly conditional: boolean;
  readonly precedence: number;
}

function checkTarget(target: unknown, problems: string[]): void {
  if (!isObject(target) || typeof target.subject !== 'string' || target.subject === '') return;
  const name = subjectName(target.subject);
  if (!isValidSubjectName(name)) {
    problems.push(`target.subject: "${target.subject}" names subject "${name}", which is not an identifier (a letter, then letters, digits or _)`);
  }
}

function checkFieldMapping(mapping: unknown, at: string, index: number, problems: string[], dsts: DstEntry[]): void {
  if (!isObject(mapping)) return;
  const src = typeof mapping.src === 'string' ? parsePath(mapping.src, `${at}.src`, problems) : null;
  const dst = typeof mapping.dst === 'string' ? parsePath(mapping.dst, `${at}.dst`, problems) : null;
  if (dst) {
    if (dst.length === 0) problems.push(`${at}.dst: must name a field, not the document root "$"`);
    else if (dst[0]!.kind !== 'name') problems.push(`${at}.dst: must start with a member name, e.g. "$.field"`);
    else if (dst.some((s) => s.kind === 'index')) problems.push(`${at}.dst: [n] is not supported in a destination (use [*] to map arrays element-wise)`);
  }

  const steps = transformSteps(mapping.transform);
  for (const step of steps) {
    const transform = getTransform(step.name);
    const where = `${at}.transform${step.where}`;
    if (!transform) {
      problems.push(
        `${where}: unknown transform "${step.name}"${didYouMean(
          step.name,
          listTransforms().map((t) => t.name),
        )}`,
      );
      continue;
    }
    const argsAt = isObject(mapping.transform) || Array.isArray(mapping.transform) ? `${where}.args` : where;
    for (const p of checkTransformArgs(transform, step.args)) problems.push(`${argsAt}: ${transform.name}: ${p}`);
  }
  if (mapping.src === undefined) {
    const first = steps[0] ? getTransform(steps[0].name) : undefined;
    if (!first?.acceptsMissing) problems.push(`${at}.src: is required unless the first transform is default, concat or coalesce`);
  }

  if (src && dst && wildcardCount(src) !== wildcardCount(dst)) {
    problems.push(
      `${at}: src "${mapping.src as string}" has ${wildcardCount(src)} [*] but dst "${mapping.dst as string}" has ${wildcardCount(dst)}; element-wise mapping needs the same number`,
    );
  } else if (!src && dst && wildcardCount(dst) > 0) {
    problems.push(`${at}.dst: [*] needs a src with as many [*]`);
  }

  const conditions: [unknown, string][] = Array.isArray(mapping.when)
    ? mapping.when.map((c, j): [unknown, string] => [c, `${at}.when[${j}]`])
    : mapping.when === undefined
      ? []
      : [[mapping.when, `${at}.when`]];
  for (const [condition, where] of conditions) {
    if (!isObject(condition) || typeof condition.src !== 'string') continue;
    const path = parsePath(condition.src, `${where}.src`, problems);
    if (path && wildcardCount(path) > 0) problems.push(`${where}.src: must not use [*] (a condition tests one value of the record)`);
  }

  if (dst && dst.length > 0) {
    const precedence = typeof mapping.precedence === 'number' ? mapping.precedence : 0;
    dsts.push({ index, path: formatJsonPath(dst), segments: dst, conditional: mapping.when !== undefined, precedence });
  }
}

/**
 * Mappings sharing a dst are alternatives, tried in order (the first whose `when` holds wins), so
 * every one but the last needs a `when`; a mapping inside what another writes whole would race.
 */
function checkDstClashes(dsts: readonly DstEntry[], problems: string[]): void {
  const groups = new Map<string, DstEntry[]>();
  for (const d of dsts) groups.set(d.path, [...(groups.get(d.path) ?? []), d]);
  for (const group of groups.values()) {
    group.forEach((d, i) => {
      const before = group[i - 1];
      if (before && !before.conditional) {
        problems.push(
          `fieldMappings[${d.index}].dst: "${d.path}" is also written by fieldMappings[${before.index}], which has no "when"; only the last mapping of a dst may omit it`,
        );
      } else if (before && d.precedence !== group[0]!.precedence) {
        problems.push(
          `fieldMappings[${d.index}].precedence: must equal that of fieldMappings[${group[0]!.index}] (${group[0]!.precedence}), which writes the same dst`,
        );
      }
    });
  }
  const distinct = [...groups.values()].map((g) => g[0]!);
  for (const outer of distinct) {
    for (const inner of distinct) {
      if (inner !== outer && isStrictPrefix(outer.segments, inner.segments)) {
        problems.push(`fieldMappings[${inner.index}].dst: "${inner.path}" is inside "${outer.path}", which fieldMappings[${outer.index}] writes whole`);
      }
    }
  }
}

/** Where a `defaults` key sits in a spec, as problems name it: `defaults.status`, or `defaults["customer.email"]`. */
export function defaultsPlace(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `defaults.${key}` : `defaults[${JSON.stringify(key)}]`;
}

function checkDefaults(defaults: unknown, problems: string[]): (readonly PathSegment[])[] {
  if (!isObject(defaults)) return [];
  const paths: (readonly PathSegment[])[] = [];
  for (const key of Object.keys(defaults)) {
    const where = defaultsPlace(key);
    const parsed = parseFieldPath(key);
    if (!parsed.ok) problems.push(`${where}: ${parsed.problem}`);
    else if (parsed.segments.length === 0 || parsed.segments.some((s) => s.kind !== 'name')) {
      problems.push(`${where}: must be a path of field names (no [*], [n] or numeric parts)`);
    } else paths.push(parsed.segments);
  }
  return paths;
}

function checkKey(key: unknown, produced: readonly (readonly PathSegment[])[], problems: string[]): void {
  if (!isObject(key) || !Array.isArray(key.fields)) return;
  key.fields.forEach((field, i) => {
    if (typeof field !== 'string') return;
    const path = parsePath(field, `key.fields[${i}]`, problems);
    if (!path) return;
    if (wildcardCount(path) > 0) problems.push(`key.fields[${i}]: must not use [*]`);
    else if (!produced.some((p) => p.length > 0 && (sameSegments(p, path) || isStrictPrefix(p, path)))) {
      problems.push(`key.fields[${i}]: "${field}" is not produced by any field mapping or default`);
    }
  });
}

function parsePath(path: string, where: string, problems: string[]): readonly PathSegment[] | null {
  const parsed = parseJsonPath(path);
  if (parsed.ok) return parsed.segments;
  problems.push(`${where}: ${parsed.problem}`);
  return null;
}

function sameSegment(a: PathSegment, b: PathSegment): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'name') return a.name === (b as { name: string }).name;
  if (a.kind === 'index') return a.index === (b as { index: number }).index;
  return true;
}

function sameSegments(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => sameSegment(s, b[i]!));
}

function isStrictPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length < path.length && prefix.every((s, i) => sameSegment(s, path[i]!));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
