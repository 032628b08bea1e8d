import {
  getNamedType,
  isObjectType,
  isInterfaceType,
  isInputObjectType,
  printType,
  validateSchema,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { buildApiSchema, type SubjectEntry } from './build-api-schema';

/**
 * Which subjects the API can serve together. Subject names become GraphQL names through one inflection
 * rule (`order_customer` → type `OrderCustomer`; `orders` → type `Order`, query `order`...: see
 * naming.ts and `subjectNoun` in catalog/subject-name.ts), so a new subject can
 * collide with a type or field another subject or the fixed API generates. A subject is servable
 * next to others when the schema with it is valid and every type and root field the others (and
 * the fixed part) had is still there, unchanged.
 */
export type BuildSchema = (subjects: readonly SubjectEntry[]) => GraphQLSchema;

/**
 * What registering `candidate` (next to the served `others`, replacing `current`, the subject's
 * latest version if any) would break; empty when nothing. The candidate's own types and root
 * fields may change (its compatibility rules judge that); every other type and root field must
 * keep each field it has, with the same arguments and type. Fields may be added: a relation to
 * the candidate's subject appears on another subject's type once the subject exists.
 */
export function candidateProblems(
  others: readonly SubjectEntry[],
  candidate: SubjectEntry,
  build: BuildSchema = buildApiSchema,
  current?: SubjectEntry,
): string[] {
  // Judged against what is served today (others that do not build together are left out there too).
  const { schema: before, served } = buildServedSchema(current ? [...others, current] : others, build);
  const rest = served.filter((entry) => entry.subject !== candidate.subject);
  let after: GraphQLSchema;
  try {
    after = build([...rest, candidate]);
  } catch (error) {
    return [`subject ${candidate.subject}: the API schema with it cannot be built: ${(error as Error).message}`];
  }
  const invalid = validateSchema(after);
  if (invalid.length > 0) return invalid.map((e) => `subject ${candidate.subject}: the API schema with it is invalid: ${e.message}`);
  // What the candidate's subject generates, minus what the others generate too (a collision is never exempt).
  const othersSchema = build(rest);
  const own = new Set([...ownedBy(build, [candidate, ...(current ? [current] : [])])].filter((name) => !generates(othersSchema, name)));
  return schemaChanges(before, after, own).map((change) => `subject ${candidate.subject}: ${change}`);
}

/** True when the schema has the type, or the `Type.field`, named. */
function generates(schema: GraphQLSchema, name: string): boolean {
  const [typeName, fieldName] = name.split('.') as [string, string | undefined];
  const type = schema.getType(typeName);
  return type !== undefined && (fieldName === undefined || fieldsOf(type)[fieldName] !== undefined);
}

/** Type names and `Root.field` names the given versions of one subject generate (the fixed part excluded). */
function ownedBy(build: BuildSchema, versions: readonly SubjectEntry[]): Set<string> {
  const fixed = build([]);
  const owned = new Set<string>();
  for (const version of versions) {
    let alone: GraphQLSchema;
    try {
      alone = build([version]);
    } catch {
      continue;
    }
    for (const type of Object.values(alone.getTypeMap())) {
      if (!fixed.getType(type.name)) owned.add(type.name);
      const fixedType = fixed.getType(type.name);
      for (const name of Object.keys(fieldsOf(type))) {
        if (!fixedType || !fieldsOf(fixedType)[name]) owned.add(`${type.name}.${name}`);
      }
    }
  }
  return owned;
}

/**
 * Fields of `before` that `after` lacks or defines differently, and types it lacks or changes in
 * kind (or, for enums, scalars and unions, in content); `exempt` names types and `Type.field`s
 * that may change. Fields may be added anywhere.
 */
export function schemaChanges(before: GraphQLSchema, after: GraphQLSchema, exempt: ReadonlySet<string> = new Set()): string[] {
  const changes: string[] = [];
  for (const type of Object.values(before.getTypeMap())) {
    if (type.name.startsWith('__') || exempt.has(type.name)) continue;
    const replaced = after.getType(type.name);
    if (!replaced) {
      changes.push(`would remove type ${type.name}`);
      continue;
    }
    const hasFields = isObjectType(type) || isInterfaceType(type) || isInputObjectType(type);
    if (!hasFields || replaced.constructor !== type.constructor) {
      if (replaced.constructor !== type.constructor || printType(replaced) !== printType(type))
        changes.push(`would change type ${type.name}, which the API serves already`);
      continue;
    }
    const fields = fieldsOf(replaced);
    for (const [name, field] of Object.entries(fieldsOf(type))) {
      if (exempt.has(`${type.name}.${name}`)) continue;
      const now = fields[name];
      if (!now) changes.push(`would remove ${type.name}.${name}`);
      else if (fieldSignature(now) !== fieldSignature(field) && !resolvesRelation(field, now, exempt))
        changes.push(`would replace ${type.name}.${name} (${fieldSignature(field)} → ${fieldSignature(now)})`);
    }
  }
  return changes;
}

/**
 * The largest servable set, in a stable order: every subject that builds, validly, next to the
 * ones before it without changing them. Subjects left out are reported with the reason, so a bad
 * catalog entry never keeps the others (or the process) from being served.
 */
export function buildServedSchema(
  subjects: readonly SubjectEntry[],
  build: BuildSchema = buildApiSchema,
): {
  schema: GraphQLSchema;
  served: SubjectEntry[];
  refused: { subject: string; reason: string }[];
} {
  const sorted = [...subjects].sort((a, b) => a.subject.localeCompare(b.subject));
  try {
    const schema = build(sorted);
    // Fast path: everything together is valid and each subject's own part is intact.
    if (validateSchema(schema).length === 0 && sorted.every((entry) => schemaChanges(build([entry]), schema).length === 0)) {
      return { schema, served: sorted, refused: [] };
    }
  } catch {
    // fall through to one at a time
  }
  const served: SubjectEntry[] = [];
  const refused: { subject: string; reason: string }[] = [];
  let schema = build([]);
  for (const entry of sorted) {
    let next: GraphQLSchema;
    try {
      next = build([...served, entry]);
    } catch (error) {
      refused.push({ subject: entry.subject, reason: `its API schema cannot be built: ${(error as Error).message}` });
      continue;
    }
    // The entry's own types may appear (a relation to it turns from JSON into its type, when the
    // referring subject sorts before it); a name the served ones generate too is a collision.
    const own = new Set([...ownedBy(build, [entry])].filter((name) => !generates(schema, name)));
    const problems = [...validateSchema(next).map((e) => e.message), ...schemaChanges(schema, next, own)];
    if (problems.length > 0) {
      refused.push({ subject: entry.subject, reason: problems.join('; ') });
      continue;
    }
    served.push(entry);
    schema = next;
  }
  return { schema, served, refused };
}

/**
 * A relation to a subject that did not exist is served as JSON; once the subject exists it is
 * served as its type. That change is the relation working as declared, not a collision.
 */
function resolvesRelation(before: AnyField, after: AnyField, exempt: ReadonlySet<string>): boolean {
  return getNamedType(before.type).name === 'JSON' && exempt.has(getNamedType(after.type).name);
}

type AnyField = GraphQLField<unknown, unknown> | GraphQLInputField;

function fieldsOf(type: GraphQLNamedType): Record<string, AnyField> {
  return isObjectType(type) || isInterfaceType(type) || isInputObjectType(type) ? type.getFields() : {};
}

function fieldSignature(field: AnyField): string {
  const args = 'args' in field && field.args.length > 0 ? `(${field.args.map((arg) => `${arg.name}: ${String(arg.type)}`).join(', ')})` : '';
  return `${args}: ${String(field.type)}`;
}
