import {
  isObjectType, isInterfaceType, isInputObjectType, printType, validateSchema, type GraphQLField, type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { buildApiSchema, type SubjectEntry } from './build-api-schema';

/**
 * Which subjects the API can serve together. Subject names become GraphQL names (`order_customer`
 * → type `OrderCustomer`, `orders` → query `orderses`... see naming.ts), so a new subject can
 * collide with a type or field another subject or the fixed API generates. A subject is servable
 * next to others when the schema with it is valid and every type and root field the others (and
 * the fixed part) had is still there, unchanged.
 */
export type BuildSchema = (subjects: readonly SubjectEntry[]) => GraphQLSchema;

/** What adding `candidate` to `others` would break; empty when nothing. */
export function candidateProblems(others: readonly SubjectEntry[], candidate: SubjectEntry, build: BuildSchema = buildApiSchema): string[] {
  // Judged against what is served today (others that do not build together are left out there too).
  const { schema: before, served } = buildServedSchema(others, build);
  let after: GraphQLSchema;
  try {
    after = build([...served, candidate]);
  } catch (error) {
    return [`subject ${candidate.subject}: the API schema with it cannot be built: ${(error as Error).message}`];
  }
  const invalid = validateSchema(after);
  if (invalid.length > 0) return invalid.map((e) => `subject ${candidate.subject}: the API schema with it is invalid: ${e.message}`);
  return schemaChanges(before, after).map((change) => `subject ${candidate.subject}: ${change}`);
}

/**
 * Types and root fields of `before` that `after` lacks or defines differently. Root types may gain
 * fields (a new subject's queries); every other type must be identical.
 */
export function schemaChanges(before: GraphQLSchema, after: GraphQLSchema): string[] {
  const changes: string[] = [];
  const roots = new Set([before.getQueryType()?.name, before.getMutationType()?.name, before.getSubscriptionType()?.name].filter(Boolean));
  for (const type of Object.values(before.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const replaced = after.getType(type.name);
    if (!replaced) {
      changes.push(`would remove type ${type.name}`);
    } else if (roots.has(type.name)) {
      const fields = fieldsOf(replaced);
      for (const [name, field] of Object.entries(fieldsOf(type))) {
        if (!fields[name]) changes.push(`would remove ${type.name}.${name}`);
        else if (fieldSignature(fields[name]) !== fieldSignature(field)) changes.push(`would replace ${type.name}.${name} (${fieldSignature(field)} → ${fieldSignature(fields[name])})`);
      }
    } else if (printType(replaced) !== printType(type)) {
      changes.push(`would change type ${type.name}, which the API serves already`);
    }
  }
  return changes;
}

/**
 * The largest servable set, in a stable order: every subject that builds, validly, next to the
 * ones before it without changing them. Subjects left out are reported with the reason, so a bad
 * catalog entry never keeps the others (or the process) from being served.
 */
export function buildServedSchema(subjects: readonly SubjectEntry[], build: BuildSchema = buildApiSchema): {
  schema: GraphQLSchema; served: SubjectEntry[]; refused: { subject: string; reason: string }[];
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
    const problems = [...validateSchema(next).map((e) => e.message), ...schemaChanges(schema, next)];
    if (problems.length > 0) {
      refused.push({ subject: entry.subject, reason: problems.join('; ') });
      continue;
    }
    served.push(entry);
    schema = next;
  }
  return { schema, served, refused };
}

function fieldsOf(type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : isInputObjectType(type) ? {} : {};
}

function fieldSignature(field: GraphQLField<unknown, unknown>): string {
  return `${field.args.map((arg) => `${arg.name}: ${String(arg.type)}`).join(', ').replace(/^(.+)$/, '($1)')}: ${String(field.type)}`;
}
