import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isAnnotation, unescapePointer, type JsonSchema } from './json-schema-keywords';
import { linearRegExp } from './linear-regexp';

/**
 * One schema of a compatibility comparison: its root, registered with ajv under an id of its own
 * so a value can be validated exactly against any subschema of it (by JSON pointer), and its
 * local $refs followed. The subset check (json-schema-subset.ts) holds two of them.
 */
export type ResolvedSchema = { readonly schema: JsonSchema; readonly pointer: string };

/** The ajv instance both sides of one comparison register with. */
export function schemaValidators(): Ajv2020 {
  // Patterns in linear time, as validation itself matches them (linear-regexp.ts): the check
  // tests enum and const values against them, and a hostile pattern must not stall it.
  const ajv = new Ajv2020({ allErrors: false, strict: false, code: { regExp: linearRegExp } });
  addFormats(ajv);
  return ajv;
}

let rootCounter = 0;

export class SchemaSide {
  private readonly id: string;
  private readonly validators = new Map<string, ValidateFunction>();
  /** Why ajv refused the root (nothing can then be compared), or null. */
  readonly invalid: string | null = null;

  constructor(
    private readonly ajv: Ajv2020,
    readonly root: JsonSchema,
  ) {
    rootCounter += 1;
    this.id = `urn:canonql:compat:${rootCounter}`;
    try {
      ajv.addSchema(typeof root === 'boolean' ? root : { ...root, $id: this.id }, this.id);
    } catch (error) {
      this.invalid = `schema does not compile: ${(error as Error).message}`;
    }
  }

  /** Validates a value against the subschema at `pointer` (exact, through ajv). */
  accepts(pointer: string, value: unknown): boolean {
    const key = `${this.id}#${pointer}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: key });
      this.validators.set(key, validate);
    }
    return validate(value) as boolean;
  }

  /** Follows `schema`'s local $refs (at most 32 hops) to the subschema they name, or says why it cannot. */
  resolve(schema: JsonSchema, pointer: string): ResolvedSchema | { readonly rule: string; readonly message: string } {
    let current = schema;
    let at = pointer;
    for (let hops = 0; typeof current === 'object' && typeof current.$ref === 'string'; hops += 1) {
      const ref = current.$ref as string;
      const others = Object.keys(current).filter((k) => k !== '$ref' && !isAnnotation(k));
      if (others.length > 0) return { rule: 'UNSUPPORTED_KEYWORD', message: `$ref next to ${others.join(', ')} is not supported by the compatibility check` };
      if (!ref.startsWith('#/') || hops > 32) {
        return { rule: 'UNSUPPORTED_REF', message: `$ref "${ref}" cannot be resolved (only local "#/$defs/..." references are)` };
      }
      const target = ref
        .slice(1)
        .split('/')
        .slice(1)
        .map(unescapePointer)
        .reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), this.root);
      if (typeof target !== 'boolean' && (target === null || typeof target !== 'object'))
        return { rule: 'UNSUPPORTED_REF', message: `$ref "${ref}" points to nothing` };
      current = target as JsonSchema;
      at = ref.slice(1);
    }
    return { schema: current, pointer: at };
  }
}
