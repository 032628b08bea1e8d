/**
 * Values typed into the studio's text fields: a field's default (JSON when it parses, else the
 * text) and a transform's arguments (read by their declared type), and the text that gives each
 * value back.
 */
export type Parsed = { readonly has: false } | { readonly has: true; readonly value: unknown };

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A default typed as text: JSON when it parses (42, true, null, {"a":1}), else the text itself. */
export function parseValueText(text: string): Parsed {
  const trimmed = String(text).trim();
  if (trimmed === '') return { has: false };
  return { has: true, value: parsesAsJson(trimmed) ? (JSON.parse(trimmed) as unknown) : String(text) };
}

/** The text that parseValueText turns back into the value (strings that look like JSON get quotes). */
export function formatValueText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    if (parsesAsJson(value.trim())) return JSON.stringify(value);
    return value.trim() === '' ? JSON.stringify(value) : value;
  }
  return JSON.stringify(value);
}

/**
 * An argument typed as text, read by its declared type (mappingTransforms). What does not parse
 * is passed on as typed, so the server's validation names the problem.
 */
export function parseArgText(text: string, type: string): Parsed {
  const trimmed = String(text).trim();
  if (trimmed === '') return { has: false };
  if (type === 'string' || type === 'path') return { has: true, value: String(text) };
  if (type === 'number' || type === 'integer') {
    const n = Number(trimmed);
    return { has: true, value: Number.isFinite(n) && /^-?\d/.test(trimmed) ? n : trimmed };
  }
  if (type === 'boolean') return { has: true, value: trimmed === 'true' ? true : trimmed === 'false' ? false : trimmed };
  if (parsesAsJson(trimmed)) return { has: true, value: JSON.parse(trimmed) as unknown };
  if (type === 'paths')
    return {
      has: true,
      value: trimmed
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    };
  return { has: true, value: trimmed };
}

export function formatArgText(value: unknown, type: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    if (type === 'string' || type === 'path' || type === 'number' || type === 'integer' || type === 'boolean') return value;
    return parsesAsJson(value) ? JSON.stringify(value) : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
