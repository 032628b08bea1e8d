import { modelObject, relationLookups } from '../../../src/catalog/field-model';

describe('relationLookups: the fields relations look entities up by', () => {
  it('finds relations at any depth, inside objects and list items; a relation by id needs no index', () => {
    const fields = modelObject({
      properties: {
        customer: {
          type: 'object',
          properties: { email: { type: 'string', 'x-canonql-ref': { subject: 'customer', by: 'email', as: 'account' } } },
        },
        line_items: {
          type: 'array',
          items: { type: 'object', properties: { sku: { type: 'string', 'x-canonql-ref': { subject: 'product', by: 'sku', as: 'product' } } } },
        },
        tags: { type: 'array', items: { type: 'string', 'x-canonql-ref': { subject: 'tag', by: 'name', as: 'tag' } } },
        warehouse_id: { type: 'integer', 'x-canonql-ref': { subject: 'warehouse', as: 'warehouse' } },
        seller_id: { type: 'string', 'x-canonql-ref': { subject: 'seller', by: 'id', as: 'seller' } },
        note: { type: 'string' },
      },
    });
    expect(relationLookups(fields)).toEqual([
      { subject: 'customer', by: 'email', as: 'account' },
      { subject: 'product', by: 'sku', as: 'product' },
      { subject: 'tag', by: 'name', as: 'tag' },
    ]);
  });
});
