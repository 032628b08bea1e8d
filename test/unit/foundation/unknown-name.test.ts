import { AppError, didYouMean, unknownName, unknownVersion } from '../../../src/errors';

describe('unknown names', () => {
  it('suggests the nearest known name within two edits, or a name the typed one begins or ends', () => {
    expect(didYouMean('oder', ['customer', 'order'])).toBe(' (did you mean "order"?)');
    expect(didYouMean('Order', ['order'])).toBe(' (did you mean "order"?)');
    expect(didYouMean('lower', ['lowercase', 'uppercase'])).toBe(' (did you mean "lowercase"?)');
    expect(didYouMean('order-amounts-by-day', ['order-amount'])).toBe(' (did you mean "order-amount"?)');
    expect(didYouMean('shipment', ['customer', 'order'])).toBe('');
    expect(didYouMean('x', [])).toBe('');
  });

  it('is a NOT_FOUND naming the name, a near miss and what is known', () => {
    const error = unknownName('subject', 'name', 'oder', ['order', 'customer']);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'unknown subject "oder" (did you mean "order"?)' });
    expect(error.details).toEqual(['name: no subject is named "oder"; known: customer, order']);
    expect(unknownName('metric', 'name', 'm', []).details).toEqual(['name: no metric is named "m"; none is known']);
  });

  it('lists at most twenty known names, and says how many more', () => {
    const known = Array.from({ length: 25 }, (_, i) => `topic.${String(i).padStart(2, '0')}`);
    const listed = Array.from({ length: 20 }, (_, i) => `topic.${String(i).padStart(2, '0')}`).join(', ');
    expect(unknownName('raw topic', 'topic', 'x', known).details).toEqual([`topic: no raw topic is named "x"; known: ${listed} and 5 more`]);
  });

  it('names the versions a known name has', () => {
    const error = unknownVersion('subject "order"', 9, [{ version: 1 }, { version: 2 }]);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'subject "order" has no version 9', details: ['version: subject "order" has versions 1, 2'] });
  });
});
