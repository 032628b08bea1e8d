import fs from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import safeRegex from 'safe-regex2';
import { AppError, ErrorCode } from '../errors';
import { isKeyedScalar, orderKeyOf } from '../values/order-key';
import { modelObject, type FieldModel } from './field-model';
import { linearPatternProblem, linearRegExp } from './linear-regexp';

/**
 * Canonical JSON Schemas, one per subject, compiled once with ajv. Files named
 * `schema/canonical/<subject>.schema.json` seed the catalog; the schema's `x-canonql` block says
 * how the subject is keyed and related (read by the GraphQL layer).
 */
export interface CanonicalSchema {
  readonly subject: string;
  readonly version: number;
  readonly schema: Record<string, unknown>;
  /**
   * The schema's problems with a document ([] when valid). Throws VALUE_OUT_OF_RANGE when a
   * Decimal, Int, Float or DateTime value is valid but has no order key (values/order-key.ts):
   * such a record is dead-lettered with that code, never stored truncated.
   */
  validate(document: unknown): string[];
  /** ajv's errors for a document, each at its `instancePath` ([] when valid; order keys not checked). */
  errorsOf(document: unknown): readonly ErrorObject[];
}

export function createSchemaCompiler() {
  // strict mode off for keywords: canonical schemas carry `x-canonql` annotations.
  // Patterns are matched by RE2 (linear time), never by JavaScript's backtracking engine.
  const ajv = new Ajv2020({ allErrors: true, strict: false, code: { regExp: linearRegExp } });
  addFormats(ajv);
  return {
    compile(subject: string, schema: Record<string, unknown>, version = 1): CanonicalSchema {
      const unsafe = unsafePatterns(schema);
      if (unsafe.length > 0) throw new AppError(ErrorCode.SCHEMA_INVALID, `canonical schema for ${subject} is refused: ${unsafe.join('; ')}`);
      let validator: ValidateFunction;
      try {
        validator = ajv.compile({ ...schema, $id: undefined });
      } catch (error) {
        throw new AppError(ErrorCode.SCHEMA_INVALID, `canonical schema for ${subject} does not compile: ${(error as Error).message}`, { cause: error });
      }
      const fields = modelObject(schema);
      return {
        subject,
        version,
        schema,
        validate(document) {
          if (!validator(document)) return formatErrors(validator.errors ?? []);
          checkOrderKeys(fields, document as Record<string, unknown>, '');
          return [];
        },
        errorsOf: (document) => (validator(document) ? [] : [...(validator.errors ?? [])]),
      };
    },
  };
}

/**
 * Every `pattern` (and `patternProperties` key) of a schema that canonql refuses, each named by
 * its path:
 * - `UNSUPPORTED_PATTERN`: RE2 — the linear-time engine documents are validated with
 *   (linear-regexp.ts) — cannot match it: a lookaround, a backreference, a repeat count above
 *   1000, a `\p{Script=…}` long form. Such a pattern was matched by JavaScript's backtracking
 *   engine before, where a hostile string could stall a consumer.
 * - nested quantifiers (star height above 1, safe-regex2: `^(a+)+$`): exponential in a
 *   backtracking engine. Validation no longer uses one, but the compatibility check
 *   (json-schema-side.ts) still matches enumerated values with JavaScript's engine.
 * A pattern JavaScript cannot compile is left to ajv's own error.
 */
export function unsafePatterns(schema: unknown): string[] {
  const found: string[] = [];
  const pending: [unknown, string][] = [[schema, '']];
  while (pending.length > 0) {
    const [node, at] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    for (const [key, value] of Object.entries(node)) {
      const path = `${at}/${key}`;
      if (key === 'pattern' && typeof value === 'string') {
        const problem = patternProblem(value, true);
        if (problem) found.push(`${path}: ${problem}`);
      }
      if (key === 'patternProperties' && value !== null && typeof value === 'object') {
        for (const name of Object.keys(value)) {
          const problem = patternProblem(name, false);
          if (problem) found.push(`${path}: ${problem}`);
        }
      }
      if (value !== null && typeof value === 'object') pending.push([value, path]);
    }
  }
  return found;
}

function patternProblem(pattern: string, advice: boolean): string | null {
  try {
    new RegExp(pattern, 'u');
  } catch {
    return null; // not a valid pattern: ajv reports it
  }
  const unsupported = linearPatternProblem(pattern);
  if (unsupported !== null)
    return `UNSUPPORTED_PATTERN: pattern ${JSON.stringify(pattern)} cannot be matched in linear time (RE2: ${unsupported}); lookarounds and backreferences are not supported`;
  if (!safeRegex(pattern))
    return `pattern ${JSON.stringify(pattern)} can take exponential time to match (nested quantifiers)${advice ? '; rewrite it without a quantified group that contains a quantifier' : ''}`;
  return null;
}

function checkOrderKeys(fields: readonly FieldModel[], data: Record<string, unknown> | null, prefix: string): void {
  if (data === null || typeof data !== 'object') return;
  for (const field of fields) {
    const value = data[field.jsonKey];
    if (value === null || value === undefined) continue;
    if (field.kind === 'scalar' && isKeyedScalar(field.scalar)) orderKeyOf(field.scalar, value, `${prefix}/${field.jsonKey}`);
    else if (field.kind === 'object') checkOrderKeys(field.fields, value as Record<string, unknown>, `${prefix}/${field.jsonKey}`);
  }
}

export function formatErrors(errors: readonly ErrorObject[]): string[] {
  return errors.map((e) => {
    const where = e.instancePath === '' ? '(root)' : e.instancePath;
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
}

/** Loads every `<subject>.schema.json` of a directory. */
export function loadCanonicalSchemas(dir: string): Map<string, CanonicalSchema> {
  const compiler = createSchemaCompiler();
  const result = new Map<string, CanonicalSchema>();
  if (!fs.existsSync(dir)) return result;
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()) {
    const subject = file.replace(/\.schema\.json$/, '');
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    result.set(subject, compiler.compile(subject, schema));
  }
  return result;
}
