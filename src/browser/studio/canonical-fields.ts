import { formatJsonPath } from '../../mapping/json-path';
import { isObject, type JsonObject } from './json-value';

/** A leaf field of a canonical JSON Schema. */
export interface CanonicalField {
  readonly path: string;
  readonly types: readonly string[];
  readonly required: boolean;
  readonly format: string | null;
  readonly decimal: boolean;
  readonly enumValues: readonly unknown[] | null;
  readonly description: string | null;
}

function schemaTypes(schema: JsonObject): string[] {
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  if (typeof schema.type === 'string') return [schema.type];
  return [];
}

/** `.name`, or `['odd name']` when the name is not an identifier. */
function memberPath(name: string): string {
  return formatJsonPath([{ kind: 'name', name }]).slice(1);
}

/**
 * The leaf fields of a canonical JSON Schema, in schema order: objects are walked into
 * ($.customer.email), arrays of objects into their items ($.line_items[*].sku).
 */
export function canonicalFields(schema: unknown): CanonicalField[] {
  const out: CanonicalField[] = [];
  function walk(node: JsonObject, path: string, required: boolean): void {
    const types = schemaTypes(node);
    const properties = node.properties;
    const objectLike = isObject(properties) && (types.length === 0 || types.includes('object'));
    if (isObject(properties) && (objectLike || path === '$')) {
      const requiredNames = Array.isArray(node.required) ? node.required : [];
      for (const [name, child] of Object.entries(properties)) {
        if (isObject(child)) walk(child, path + memberPath(name), requiredNames.includes(name));
      }
      return;
    }
    if (types.includes('array') && isObject(node.items) && isObject(node.items.properties)) {
      walk(node.items, `${path}[*]`, false);
      return;
    }
    if (path === '$') return;
    out.push({
      path,
      types: types.length ? types : Array.isArray(node.enum) ? ['enum'] : ['any'],
      required,
      format: typeof node.format === 'string' ? node.format : null,
      decimal: node['x-canonql-type'] === 'Decimal',
      enumValues: Array.isArray(node.enum) ? [...(node.enum as unknown[])] : null,
      description: typeof node.description === 'string' ? node.description : null,
    });
  }
  if (isObject(schema)) walk(schema, '$', true);
  return out;
}
