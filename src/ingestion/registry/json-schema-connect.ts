import type { ConnectSchema } from '../debezium/decode-connect-value';

/**
 * A JSON Schema written by Kafka Connect's JSON Schema converter, seen as the Connect schema it
 * was made from (the converter's annotations: `title` is the Connect name, `connect.type` the
 * Connect type, `connect.parameters`/`connect.version` as in Connect; `oneOf [null, X]` is an
 * optional X), so the JSON path's decoder reads the value. The value itself is JSON text, parsed
 * without losing digits (parse-json-lossless.ts).
 */
export function jsonSchemaConnectView(schema: unknown): ConnectSchema | null {
  return convert(schema);
}

const JSON_TYPES: Readonly<Record<string, string>> = {
  integer: 'int64',
  number: 'float64',
  string: 'string',
  boolean: 'boolean',
  array: 'array',
  object: 'struct',
};

function convert(node: unknown): ConnectSchema | null {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return null;
  const s = node as Record<string, unknown>;
  const branches = Array.isArray(s.oneOf) ? s.oneOf : Array.isArray(s.anyOf) ? s.anyOf : null;
  if (branches) {
    const present = branches.filter((b) => !(b !== null && typeof b === 'object' && (b as { type?: unknown }).type === 'null'));
    if (present.length !== 1) return null;
    const inner = convert(present[0]);
    return inner ? { ...inner, optional: present.length < branches.length } : null;
  }
  const declared = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  const optional = Array.isArray(s.type) && s.type.includes('null');
  const connectType = typeof s['connect.type'] === 'string' ? s['connect.type'] : JSON_TYPES[String(declared)];
  if (connectType === undefined) return null;
  const parameters = s['connect.parameters'];
  const base: ConnectSchema = {
    type: connectType,
    ...(typeof s.title === 'string' ? { name: s.title } : {}),
    ...(parameters !== null && typeof parameters === 'object' ? { parameters: parameters as Record<string, string> } : {}),
    ...(typeof s['connect.version'] === 'number' ? { version: s['connect.version'] } : {}),
    ...(optional ? { optional } : {}),
  };
  if (connectType === 'struct') {
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    const fields = Object.entries(properties).flatMap(([field, child]) => {
      const converted = convert(child);
      return converted ? [{ ...converted, field }] : [];
    });
    return { ...base, fields };
  }
  if (connectType === 'array') {
    const items = convert(s.items);
    return { ...base, ...(items ? { items } : {}) };
  }
  if (connectType === 'map') {
    const values = convert(s.additionalProperties);
    return { ...base, keys: { type: 'string' }, ...(values ? { values } : {}) };
  }
  return base;
}
