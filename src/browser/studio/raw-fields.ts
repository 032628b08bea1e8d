import { parseFieldPath } from '../../mapping/json-path';
import { isObject, type JsonObject } from './json-value';
import { normalizePath, rowIsUsed, type Row } from './model';

/**
 * What a raw topic's inferred fields (discovery) suggest to the studio: their type shares, a
 * first canonical schema drafted from them, and the sources of rows nothing maps yet.
 */
/** A raw field as discovery infers it (the parts the model reads). */
export interface RawFieldInput {
  readonly path: string;
  readonly typeSet?: readonly string[];
  readonly presence?: number;
  readonly nullRate?: number;
  readonly current?: boolean;
  readonly formats?: readonly { readonly format: string; readonly count?: number }[];
}

/** "number 60% · string 40%" from a field's type counts. */
export function typeShares(types: Readonly<Record<string, number | null | undefined>> | null | undefined): { type: string; share: number }[] {
  const counts = Object.entries(types ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0);
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  if (!total) return [];
  return counts.sort(([a, na], [b, nb]) => nb - na || (a < b ? -1 : 1)).map(([type, n]) => ({ type, share: n / total }));
}

export function percent(share: number): string {
  const p = Math.round(share * 1000) / 10;
  return `${p % 1 === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/**
 * A first canonical JSON Schema drafted from a raw topic's inferred fields (current ones), to
 * edit before registering: leaf fields only, integer+number as number, null allowed when the
 * field was ever null or absent, date-time strings with their format. An open model.
 */
export function draftSchema(rawFields: readonly RawFieldInput[], title?: string): JsonObject {
  const current = rawFields.filter((f) => f.current !== false);
  const paths = current.map((f) => normalizePath(f.path));
  const rootSchema: JsonObject = { $schema: 'https://json-schema.org/draft/2020-12/schema', title: title || 'Draft', type: 'object', properties: {} };
  for (const field of current) {
    const path = normalizePath(field.path);
    if (path === '' || path.startsWith('_')) continue;
    const container = paths.some((p) => p !== path && (p.startsWith(`${path}.`) || p.startsWith(`${path}[*]`)));
    if (container) continue;
    const parsed = parseFieldPath(path);
    if (!parsed.ok) continue;
    let node = rootSchema;
    parsed.segments.forEach((segment, i) => {
      if (segment.kind === 'name') {
        if (node.type !== 'object') node.type = 'object';
        const properties: JsonObject = isObject(node.properties) ? node.properties : (node.properties = {});
        const child: JsonObject = isObject(properties[segment.name]) ? (properties[segment.name] as JsonObject) : (properties[segment.name] = {});
        node = child;
      } else {
        node.type = 'array';
        const items: JsonObject = isObject(node.items) ? node.items : (node.items = {});
        node = items;
      }
      if (i < parsed.segments.length - 1) return;
      const types = (field.typeSet ?? []).filter((t) => t !== 'null' && t !== 'object' && t !== 'array');
      if (types.includes('integer') && types.includes('number')) types.splice(types.indexOf('integer'), 1);
      if (types.length === 0) types.push('string');
      const nullable = (field.nullRate ?? 0) > 0 || (field.presence !== undefined && field.presence < 1);
      if (nullable) types.push('null');
      node.type = types.length === 1 ? types[0] : types;
      const formats = field.formats ?? [];
      if (formats.length === 1 && formats[0]!.format === 'date-time') node.format = 'date-time';
    });
  }
  return rootSchema;
}

/** A field name compared loosely: case, `_` and `-` ignored (`customerEmail` ~ `customer_email`). */
function looseKey(path: string): string {
  return normalizePath(path).toLowerCase().replace(/[_-]/g, '');
}

/**
 * Fills the source of each row nothing writes yet with the raw field of the same name: the same
 * path first, else the one path that matches when case, `_` and `-` are ignored
 * (`$.customerEmail` ← `$.customer_email`). A row keeps its emptiness when no raw field or more
 * than one matches; containers (objects, arrays) are never sources. Returns the rows it filled.
 */
export function autoMap(rows: readonly Row[], rawFields: readonly RawFieldInput[]): Row[] {
  const leaves = rawFields.filter((f) => f.current !== false && (f.typeSet ?? []).some((t) => t !== 'object' && t !== 'array'));
  const filled: Row[] = [];
  for (const row of rows) {
    if (rowIsUsed(row) || row.template !== null || !row.dst) continue;
    const exact = leaves.filter((f) => normalizePath(f.path) === normalizePath(row.dst));
    const loose = exact.length ? exact : leaves.filter((f) => looseKey(f.path) === looseKey(row.dst));
    if (loose.length !== 1) continue;
    row.src = loose[0]!.path;
    filled.push(row);
  }
  return filled;
}
