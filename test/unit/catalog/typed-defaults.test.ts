import { modelObject } from '../../../src/catalog/field-model';
import { typedDefaultProblems } from '../../../src/catalog/typed-defaults';

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
