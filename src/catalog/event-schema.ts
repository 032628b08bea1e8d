/**
 * The JSON Schema of a subject's canonical events (what `canonical.<subject>` carries: see
 * src/events/canonical-event.ts), derived from the subject's canonical schema: `before` and
 * `after` are entities of that schema (or null), the rest is the event's fixed envelope. The
 * schema registry serves it under the canonical topic's value subject (`<topic>-value`) for the
 * subjects published in the wire format, so a registry-aware deserializer reads and checks them.
 * The entity schema sits under `$defs` beside the subject's own `$defs`, so its `#/$defs/...`
 * references keep resolving.
 */
export function canonicalEventSchema(subject: string, entity: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, $id: _id, $defs, ...body } = entity;
  const entityOrNull = { anyOf: [{ type: 'null' }, { $ref: '#/$defs/canonql_entity' }] };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${subject} canonical event`,
    type: 'object',
    properties: {
      id: { type: 'string' },
      subject: { const: subject },
      key: { type: 'string' },
      op: { enum: ['CREATE', 'UPDATE', 'DELETE'] },
      version: { type: 'integer', minimum: 1 },
      before: entityOrNull,
      after: entityOrNull,
      changedFields: { type: 'array', items: { type: 'string' } },
      spec: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'integer' } } },
      source: { type: 'object' },
      sourceTsMs: { type: ['integer', 'null'] },
      ingestedAt: { type: 'string' },
      bodyOmitted: { const: true },
    },
    required: ['id', 'subject', 'key', 'op', 'version', 'before', 'after'],
    $defs: { ...(($defs as Record<string, unknown> | undefined) ?? {}), canonql_entity: body },
  };
}
