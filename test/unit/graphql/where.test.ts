import { modelObject } from '../../../src/graphql/subject/field-model';
import { afterCursor, decodeCursor, encodeCursor, whereToMongo } from '../../../src/graphql/subject/list-query';
import { matchesWhere } from '../../../src/graphql/subject/where-matcher';

const fields = modelObject({
  type: 'object',
  properties: {
    status: { type: 'string' },
    total: { type: 'number' },
    customer: { type: 'object', properties: { email: { type: 'string' } } },
  },
});

describe('where: store filter and in-memory matcher agree', () => {
  const where = { or: [{ status: { eq: 'paid' } }, { total: { gte: 100 } }], customer: { email: { exists: true } } };

  it('translates to a MongoDB filter on data.*', () => {
    expect(whereToMongo(where, fields)).toEqual({
      $and: [
        { $or: [{ 'data.status': { $eq: 'paid' } }, { 'data.total': { $gte: 100 } }] },
        { 'data.customer.email': { $ne: null } },
      ],
    });
  });

  it.each([
    [{ status: 'paid', customer: { email: 'x' } }, true],
    [{ status: 'new', total: 150, customer: { email: 'x' } }, true],
    [{ status: 'new', total: 50, customer: { email: 'x' } }, false],
    [{ status: 'paid', customer: {} }, false],
    [{ status: 'paid' }, false],
  ])('matches %j: %s', (data, expected) => {
    expect(matchesWhere(where, fields, data)).toBe(expected);
  });

  it('round-trips cursors and continues after ties by id', () => {
    const cursor = decodeCursor(encodeCursor('paid', 'k7'));
    expect(cursor).toEqual({ value: 'paid', id: 'k7' });
    expect(afterCursor({ path: 'data.status', direction: 1 }, cursor)).toEqual({
      $or: [{ 'data.status': { $gt: 'paid' } }, { 'data.status': 'paid', _id: { $gt: 'k7' } }],
    });
  });
});
