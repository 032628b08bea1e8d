import { modelObject } from '../../../src/catalog/field-model';
import { defaultValueIssues, typedDefaultProblems } from '../../../src/catalog/typed-defaults';

const fields = modelObject({
  type: 'object',
  properties: {
    amount: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
    placed: { type: 'object', properties: { at: { type: 'string', format: 'date-time' } } },
    qty: { type: 'integer' },
    ratio: { type: 'number' },
    note: { type: 'string' },
    items: { type: 'array', items: { type: 'object', properties: { price: { type: 'string', 'x-canonql-type': 'Decimal' } } } },
  },
});

describe("a spec's defaults against the target subject's typed fields", () => {
  it('accepts values of each type at full precision, null, and paths it does not type', () => {
    expect(
      typedDefaultProblems(
        {
          amount: '-1234.50',
          'placed.at': '2024-03-01T10:00:00.123456789+02:00',
          qty: 3,
          ratio: 0.5,
          note: 'x',
          '$.placed.at': '2024-03-01T10:00:00Z',
          unknown: 'x',
        },
        fields,
      ),
    ).toEqual([]);
    expect(typedDefaultProblems({ amount: null }, fields)).toEqual([]);
  });

  it.each([
    [{ amount: '12,50' }, 'defaults.amount: "12,50" is not a Decimal'],
    [{ amount: 12.5 }, 'defaults.amount: 12.5 is not a Decimal'],
    [{ amount: `1e${'0'.repeat(5)}` }, 'defaults.amount: "1e00000" is not a Decimal'],
    [{ 'placed.at': 'yesterday' }, 'defaults["placed.at"]: "yesterday" is not a DateTime'],
    [{ 'placed.at': '2024-03-01T10:00:00.1234567891Z' }, 'defaults["placed.at"]: "2024-03-01T10:00:00.1234567891Z" is not a DateTime'],
    [{ qty: 1.5 }, 'defaults.qty: 1.5 is not an Int'],
    [{ ratio: '0.5' }, 'defaults.ratio: "0.5" is not a Float'],
  ])('refuses %j, naming the default and the value', (defaults, problem) => {
    expect(typedDefaultProblems(defaults, fields)).toEqual([expect.stringContaining(problem)]);
  });
});

describe("defaultValueIssues: a spec's defaults against its subject's schema, as a record relying on them is validated", () => {
  const schema = {
    type: 'object',
    $defs: { code: { type: 'string', pattern: '^[A-Z]{3}$' } },
    properties: {
      status: { type: 'string', enum: ['open', 'closed'] },
      level: { type: 'integer', maximum: 3 },
      note: { type: ['string', 'null'] },
      label: { type: 'string' },
      currency: { $ref: '#/$defs/code' },
      customer: {
        type: 'object',
        properties: { tier: { type: 'string', minLength: 2 }, address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        required: ['tier'],
      },
      qty: { type: 'integer' },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['status'],
    additionalProperties: false,
  };

  it('accepts values the fields accept, null for a nullable field, and leaves paths that are no field or go through a list to other checks', () => {
    const defaults = {
      status: 'open',
      level: 3,
      note: null,
      currency: 'EUR',
      'customer.tier': 'gold',
      '$.customer.address': { city: 'Lyon' },
      unknown: 'x',
      'label.text': 'x',
      'tags[*]': 1,
    };
    expect(defaultValueIssues(defaults, 'parcel', schema)).toEqual([]);
  });

  it.each([
    [{ status: 'active' }, 'defaults.status: "active" is not a value of subject "parcel" (/status: must be equal to one of the allowed values)'],
    [{ level: 5 }, 'defaults.level: 5 is not a value of subject "parcel" (/level: must be <= 3)'],
    [{ label: 5 }, 'defaults.label: 5 is not a value of subject "parcel" (/label: must be string)'],
    [{ label: null }, 'defaults.label: null is not a value of subject "parcel" (/label: must be string)'],
    [{ currency: 'eur' }, 'defaults.currency: "eur" is not a value of subject "parcel" (/currency: must match pattern "^[A-Z]{3}$")'],
    [{ 'customer.tier': 'x' }, 'defaults["customer.tier"]: "x" is not a value of subject "parcel" (/customer/tier: must NOT have fewer than 2 characters)'],
    [
      { '$.customer.address': {} },
      'defaults["$.customer.address"]: {} is not a value of subject "parcel" (/customer/address: must have required property \'city\')',
    ],
    // A typed field is named once, by the typed check.
    [{ qty: 1.5 }, 'defaults.qty: 1.5 is not an Int (a JSON number without a fraction)'],
  ])('refuses %j, naming the default, the value and why', (defaults, problem) => {
    expect(defaultValueIssues(defaults, 'parcel', schema).map((issue) => `${issue.at}: ${issue.problem}`)).toEqual([problem]);
  });

  it('checks nothing but the typed fields against a schema that does not compile', () => {
    const broken = { type: 'object', properties: { qty: { type: 'integer' }, code: { type: 'string', pattern: '(' } } };
    expect(defaultValueIssues({ qty: 'x', code: 5 }, 'parcel', broken).map((issue) => issue.at)).toEqual(['defaults.qty']);
  });
});
