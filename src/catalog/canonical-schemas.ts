import fs from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { AppError, ErrorCode } from '../errors';

/**
 * Canonical JSON Schemas, one per subject, compiled once with ajv. Files named
 * `schema/canonical/<subject>.schema.json` seed the catalog; the schema's `x-canonql` block says
 * how the subject is keyed and related (read by the GraphQL layer).
 */
export interface CanonicalSchema {
  readonly subject: string;
  readonly version: number;
  readonly schema: Record<string, unknown>;
  validate(document: unknown): string[];
}

export function createSchemaCompiler() {
  // strict mode off for keywords: canonical schemas carry `x-canonql` annotations.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return {
    compile(subject: string, schema: Record<string, unknown>, version = 1): CanonicalSchema {
      let validator: ValidateFunction;
      try {
        validator = ajv.compile({ ...schema, $id: undefined });
      } catch (error) {
        throw new AppError(ErrorCode.SCHEMA_INVALID, `canonical schema for ${subject} does not compile: ${(error as Error).message}`, { cause: error });
      }
      return {
        subject,
        version,
        schema,
        validate(document) {
          return validator(document) ? [] : formatErrors(validator.errors ?? []);
        },
      };
    },
  };
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
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort()) {
    const subject = file.replace(/\.schema\.json$/, '');
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    result.set(subject, compiler.compile(subject, schema));
  }
  return result;
}
