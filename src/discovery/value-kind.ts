/**
 * The JSON type of a decoded source value, and the string formats discovery recognises. These
 * run once per field per profiled record, so every check starts with a cheap character test and
 * only then runs a regular expression.
 */
export const VALUE_KINDS = ['string', 'integer', 'number', 'boolean', 'null', 'object', 'array'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/** `integer` for whole numbers (and BigInt), `number` for the others, as in JSON Schema. */
export function kindOf(value: unknown): ValueKind | null {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'bigint':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? 'array' : 'object';
    default:
      // undefined, functions, symbols: not JSON, not profiled.
      return null;
  }
}

export const STRING_FORMATS = ['date-time', 'date', 'time', 'email', 'uuid', 'uri', 'ipv4', 'decimal'] as const;
export type StringFormat = (typeof STRING_FORMATS)[number];

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s]+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * The format of a string, or null. `date-time` needs an offset (RFC 3339, what Debezium's ISO
 * temporal types produce); `decimal` is a numeric string (how Debezium and canonql carry exact
 * decimals), not a JSON Schema format.
 */
export function formatOf(text: string): StringFormat | null {
  const n = text.length;
  if (n === 0 || n > 512) return null;
  const first = text.charCodeAt(0);
  const isDigit = first >= 48 && first <= 57;
  if (n === 36 && text.charCodeAt(8) === 45 && UUID.test(text)) return 'uuid';
  if (isDigit && n >= 10 && text.charCodeAt(4) === 45) {
    if (n === 10) return DATE.test(text) && !Number.isNaN(Date.parse(text)) ? 'date' : null;
    return DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)) ? 'date-time' : null;
  }
  if (isDigit && n >= 8 && text.charCodeAt(2) === 58) return TIME.test(text) ? 'time' : null;
  if (isDigit || first === 45) {
    if (DECIMAL.test(text)) return 'decimal';
    return n <= 15 && IPV4.test(text) ? 'ipv4' : null;
  }
  if (text.includes('@')) return EMAIL.test(text) ? 'email' : null;
  if (text.includes('://')) return URI.test(text) ? 'uri' : null;
  return null;
}

/** Epoch milliseconds of a `date-time` or `date` string (the only formats with a min/max). */
export function instantOf(text: string, format: StringFormat | null): number | null {
  if (format !== 'date-time' && format !== 'date') return null;
  const ms = Date.parse(format === 'date' ? `${text}T00:00:00Z` : text);
  return Number.isNaN(ms) ? null : ms;
}
