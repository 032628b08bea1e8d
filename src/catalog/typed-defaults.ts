import { parseFieldPath } from '../mapping/json-path';
import { defaultsPlace } from '../mapping/spec-semantics';
import { dateTimeKey, isKeyedScalar, numberKey } from '../values/order-key';
import { createSchemaCompiler, formatErrors, type CanonicalSchema } from './canonical-schemas';
import { modelObject, type FieldModel } from './field-model';
import type { TargetFieldIssue } from './spec-target-fields';

/**
 * A spec's `defaults` checked against the target subject's fields: a default for a Decimal, Int,
 * Float or DateTime field must be a value of that type the store can order (values/order-key.ts).
 * A malformed one (`"12,50"`, `"yesterday"`) would otherwise be refused at validation for every
 * record that lacks the field, so registration refuses it, naming `defaults.<path>` and the value.
 * Paths the subject does not type (unknown, JSON, inside lists) are left to validation.
 */
export function typedDefaultProblems(defaults: Readonly<Record<string, unknown>> | undefined, fields: readonly FieldModel[]): string[] {
  return typedDefaultIssues(defaults, fields).map((issue) => `${issue.at}: ${issue.problem}`);
}

/** typedDefaultProblems, each with its place in the spec apart. */
function typedDefaultIssues(defaults: Readonly<Record<string, unknown>> | undefined, fields: readonly FieldModel[]): TargetFieldIssue[] {
  const problems: TargetFieldIssue[] = [];
  for (const [key, value] of Object.entries(defaults ?? {})) {
    if (value === null || value === undefined) continue;
    const parsed = parseFieldPath(key);
    if (!parsed.ok) continue;
    let level: readonly FieldModel[] = fields;
    let field: FieldModel | undefined;
    for (const segment of parsed.segments) {
      field = segment.kind === 'name' ? level.find((f) => f.jsonKey === segment.name) : undefined;
      if (!field) break;
      level = field.kind === 'object' ? field.fields : [];
    }
    if (field?.kind !== 'scalar' || !isKeyedScalar(field.scalar)) continue;
    const where = defaultsPlace(key);
    const scalar = field.scalar;
    const ok =
      scalar === 'DateTime'
        ? typeof value === 'string' && dateTimeKey(value) !== null
        : scalar === 'Decimal'
          ? typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) && numberKey(value) !== null
          : typeof value === 'number' &&
            (scalar === 'Float' || (scalar === 'Long' ? Number.isSafeInteger(value) : Number.isInteger(value))) &&
            numberKey(value) !== null;
    if (!ok) {
      problems.push({
        at: where,
        problem: `${JSON.stringify(value)} is not ${scalar === 'Int' ? 'an' : 'a'} ${scalar} (${
          scalar === 'DateTime'
            ? 'ISO-8601 text with an offset and at most 9 fractional digits, years 0000–9999'
            : scalar === 'Decimal'
              ? 'a decimal string such as "-1234.50", at most 1000 significant digits'
              : `a JSON number${scalar === 'Int' ? ' without a fraction' : scalar === 'Long' ? ' without a fraction, within ±9007199254740991' : ''}`
        })`,
      });
    }
  }
  return problems;
}

/**
 * A spec's `defaults` checked against its subject's canonical schema: a record that lacks a field
 * gets its default and is then validated like any other, so a default the field does not accept
 * (a String default of an Int field, a value outside its `enum`, not matching its `pattern`,
 * above its `maximum`, null for a field that is not nullable) fails every record that relies on
 * it. Typed fields first (typedDefaultProblems, what the store orders by), then the subject's
 * record validator (canonical-schemas.ts) on a document that holds just the default: its errors
 * at or below the default's path, each default named once. A path that is not a field of the
 * subject (spec-target-fields.ts) and a path through a list are left to those checks and to
 * validation. Used when a spec is registered, previewed or activated, and when a new version of
 * the subject is checked against the specs active for it (spec-registry.ts activeSpecProblems).
 */
export function defaultValueIssues(
  defaults: Readonly<Record<string, unknown>> | undefined,
  subject: string,
  schema: Record<string, unknown>,
): TargetFieldIssue[] {
  if (!defaults || Object.keys(defaults).length === 0) return [];
  const typed = typedDefaultIssues(defaults, modelObject(schema));
  const issues: TargetFieldIssue[] = [...typed];
  const compiled = compiledOf(schema);
  for (const [key, value] of Object.entries(defaults)) {
    const parsed = parseFieldPath(key);
    if (!compiled || value === undefined || !parsed.ok) continue;
    const names = parsed.segments.flatMap((segment) => (segment.kind === 'name' ? [segment.name] : []));
    if (names.length !== parsed.segments.length) continue;
    const where = defaultsPlace(key);
    if (typed.some((issue) => issue.at === where)) continue;
    // Own members all the way down, whatever their names (fromEntries never touches a prototype).
    const document = names.reduceRight<unknown>((inner, name) => Object.fromEntries([[name, inner]]), value);
    const pointer = names.map((name) => `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
    const errors = compiled.errorsOf(document).filter((e) => e.instancePath === pointer || e.instancePath.startsWith(`${pointer}/`));
    if (errors.length > 0)
      issues.push({ at: where, problem: `${JSON.stringify(value)} is not a value of subject "${subject}" (${formatErrors(errors).join('; ')})` });
  }
  return issues;
}

/** The record validator of a schema, compiled once per schema object; null when it does not compile (its own problems are reported elsewhere). */
const compiledSchemas = new WeakMap<Record<string, unknown>, CanonicalSchema | null>();

function compiledOf(schema: Record<string, unknown>): CanonicalSchema | null {
  if (!compiledSchemas.has(schema)) {
    let compiled: CanonicalSchema | null;
    try {
      compiled = createSchemaCompiler().compile('defaults', schema);
    } catch {
      compiled = null;
    }
    compiledSchemas.set(schema, compiled);
  }
  return compiledSchemas.get(schema)!;
}
