import { formatJsonPath, parseFieldPath, parseJsonPath, type PathSegment } from '../mapping/json-path';
import type { MappingSpec } from '../mapping/mapping-spec';
import { defaultsPlace } from '../mapping/spec-semantics';
import type { FieldModel } from './field-model';

/**
 * A spec's canonical paths (every `fieldMappings[].dst` and every `defaults` key) checked against
 * the fields its target subject serves (field-model.ts, what the GraphQL types are built from):
 * each member name must be a field of the object it steps into, and `[*]` must step into a list.
 * A field the subject does not have would otherwise be refused per record (a closed model: every
 * event dead-lettered) or stored and never served (an open model); a member of a String, or `[*]`
 * on an object, fails every record. Below a JSON field (no declared properties, several types, a
 * `$ref`) anything goes: the field is served whole. What a value's type must be is left to
 * validation (a transform decides it), so the last step is not typed here.
 */
export function targetFieldProblems(spec: MappingSpec, subject: string, fields: readonly FieldModel[]): string[] {
  return targetFieldIssues(spec, subject, fields).map((issue) => `${issue.at}: ${issue.problem}`);
}

/** One path of a spec that is not a field of its subject: where in the spec, and why. */
export interface TargetFieldIssue {
  /** `fieldMappings[1].dst`, `defaults.discount`, `defaults["a b"]`. */
  readonly at: string;
  /** `"$.remarks": subject "parcel" has no field "remarks" (its fields: ...)` (a dst is quoted first). */
  readonly problem: string;
}

/** targetFieldProblems, each with its place in the spec apart (to tell two versions of a subject apart). */
export function targetFieldIssues(spec: MappingSpec, subject: string, fields: readonly FieldModel[]): TargetFieldIssue[] {
  const issues: TargetFieldIssue[] = [];
  spec.fieldMappings.forEach((mapping, index) => {
    const parsed = parseJsonPath(mapping.dst);
    const problem = parsed.ok ? pathProblem(parsed.segments, subject, fields) : null;
    if (problem) issues.push({ at: `fieldMappings[${index}].dst`, problem: `"${mapping.dst}": ${problem}` });
  });
  for (const key of Object.keys(spec.defaults ?? {})) {
    const parsed = parseFieldPath(key);
    const problem = parsed.ok ? pathProblem(parsed.segments, subject, fields) : null;
    const where = defaultsPlace(key);
    if (problem) issues.push({ at: where, problem });
  }
  return issues;
}

type Node = FieldModel | { readonly kind: 'root'; readonly fields: readonly FieldModel[] };

function pathProblem(segments: readonly PathSegment[], subject: string, fields: readonly FieldModel[]): string | null {
  let node: Node = { kind: 'root', fields };
  for (let i = 0; i < segments.length; i += 1) {
    if (node.kind === 'scalar' && node.scalar === 'JSON') return null;
    const segment = segments[i]!;
    const at = i === 0 ? '' : formatJsonPath(segments.slice(0, i));
    if (segment.kind === 'name') {
      if (node.kind !== 'root' && node.kind !== 'object') return `${at} is ${kindOf(node)} in subject "${subject}", it has no field "${segment.name}"`;
      const found: FieldModel | undefined = node.fields.find((f) => f.jsonKey === segment.name);
      if (!found) {
        const names = node.fields.map((f) => f.jsonKey);
        const owner = node.kind === 'root' ? `subject "${subject}"` : `${at} of subject "${subject}"`;
        return `${owner} has no field "${segment.name}" (${names.length === 0 ? 'it has no fields' : `its fields: ${names.join(', ')}`})`;
      }
      node = found;
    } else {
      if (node.kind !== 'list') return `${at} is ${kindOf(node)} in subject "${subject}", not a list`;
      node = node.item;
    }
  }
  return null;
}

function kindOf(node: Node): string {
  switch (node.kind) {
    case 'scalar':
      return `${/^[AEIOU]/.test(node.scalar) ? 'an' : 'a'} ${node.scalar}`;
    case 'enum':
      return 'an enum';
    case 'list':
      return 'a list';
    default:
      return 'an object';
  }
}
