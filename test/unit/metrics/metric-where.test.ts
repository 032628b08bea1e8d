import fs from 'node:fs';
import path from 'node:path';
import { isAppError } from '../../../src/errors';
import { modelObject } from '../../../src/catalog/field-model';
import { compileMetricWhere, compileSubjectMetricWhere } from '../../../src/graphql/metrics/metric-where';
import type { MetricDefinition } from '../../../src/metrics/metric-definition';

/** metric(where:) in the subject's filter language over the metric's dimensions (order-amount: region, product). */
const ORDER = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'schema', 'canonical', 'order.schema.json'), 'utf8')) as Record<
  string,
  unknown
>;
const METRIC = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'specs', 'metrics', 'order-amount.json'), 'utf8')) as MetricDefinition;
const PRICED: MetricDefinition = {
  ...METRIC,
  dimensions: [...METRIC.dimensions, { name: 'price', field: 'line_items[*].price' }, { name: 'day', field: 'created_at' }],
};
const buckets = [
  { region: 'eu-west', product: 'MUG', price: '12.50', day: '2024-03-01T10:00:00.000001Z' },
  { region: 'us-east', product: 'MUG', price: '9.00', day: '2024-03-01T12:00:00+02:00' },
  { region: null, product: 'CAP', price: '100', day: null },
];
const matching = (where: unknown, definition = PRICED) => {
  const matches = compileMetricWhere(where, definition, ORDER)!;
  return buckets.filter((b) => matches(b)).map((b) => b.product + (b.region ?? '-'));
};
const refusal = (where: unknown) => {
  try {
    compileMetricWhere(where, PRICED, ORDER);
    return null;
  } catch (error) {
    // AppError (the shorthand) or the filter language's GraphQLError: both coded.
    return { code: isAppError(error) ? error.code : (error as { extensions: { code: string } }).extensions.code, message: (error as Error).message };
  }
};

describe('metric where: the filter language over dimensions', () => {
  it("takes the list filters' operators and the value / list shorthand alike", () => {
    expect(matching({ region: { eq: 'eu-west' } })).toEqual(['MUGeu-west']);
    expect(matching({ region: 'eu-west' })).toEqual(['MUGeu-west']);
    expect(matching({ region: ['eu-west', 'us-east'] })).toEqual(['MUGeu-west', 'MUGus-east']);
    expect(matching({ region: { in: ['eu-west', 'us-east'] } })).toEqual(['MUGeu-west', 'MUGus-east']);
    expect(matching({ region: ['eu-west', null] })).toEqual(['MUGeu-west', 'CAP-']);
    expect(matching({ or: [{ region: 'us-east' }, { product: { contains: 'CA' } }] })).toEqual(['MUGus-east', 'CAP-']);
  });

  it('compares a dimension by the type of the field it reads: Decimal and DateTime by value', () => {
    expect(matching({ price: { gt: '9.5' } })).toEqual(['MUGeu-west', 'CAP-']);
    expect(matching({ price: { eq: '12.5' } })).toEqual(['MUGeu-west']);
    expect(matching({ price: { lte: '9' } })).toEqual(['MUGus-east']);
    expect(matching({ day: { eq: '2024-03-01T10:00:00Z' } })).toEqual(['MUGus-east']);
    expect(matching({ day: { gt: '2024-03-01T10:00:00Z' } })).toEqual(['MUGeu-west']);
  });

  it('tells a value from none with isNull (null and absent are one in a bucket)', () => {
    expect(matching({ region: { isNull: true } })).toEqual(['CAP-']);
    expect(matching({ region: null })).toEqual(['CAP-']);
    expect(matching({ region: { isNull: false } })).toEqual(['MUGeu-west', 'MUGus-east']);
    expect(matching({ region: { ne: 'eu-west' } })).toEqual(['MUGus-east', 'CAP-']);
  });

  it.each([
    [{ region: { exists: true } }, /where\.region\.exists: .*use isNull/],
    [{ colour: 'red' }, /where\.colour: unknown filter field "colour" \(fields: region, product, price, day\)/],
    [{ region: { $gt: '' } }, /where\.region\.\$gt: unknown operator/],
    [{ price: { gt: '12,50' } }, /where\.price\.gt: "12,50" is not a Decimal/],
    [{ day: 'yesterday' }, /where\.day\.eq: "yesterday" is not a DateTime/],
    [{ region: 5 }, /where\.region\.eq: 5 is not a String/],
    [{ region: [['eu-west']] }, /where\.region: a list of values takes values only/],
    [['eu-west'], /where must be an object/],
  ])('refuses %j with BAD_USER_INPUT naming it', (where, message) => {
    expect(refusal(where)).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) });
  });
});

describe("<plural>Metric(where:): the subject's typed where over the fields the dimensions read", () => {
  const fields = modelObject(ORDER);
  /** Dimensions on a top-level field, a nested one and a DateTime, plus a per-element one (not filterable by the subject's where). */
  const DEFINITION: MetricDefinition = {
    ...METRIC,
    dimensions: [
      { name: 'region', field: 'region' },
      { name: 'email', field: 'customer.email' },
      { name: 'day', field: 'created_at' },
      { name: 'product', field: 'line_items[*].sku' },
    ],
  };
  const rows = [
    { region: 'eu-west', email: 'a@example.com', day: '2024-03-01T10:00:00.000001Z', product: 'MUG' },
    { region: 'us-east', email: 'b@example.com', day: '2024-03-01T12:00:00+02:00', product: 'MUG' },
    { region: null, email: null, day: null, product: 'CAP' },
  ];
  const matching = (where: Record<string, unknown>) => {
    const matches = compileSubjectMetricWhere(where, DEFINITION, fields)!;
    return rows.filter((r) => matches(r)).map((r) => r.region ?? '-');
  };
  const refusal = (where: Record<string, unknown>) => {
    try {
      compileSubjectMetricWhere(where, DEFINITION, fields);
      return null;
    } catch (error) {
      const coded = error as { code?: string; extensions?: { code?: string }; details?: unknown };
      return { code: isAppError(error) ? error.code : coded.extensions?.code, message: (error as Error).message };
    }
  };

  it('matches buckets by the dimension values, the fields named as the subject names them (nested too), compared by value', () => {
    expect(compileSubjectMetricWhere(null, DEFINITION, fields)).toBeNull();
    expect(matching({ region: { eq: 'eu-west' } })).toEqual(['eu-west']);
    expect(matching({ customer: { email: { in: ['b@example.com'] } } })).toEqual(['us-east']);
    expect(matching({ created_at: { eq: '2024-03-01T10:00:00Z' } })).toEqual(['us-east']);
    expect(matching({ created_at: { gt: '2024-03-01T10:00:00Z' } })).toEqual(['eu-west']);
    expect(matching({ or: [{ region: { isNull: true } }, { customer: { email: { contains: 'a@' } } }] })).toEqual(['eu-west', '-']);
    expect(matching({ region: { ne: 'eu-west' } })).toEqual(['us-east', '-']);
  });

  it.each([
    [
      { currency: { eq: 'EUR' } },
      /where\.currency: metric "order-amount" has no dimension of that field \(its dimensions read region, customer\.email, created_at\)/,
    ],
    [{ id: { eq: 'o1' } }, /where\.id: metric "order-amount" has no dimension of that field/],
    [{ region: { exists: true } }, /where\.region\.exists: .*use isNull/],
    [{ created_at: { gt: 'yesterday' } }, /where\.created_at\.gt: "yesterday" is not a DateTime/],
    [{ colour: { eq: 'red' } }, /where\.colour: unknown filter field "colour"/],
  ])('refuses %j with BAD_USER_INPUT naming it', (where, message) => {
    expect(refusal(where)).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) });
  });
});
