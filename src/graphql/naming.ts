/**
 * GraphQL names derived from a subject, predictably: `order` → type `Order`, query `order`,
 * list `orders`, history `orderHistory`, subscription `orderChanged`. Subjects are identifiers
 * (checked when specs compile); a plural that would collide (a subject already ending in "s")
 * gets `List` instead.
 */
export interface SubjectNames {
  readonly type: string;
  readonly single: string;
  readonly list: string;
  readonly history: string;
  readonly changed: string;
  readonly aggregate: string;
}

export function subjectNames(subject: string): SubjectNames {
  const camel = subject.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  const single = camel.charAt(0).toLowerCase() + camel.slice(1);
  const type = camel.charAt(0).toUpperCase() + camel.slice(1);
  return {
    type,
    single,
    list: single.endsWith('s') ? `${single}List` : `${single}s`,
    history: `${single}History`,
    changed: `${single}Changed`,
    aggregate: `${single.endsWith('s') ? `${single}List` : `${single}s`}Aggregate`,
  };
}

/** A JSON property name as a GraphQL field name (`order-id` → `order_id`). */
export function fieldName(property: string): string {
  const cleaned = property.replace(/[^_0-9A-Za-z]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** A nested type name: `Order` + `customer` → `OrderCustomer`. */
export function nestedTypeName(parent: string, property: string): string {
  const part = fieldName(property).replace(/(^|_)([a-zA-Z0-9])/g, (_, __, c: string) => c.toUpperCase());
  return `${parent}${part}`;
}

/** An enum value as a GraphQL enum name (`gold` stays `gold`, `in progress` → `in_progress`). */
export function enumValueName(value: string): string {
  const name = fieldName(value);
  return ['true', 'false', 'null'].includes(name) ? `${name}_` : name;
}
