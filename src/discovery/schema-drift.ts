import { parseJsonPath } from '../mapping/json-path';
import type { FieldStats, MergedProfile } from './profile-merge';
import { childPath } from './topic-profile';
import { VALUE_KINDS, type ValueKind } from './value-kind';

/**
 * The shape of a raw topic (its fields and their type sets), how two shapes differ, and the JSON
 * Schema inferred from the merged statistics.
 *
 * Drift rule: a new raw schema version is recorded when the current shape differs from the
 * latest recorded one:
 * - added: a field with at least one value that the latest version does not have;
 * - typeChanged: a field whose set of observed types (all time) differs, e.g. integer → integer,
 *   string or a first null;
 * - removed: a field of the latest version that none of the last `removalWindow` profiled full
 *   images of the topic carried (across all processes: its last sighting, image or patch, is
 *   older than the window's oldest image). Until the topic has that many images, nothing is
 *   removed. A removed field that comes back is added again.
 */
export interface FieldShape {
  readonly path: string;
  readonly types: readonly ValueKind[];
}

export interface TypeChange {
  readonly path: string;
  readonly from: readonly ValueKind[];
  readonly to: readonly ValueKind[];
}

export interface SchemaChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly typeChanged: readonly TypeChange[];
}

/** True when the field was not seen in any of the last `removalWindow` images of the topic. */
export function isRemoved(field: FieldStats, profile: MergedProfile, removalWindow: number): boolean {
  if (profile.recentImageStamps.length < removalWindow || removalWindow <= 0) return false;
  const windowStart = profile.recentImageStamps[removalWindow - 1]!;
  return field.lastSeen < windowStart;
}

export function typesOf(field: FieldStats): ValueKind[] {
  return VALUE_KINDS.filter((kind) => field.types[kind] > 0);
}

/** The current shape: every field with a value that is not removed, sorted by path. */
export function currentShape(profile: MergedProfile, removalWindow: number): FieldShape[] {
  return profile.fields
    .filter((field) => field.values > 0 && !isRemoved(field, profile, removalWindow))
    .map((field) => ({ path: field.path, types: typesOf(field) }));
}

export function diffShapes(previous: readonly FieldShape[], next: readonly FieldShape[]): SchemaChanges {
  const before = new Map(previous.map((f) => [f.path, f.types]));
  const after = new Map(next.map((f) => [f.path, f.types]));
  const added = next.filter((f) => !before.has(f.path)).map((f) => f.path);
  const removed = previous.filter((f) => !after.has(f.path)).map((f) => f.path);
  const typeChanged: TypeChange[] = [];
  for (const field of next) {
    const from = before.get(field.path);
    if (from && from.join(',') !== field.types.join(',')) typeChanged.push({ path: field.path, from, to: field.types });
  }
  return { added, removed, typeChanged };
}

export function hasChanges(changes: SchemaChanges): boolean {
  return changes.added.length + changes.removed.length + changes.typeChanged.length > 0;
}

type SchemaNode = Record<string, unknown> & { properties?: Record<string, SchemaNode>; items?: SchemaNode; required?: string[] };

/**
 * A JSON Schema (2020-12) of the row images for the fields of `shape`: nested objects and
 * arrays, the types seen (integer and number together become number), a `format` when every
 * string value had the same standard one, and `required` for members present wherever their
 * parent object was (not inside arrays, where presence is counted per record, not per element).
 * Objects stay open (no `additionalProperties: false`): a sample never proves a field cannot occur.
 */
export function inferJsonSchema(topic: string, shape: readonly FieldShape[], profile: MergedProfile): Record<string, unknown> {
  const stats = new Map(profile.fields.map((f) => [f.path, f]));
  const root: SchemaNode = { $schema: 'https://json-schema.org/draft/2020-12/schema', title: topic, type: 'object', properties: {} };
  for (const field of shape) {
    const parsed = parseJsonPath(field.path);
    if (!parsed.ok || parsed.segments.length === 0) continue;
    let node = root;
    let parentPresent = profile.images;
    let insideArray = false;
    let prefix = '$';
    parsed.segments.forEach((segment, i) => {
      const last = i === parsed.segments.length - 1;
      if (segment.kind === 'wildcard') {
        node.items ??= {};
        node = node.items;
        insideArray = true;
        prefix += '[*]';
        if (last) Object.assign(node, typeKeywords(field, stats.get(field.path)));
        return;
      }
      if (segment.kind !== 'name') return;
      node.properties ??= {};
      const child = (node.properties[segment.name] ??= {});
      prefix = childPath(prefix, segment.name);
      const own = stats.get(prefix);
      if (!insideArray && own && parentPresent > 0 && own.present === parentPresent) {
        node.required = [...new Set([...(node.required ?? []), segment.name])].sort();
      }
      if (own) parentPresent = own.present;
      node = child;
      if (last) Object.assign(node, typeKeywords(field, stats.get(field.path)));
    });
  }
  return root;
}

function typeKeywords(field: FieldShape, stats: FieldStats | undefined): Record<string, unknown> {
  let types: string[] = [...field.types];
  if (types.includes('integer') && types.includes('number')) types = types.filter((t) => t !== 'integer');
  const keywords: Record<string, unknown> = { type: types.length === 1 ? types[0] : types };
  if (stats && field.types.includes('string')) {
    const formats = Object.entries(stats.formats).filter(([, count]) => count > 0);
    if (formats.length === 1 && formats[0]![1] === stats.types.string && formats[0]![0] !== 'decimal') keywords.format = formats[0]![0];
  }
  return keywords;
}
