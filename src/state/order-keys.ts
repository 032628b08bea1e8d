import { dateTimeKey, numberKey } from '../values/order-key';

/**
 * The order keys of a canonical document, stored under `_k` beside `data` (same shape, object
 * fields only: list elements are not filterable): every number, decimal text or DateTime leaf
 * gets its key (values/order-key.ts). Keys depend on the value alone, not on the subject's
 * schema, so a schema change never leaves stale keys; a reader uses `_k.<path>` for fields the
 * schema types Decimal, Int, Float or DateTime, and `data.<path>` for the others.
 */
export type OrderKeys = { [field: string]: string | OrderKeys };

export function orderKeysOf(data: Record<string, unknown>): OrderKeys {
  const keys: OrderKeys = {};
  for (const [field, value] of Object.entries(data)) {
    const key = leafKey(value);
    if (key !== null) keys[field] = key;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      const nested = orderKeysOf(value as Record<string, unknown>);
      if (Object.keys(nested).length > 0) keys[field] = nested;
    }
  }
  return keys;
}

/** The key of one leaf value, whichever of number or DateTime it is; null when it has none. */
export function leafKey(value: unknown): string | null {
  if (typeof value === 'number' || typeof value === 'bigint') return numberKey(value);
  if (value instanceof Date) return dateTimeKey(value);
  if (typeof value !== 'string' || value.length === 0) return null;
  const first = value.charCodeAt(0);
  // Cheap pre-check before the regular expressions: numbers and dates start with a digit, a sign or a point.
  if (!(first >= 48 && first <= 57) && value[0] !== '-' && value[0] !== '+' && value[0] !== '.') return null;
  return numberKey(value) ?? dateTimeKey(value);
}
