import { subjectNoun } from '../catalog/subject-name';

/**
 * GraphQL names derived from a subject through its noun (src/catalog/subject-name.ts: one
 * inflection rule, the `pluralize` library's): `order` or `orders` → type `Order`, one entity
 * `order`, list `orders`, history `orderHistory`, subscription `orderChanged`, aggregate
 * `ordersAggregate`, metrics `ordersMetric` and `ordersMetricUpdated`; `ux_demo_orders` → `UxDemoOrder`, `uxDemoOrder`, `uxDemoOrders`. A noun
 * without a distinct plural (`equipment`) lists as `equipmentList`.
 */
export interface SubjectNames {
  readonly type: string;
  readonly single: string;
  readonly list: string;
  readonly history: string;
  readonly changed: string;
  readonly aggregate: string;
  /** The subject's metrics, queried and followed with its typed `where` (graphql/metrics/subject-metric-fields.ts). */
  readonly metric: string;
  readonly metricUpdated: string;
}

export function subjectNames(subject: string): SubjectNames {
  const noun = subjectNoun(subject);
  const single = camelCase(noun.one);
  const list = noun.many === null ? `${single}List` : camelCase(noun.many);
  return {
    type: single.charAt(0).toUpperCase() + single.slice(1),
    single,
    list,
    history: `${single}History`,
    changed: `${single}Changed`,
    aggregate: `${list}Aggregate`,
    metric: `${list}Metric`,
    metricUpdated: `${list}MetricUpdated`,
  };
}

function camelCase(name: string): string {
  const camel = name.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel.charAt(0).toLowerCase() + camel.slice(1);
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
