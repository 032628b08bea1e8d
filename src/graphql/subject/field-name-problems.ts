import type { FieldModel } from '../../catalog/field-model';
import { fieldName } from '../naming';

/** Names every plain object inherits (`__`-prefixed ones are refused as GraphQL names already). */
const INHERITED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * What in a canonical schema's property names the API cannot serve as one field each, at any
 * depth: a name with a `.` or a leading `$` (a stored path reads `a.b` as `b` inside `a`, so
 * filters, sorts and projections would read another place than the property), and two names of
 * one object that make one GraphQL name (`a-b` and `a_b`, or a relation's `as` and a field), of
 * which only one would be served and the other's filters would read the first's values. At the
 * top level `_meta` is the entity's own field. A name every JavaScript object inherits
 * (`constructor`, `toString`, `valueOf`...: Object.prototype's) is refused too: a document without
 * it would still seem to hold it (the validator reads `constructor` of every document and
 * dead-letters each one as "must be string"). Empty when every name is servable.
 */
export function fieldNameProblems(fields: readonly FieldModel[]): string[] {
  const problems: string[] = [];
  visitObject(fields, 'schema.properties', true, problems);
  return problems;
}

function visitObject(fields: readonly FieldModel[], at: string, top: boolean, problems: string[]): void {
  const named = new Map<string, string>();
  if (top) named.set('_meta', 'the entity metadata field `_meta`');
  const claim = (name: string, what: string) => {
    const earlier = named.get(name);
    if (earlier !== undefined) problems.push(`${at}: ${what} and ${earlier} are both served as the GraphQL field "${name}"`);
    else named.set(name, what);
  };
  for (const field of fields) {
    const path = `${at}.${field.jsonKey}`;
    if (field.jsonKey.includes('.') || field.jsonKey.startsWith('$')) {
      problems.push(`${path}: a canonical property name cannot contain "." or start with "$" (stored paths read "a.b" as "b" inside "a")`);
    }
    if (field.jsonKey.includes('\u0000')) {
      problems.push(
        `${JSON.stringify(path)}: a canonical property name cannot contain NUL (U+0000): the store cannot hold such a key, and every record would fail to be written`,
      );
    }
    if (INHERITED_NAMES.has(field.jsonKey)) {
      problems.push(
        `${path}: "${field.jsonKey}" is a name every JavaScript object inherits (Object.prototype); a document without it would seem to hold it: name the property otherwise`,
      );
    }
    claim(fieldName(field.jsonKey), `property "${field.jsonKey}"`);
    if (field.relation) claim(fieldName(field.relation.as), `the relation "${field.relation.as}" of "${field.jsonKey}"`);
    visitField(field, path, problems);
  }
}

function visitField(field: FieldModel, path: string, problems: string[]): void {
  if (field.kind === 'object') visitObject(field.fields, `${path}.properties`, false, problems);
  if (field.kind === 'list') visitField(field.item, `${path}.items`, problems);
}
