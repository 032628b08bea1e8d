import { modelObject } from '../../../src/catalog/field-model';
import { afterCursor, decodeCursor, encodeCursor, mongoSort, orderKeyIndexFields, sortOf, whereToMongo } from '../../../src/graphql/subject/list-query';
import { MAX_CONTAINS_LENGTH, MAX_IN_VALUES, MAX_WHERE_NESTING } from '../../../src/graphql/subject/where-filter';
import { matchesWhere } from '../../../src/graphql/subject/where-matcher';
import { encodeOpaqueCursor } from '../../../src/infra/opaque-cursor';
import { numberKey } from '../../../src/values/order-key';

const fields = modelObject({
  type: 'object',
  properties: {
    status: { type: 'string' },
    total: { type: 'number' },
    amount: { type: 'string', 'x-canonql-type': 'Decimal' },
    customer: { type: 'object', properties: { email: { type: 'string' } } },
  },
});

describe('where: store filter and in-memory matcher agree', () => {
  const where = { or: [{ status: { eq: 'paid' } }, { total: { gte: 100 } }], customer: { email: { isNull: false } } };

  it('translates to a MongoDB filter on data.* and on the order keys _k.*', () => {
    expect(whereToMongo(where, fields)).toEqual({
      $and: [{ $or: [{ 'data.status': { $eq: 'paid' } }, { '_k.total': { $gte: numberKey(100) } }] }, { 'data.customer.email': { $ne: null } }],
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

  it('tells an absent field (exists: false) from a null one (isNull: true)', () => {
    expect(matchesWhere({ status: { exists: false } }, fields, {})).toBe(true);
    expect(matchesWhere({ status: { exists: false } }, fields, { status: null })).toBe(false);
    expect(matchesWhere({ status: { isNull: true } }, fields, { status: null })).toBe(true);
    expect(matchesWhere({ status: { isNull: true } }, fields, {})).toBe(true);
    expect(matchesWhere({ status: { exists: true, isNull: true } }, fields, {})).toBe(false);
    expect(whereToMongo({ status: { exists: false } }, fields)).toEqual({ 'data.status': { $exists: false } });
  });

  it('refuses an unknown field or a malformed operand, naming the argument path and the value', () => {
    expect(() => whereToMongo({ nope: { eq: 1 } }, fields)).toThrow(/where\.nope: unknown filter field "nope"/);
    expect(() => whereToMongo({ amount: { gt: '12,50' } }, fields)).toThrow(/where\.amount\.gt: "12,50" is not a Decimal/);
  });

  it('round-trips cursors and continues after ties by id', () => {
    const sort = sortOf({ field: 'status', direction: 'ASC' }, fields);
    const cursor = decodeCursor(encodeCursor(sort, 'paid', 'k7'), sort);
    expect(cursor).toEqual({ value: 'paid', id: 'k7' });
    expect(afterCursor(sort, cursor)).toEqual({
      $or: [{ 'data.status': { $gt: 'paid' } }, { 'data.status': { $eq: 'paid' }, _id: { $gt: 'k7' } }],
    });
  });

  it('refuses a cursor whose value is not the sort field type (never an operator object)', () => {
    const sort = sortOf({ field: 'amount', direction: 'ASC' }, fields);
    const crafted = encodeOpaqueCursor({ s: 'amount', d: 1, v: { $gt: '' }, i: 'k1' });
    expect(() => decodeCursor(crafted, sort)).toThrow(/invalid cursor/);
    const notAKey = encodeOpaqueCursor({ s: 'amount', d: 1, v: '12.50', i: 'k1' });
    expect(() => decodeCursor(notAKey, sort)).toThrow(/not a Decimal/);
    const otherOrder = encodeCursor(sortOf({ field: 'status', direction: 'ASC' }, fields), 'paid', 'k1');
    expect(() => decodeCursor(otherOrder, sort)).toThrow(/another orderBy/);
    const idNotString = encodeOpaqueCursor({ s: 'amount', d: 1, v: numberKey('1'), i: { $ne: null } });
    expect(() => decodeCursor(idNotString, sort)).toThrow(/invalid cursor/);
    expect(decodeCursor(encodeCursor(sort, numberKey('12.50'), 'k1'), sort)).toEqual({ value: numberKey('12.5'), id: 'k1' });
  });

  it('refuses a cursor whose key or text value holds a lone surrogate (the store would read U+FFFD: another position)', () => {
    const byStatus = sortOf({ field: 'status', direction: 'ASC' }, fields);
    expect(() => decodeCursor(encodeCursor(byStatus, 'paid', 'k-\ud83d'), byStatus)).toThrow('after: invalid cursor (it holds a lone surrogate)');
    expect(() => decodeCursor(encodeCursor(byStatus, 'p\udc00', 'k1'), byStatus)).toThrow('after: invalid cursor (it holds a lone surrogate)');
    expect(decodeCursor(encodeCursor(byStatus, 'p\ud83d\ude00', 'k-\ud83d\ude00'), byStatus)).toEqual({ value: 'p\ud83d\ude00', id: 'k-\ud83d\ude00' });
  });

  it('indexes the order key of each top-level Decimal, Int, Float or DateTime field: the paths its range filters and sorts read', () => {
    expect(orderKeyIndexFields(fields)).toEqual(['total', 'amount']);
    for (const field of orderKeyIndexFields(fields)) {
      expect(mongoSort(sortOf({ field, direction: 'DESC' }, fields))).toEqual({ [`_k.${field}`]: -1, _id: -1 });
      expect(Object.keys(whereToMongo({ [field]: { gte: '1' } }, fields))).toEqual([`_k.${field}`]);
    }
  });
});

describe('where: bounded before it reaches the store', () => {
  const nested = (depth: number) => {
    let where: Record<string, unknown> = { status: { eq: 'paid' } };
    for (let i = 0; i < depth; i += 1) where = { [i % 2 ? 'or' : 'and']: [where] };
    return where;
  };
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      const { code, argument } = (error as { extensions: { code: string; argument: string } }).extensions;
      return { code, argument, message: (error as Error).message };
    }
    return null;
  };

  it(`and/or nest at most ${MAX_WHERE_NESTING} levels: deeper is BAD_USER_INPUT naming the argument, for the store and the matcher`, () => {
    expect(matchesWhere(nested(MAX_WHERE_NESTING), fields, { status: 'paid' })).toBe(true);
    expect(whereToMongo(nested(MAX_WHERE_NESTING), fields)).toBeDefined();
    for (const run of [() => whereToMongo(nested(MAX_WHERE_NESTING + 1), fields), () => matchesWhere(nested(1000), fields, { status: 'paid' })]) {
      expect(refusal(run)).toEqual({
        code: 'BAD_USER_INPUT',
        argument: expect.stringMatching(new RegExp(`^where(\\.(and|or)\\[0\\]){${MAX_WHERE_NESTING}}\\.(and|or)$`)),
        message: expect.stringContaining(`and/or nest deeper than ${MAX_WHERE_NESTING} levels`),
      });
    }
  });

  it(`contains takes at most ${MAX_CONTAINS_LENGTH} characters: longer is BAD_USER_INPUT naming the argument`, () => {
    expect(whereToMongo({ status: { contains: 'a('.repeat(MAX_CONTAINS_LENGTH / 2) } }, fields)).toEqual({
      'data.status': { $regex: 'a\\('.repeat(MAX_CONTAINS_LENGTH / 2) },
    });
    expect(refusal(() => whereToMongo({ status: { contains: 'a'.repeat(1_000_000) } }, fields))).toEqual({
      code: 'BAD_USER_INPUT',
      argument: 'where.status.contains',
      message: `where.status.contains: a text of 1000000 characters; at most ${MAX_CONTAINS_LENGTH} are allowed`,
    });
    expect(refusal(() => matchesWhere({ status: { contains: 'a'.repeat(MAX_CONTAINS_LENGTH + 1) } }, fields, { status: 'a' }))?.code).toBe('BAD_USER_INPUT');
  });

  it('a String or ID operand with a lone surrogate is BAD_USER_INPUT naming the argument, for the store and the matcher (the store would compare U+FFFD)', () => {
    // A JSON variable can carry "\ud83d"; the store's BSON encodes it as U+FFFD, another text.
    const cases: [Record<string, unknown>, string][] = [
      [{ status: { eq: '\uD83D' } }, 'where.status.eq'],
      [{ status: { ne: 'a\uDE00' } }, 'where.status.ne'],
      [{ status: { lt: '\uD83D' } }, 'where.status.lt'],
      [{ status: { in: ['ok', '\uD83D'] } }, 'where.status.in[1]'],
      [{ status: { contains: '\uD83D' } }, 'where.status.contains'],
      [{ customer: { email: { gte: '\uDFFF' } } }, 'where.customer.email.gte'],
      [{ id: { eq: 'k-\uD83D' } }, 'where.id.eq'],
    ];
    for (const [where, argument] of cases) {
      for (const run of [() => whereToMongo(where, fields), () => matchesWhere(where, fields, { status: '\uFFFD' }, 'k-\uFFFD')]) {
        expect(refusal(run)).toEqual({ code: 'BAD_USER_INPUT', argument, message: expect.stringContaining('a lone surrogate') });
      }
    }
    // A pair is one character, written as stored.
    expect(whereToMongo({ status: { eq: '\uD83D\uDE00' }, customer: { email: { contains: '\uD83D\uDE00' } } }, fields)).toEqual({
      $and: [{ 'data.status': { $eq: '😀' } }, { 'data.customer.email': { $regex: '😀' } }],
    });
  });

  it('contains writes a NUL as \\x00: MongoDB refuses a $regex holding a NUL (its jstests/core/regex.js), its PCRE and the local store read \\x00 as one', () => {
    const filter = whereToMongo({ status: { contains: 'a\u0000b.' } }, fields) as { 'data.status': { $regex: string } };
    expect(filter).toEqual({ 'data.status': { $regex: 'a\\x00b\\.' } });
    expect(filter['data.status'].$regex.includes('\u0000')).toBe(false);
    expect(new RegExp(filter['data.status'].$regex).test('xa\u0000b.')).toBe(true);
    expect(new RegExp(filter['data.status'].$regex).test('xa0b.')).toBe(false);
    expect(matchesWhere({ status: { contains: 'a\u0000b.' } }, fields, { status: 'xa\u0000b.' })).toBe(true);
  });

  it(`in takes at most ${MAX_IN_VALUES} values: more is BAD_USER_INPUT naming the argument`, () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
    expect(whereToMongo({ status: { in: values(MAX_IN_VALUES) } }, fields)).toEqual({ 'data.status': { $in: values(MAX_IN_VALUES) } });
    expect(refusal(() => whereToMongo({ status: { in: values(100_000) } }, fields))).toEqual({
      code: 'BAD_USER_INPUT',
      argument: 'where.status.in',
      message: `where.status.in: a list of 100000 values; at most ${MAX_IN_VALUES} are allowed`,
    });
    expect(refusal(() => matchesWhere({ status: { in: values(MAX_IN_VALUES + 1) } }, fields, { status: 's1' }))?.code).toBe('BAD_USER_INPUT');
  });
});

describe('where and orderBy on `id`', () => {
  it('the entity key: `eq: null`, `isNull: true` and `exists: false` match no entity (every entity has a key)', () => {
    expect(whereToMongo({ id: { eq: null } }, fields)).toEqual({ _id: null });
    expect(whereToMongo({ id: { isNull: false } }, fields)).toEqual({ _id: { $ne: null } });
    expect(whereToMongo({ id: { exists: false } }, fields)).toEqual({ _id: { $exists: false } });
    expect(matchesWhere({ id: { eq: null } }, fields, { status: 'x' }, 'k1')).toBe(false);
    expect(matchesWhere({ id: { isNull: true } }, fields, { status: 'x' }, 'k1')).toBe(false);
    expect(matchesWhere({ id: { exists: false } }, fields, { status: 'x' }, 'k1')).toBe(false);
    expect(matchesWhere({ id: { ne: null } }, fields, { status: 'x' }, 'k1')).toBe(true);
  });

  it('a canonical field named `id`: the field the entity shows as `id`, in filters, the matcher and sorts', () => {
    const withIntId = modelObject({ type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } });
    expect(whereToMongo({ id: { eq: 42 } }, withIntId)).toEqual({ '_k.id': { $eq: numberKey(42) } });
    expect(matchesWhere({ id: { eq: 42 } }, withIntId, { id: 42 }, 'k1')).toBe(true);
    expect(matchesWhere({ id: { eq: 42 } }, withIntId, { id: 7 }, '42')).toBe(false);
    expect(whereToMongo({ id: { isNull: true } }, withIntId)).toEqual({ 'data.id': null });
    expect(sortOf({ field: 'id' }, withIntId)).toEqual({ field: 'id', path: '_k.id', direction: 1, value: 'Int' });
    const withStringId = modelObject({ type: 'object', properties: { id: { type: 'string' } } });
    expect(whereToMongo({ id: { eq: 'A-1' } }, withStringId)).toEqual({ 'data.id': { $eq: 'A-1' } });
    expect(sortOf({ field: 'id', direction: 'DESC' }, withStringId)).toEqual({ field: 'id', path: 'data.id', direction: -1, value: 'string' });
    // Without one, `id` is the key.
    expect(sortOf({ field: 'id' }, fields)).toEqual({ field: 'id', path: '_id', direction: 1, value: 'none' });
  });
});
