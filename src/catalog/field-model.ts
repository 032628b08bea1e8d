/**
 * What the GraphQL layer reads from a canonical JSON Schema: a tree of fields with their kind.
 * Pure; the GraphQL types (output, filter, sort) are all built from this one model.
 */
export type ScalarKind = 'String' | 'Int' | 'Long' | 'Float' | 'Boolean' | 'DateTime' | 'Decimal' | 'JSON';

export interface Relation {
  /** Subject the value refers to. */
  readonly subject: string;
  /** Canonical field of that subject holding the value (`id` = its entity key). */
  readonly by: string;
  /** GraphQL field added next to this one, resolving to the related entity. */
  readonly as: string;
}

export type FieldModel = {
  readonly jsonKey: string;
  readonly description?: string;
  readonly relation?: Relation;
} & (
  | { readonly kind: 'scalar'; readonly scalar: ScalarKind }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'object'; readonly fields: readonly FieldModel[] }
  | { readonly kind: 'list'; readonly item: FieldModel }
);

type JsonSchema = Record<string, unknown>;

export function modelObject(schema: JsonSchema): FieldModel[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([key, property]) => modelField(key, property));
}

function modelField(jsonKey: string, schema: JsonSchema): FieldModel {
  const base = {
    jsonKey,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    ...(relationOf(schema) ? { relation: relationOf(schema)! } : {}),
  };
  const types = (Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type]).filter((t) => t !== 'null');
  const override = schema['x-canonql-type'];
  if (override === 'Decimal' || override === 'DateTime' || override === 'JSON') return { ...base, kind: 'scalar', scalar: override };
  if (types.length !== 1) return { ...base, kind: 'scalar', scalar: 'JSON' };
  switch (types[0]) {
    case 'string':
      if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string' && /^[_A-Za-z][_0-9A-Za-z]*$/.test(v))) {
        return { ...base, kind: 'enum', values: schema.enum as string[] };
      }
      return { ...base, kind: 'scalar', scalar: schema.format === 'date-time' ? 'DateTime' : 'String' };
    case 'integer':
      // GraphQL's Int holds 32 bits; `format: int64` serves the field as `Long` (every integer a JSON number holds exactly).
      return { ...base, kind: 'scalar', scalar: schema.format === 'int64' ? 'Long' : 'Int' };
    case 'number':
      return { ...base, kind: 'scalar', scalar: 'Float' };
    case 'boolean':
      return { ...base, kind: 'scalar', scalar: 'Boolean' };
    case 'object':
      return schema.properties ? { ...base, kind: 'object', fields: modelObject(schema) } : { ...base, kind: 'scalar', scalar: 'JSON' };
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      return { ...base, kind: 'list', item: modelField(jsonKey, items) };
    }
    default:
      return { ...base, kind: 'scalar', scalar: 'JSON' };
  }
}

function relationOf(schema: JsonSchema): Relation | undefined {
  const ref = schema['x-canonql-ref'] as { subject?: unknown; by?: unknown; as?: unknown } | undefined;
  if (!ref || typeof ref.subject !== 'string' || typeof ref.as !== 'string') return undefined;
  return { subject: ref.subject, by: typeof ref.by === 'string' ? ref.by : 'id', as: ref.as };
}

/**
 * The relations of a subject's fields, at any depth (inside objects and list items), that look
 * their entity up by a canonical field rather than by its id: each is a `{'data.<by>': {$in}}`
 * read of `subject`'s state per request, which an index on that field serves.
 */
export function relationLookups(fields: readonly FieldModel[]): Relation[] {
  const found: Relation[] = [];
  const visit = (field: FieldModel): void => {
    if (field.relation && field.relation.by !== 'id') found.push(field.relation);
    if (field.kind === 'object') field.fields.forEach(visit);
    if (field.kind === 'list') visit(field.item);
  };
  fields.forEach(visit);
  return found;
}
