import { createSchemaCompiler } from '../../../src/catalog/canonical-schemas';
import { isAppError } from '../../../src/errors';
import { isInvalidChange, planChange, type ChangeIntent } from '../../../src/ingestion/plan-change';

/** A value valid for its schema but beyond the order keys' range is refused with its own code, never stored truncated. */
const schema = createSchemaCompiler().compile('account', {
  type: 'object',
  properties: {
    balance: { type: ['string', 'null'], 'x-canonql-type': 'Decimal' },
    at: { type: ['string', 'null'], format: 'date-time' },
    nested: { type: 'object', properties: { amount: { type: 'string', 'x-canonql-type': 'Decimal' } } },
  },
});

function codeOf(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    return isAppError(error) ? error.code : 'not an AppError';
  }
}

describe('values out of the store encoding', () => {
  it('accepts the widest values the keys hold', () => {
    expect(schema.validate({ balance: `${'9'.repeat(1000)}`, at: '9999-12-31T23:59:59.999999999Z', nested: { amount: '-0.000001' } })).toEqual([]);
  });

  it.each([
    ['a Decimal of 1,001 significant digits', { balance: `1${'1'.repeat(1000)}` }],
    ['a nested Decimal of 1,001 significant digits', { nested: { amount: `-0.${'3'.repeat(1001)}` } }],
    ['a DateTime with 10 fractional digits', { at: '2024-03-01T10:00:00.1234567891Z' }],
  ])('refuses %s with VALUE_OUT_OF_RANGE', (_name, document) => {
    expect(codeOf(() => schema.validate(document))).toBe('VALUE_OUT_OF_RANGE');
  });

  it('makes the change invalid (dead-lettered with VALUE_OUT_OF_RANGE, not retried)', () => {
    const intent: ChangeIntent = {
      kind: 'full',
      subject: 'account',
      key: 'a1',
      sourceId: 't',
      position: '1',
      spec: { id: 's', version: 1 },
      sourceTsMs: null,
      source: { topic: 't', partition: 0, offset: '0', position: '1', connector: 'postgresql', op: 'c', snapshot: false },
      data: { balance: `1${'0'.repeat(20)}${'7'.repeat(1000)}` },
      ownedFields: ['balance'],
    };
    let caught: unknown = null;
    try {
      planChange(intent, null, new Date(), (_subject, doc) => schema.validate(doc));
    } catch (error) {
      caught = error;
    }
    expect(isInvalidChange(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe('VALUE_OUT_OF_RANGE');
    expect((caught as Error).message).toContain('/balance');
  });
});
