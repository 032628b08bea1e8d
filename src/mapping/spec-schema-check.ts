import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import specSchema from '../../schema/mapping-spec.schema.json';

/**
 * Structural validation of a mapping spec against `schema/mapping-spec.schema.json` (the file
 * editors use, imported so the build ships it). Compiled once, on first use.
 */
let validator: ValidateFunction | undefined;

/** Every structural problem, located like `fieldMappings[2].transform: ...`. */
export function checkSpecSchema(input: unknown): string[] {
  validator ??= compile();
  return validator(input) ? [] : formatSchemaErrors(validator.errors ?? []);
}

function compile(): ValidateFunction {
  // strict off: the schema carries editor-only keywords (examples, title) next to $ref.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(specSchema);
}

/** JSON Pointer `/fieldMappings/2/transform` → `fieldMappings[2].transform`. */
export function locate(instancePath: string): string {
  let out = '';
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

function formatSchemaErrors(errors: readonly ErrorObject[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    // "must match then/else schema" repeats the errors of the branch it took.
    if (e.keyword === 'if') continue;
    const where = locate(e.instancePath);
    const at = (child: string) => (where === '' ? child : `${where}.${child}`);
    const params = e.params as Record<string, unknown>;
    let message: string;
    switch (e.keyword) {
      case 'required':
        message = `${at(String(params.missingProperty))}: is required`;
        break;
      case 'additionalProperties':
        message = `${where || '(root)'}: unknown property "${String(params.additionalProperty)}"`;
        break;
      case 'enum':
        message = `${where || '(root)'}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'const':
        message = `${where || '(root)'}: must be ${JSON.stringify(params.allowedValue)}`;
        break;
      case 'maxProperties':
      case 'minProperties':
        message = `${where || '(root)'}: ${e.message ?? e.keyword}${where.includes('when') ? ' (a condition has "src" and exactly one operator)' : where === 'key' ? ' ("fields" or "source")' : ''}`;
        break;
      default:
        message = `${where || '(root)'}: ${e.message ?? e.keyword}`;
    }
    if (!out.includes(message)) out.push(message);
  }
  return out;
}
