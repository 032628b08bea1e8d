import type { Db, MongoClient } from 'mongodb';
import { compileWhere } from '../../../src/graphql/subject/where-filter';
import { matchesClause } from '../../../src/graphql/subject/where-matcher';
import { modelObject } from '../../../src/catalog/field-model';
import { subjectNames } from '../../../src/graphql/naming';
import { createEntityStore, type StoredEntity } from '../../../src/state/entity-store';
import { startApiHarness, type ApiHarness } from '../../support/api-harness';
import { seededRandom } from '../../support/seeded-random';
import { createLeftovers, testMongo, uniqueName } from '../../support/test-env';
import { addDec, formatDec, toDec } from '../../../src/values/decimal';
import { VALUE_FIELDS, VALUE_SCHEMA, compareValues, oracleMatches, oracleOrder, randomDocument, randomFilter } from '../../support/value-oracle';

/**
 * The property of test/unit/values/values-by-value.test.ts on the real store, through GraphQL:
 * random values of every ordered type, written by the entity store; random filters and orderings
 * paged with cursors; the list, the aggregate count and the subscription matcher all answer like
 * the oracle comparing by value.
 */
jest.setTimeout(300_000);

const SUBJECT = 'value_probe';
const names = subjectNames(SUBJECT);
const fields = modelObject(VALUE_SCHEMA);

describe('values compare by value on the real store, through GraphQL', () => {
  const leftovers = createLeftovers();
  let client: MongoClient;
  let db: Db;
  let api: ApiHarness;
  const rng = seededRandom(1202);
  const docs = Array.from({ length: 250 }, (_, i) => ({ id: `e${String(i).padStart(4, '0')}`, data: randomDocument(rng) }));

  beforeAll(async () => {
    client = await testMongo();
    leftovers.add(() => client.close());
    db = client.db(uniqueName('values'));
    leftovers.add(() => db.dropDatabase());
    api = await startApiHarness(db);
    leftovers.add(() => api.stop());
    await api.ok('mutation($subject: String!, $s: JSON!) { registerCanonicalSchema(subject: $subject, schema: $s) { version } }', {
      subject: SUBJECT,
      s: VALUE_SCHEMA,
    });
    const now = new Date();
    const entities: StoredEntity[] = docs.map((d) => ({
      _id: d.id,
      data: d.data,
      _meta: {
        version: 1,
        positions: {},
        position: '1',
        specId: 't',
        specVersion: 1,
        sourceTsMs: null,
        createdAt: now,
        updatedAt: now,
        deleted: false,
        lastEventId: d.id,
      },
    }));
    await createEntityStore(db).writeMany(
      SUBJECT,
      entities.map((next) => ({ key: next._id, expectedVersion: null, next })),
    );
  });
  afterAll(() => leftovers.dispose());

  async function listAll(
    where: Record<string, unknown>,
    orderBy: { field: string; direction: 'ASC' | 'DESC' },
  ): Promise<{ ids: string[]; totalCount: number; values: unknown[] }> {
    const ids: string[] = [];
    const values: unknown[] = [];
    let totalCount = -1;
    let after: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      const response: {
        data?: Record<string, { totalCount: number; edges: { cursor: string; node: Record<string, unknown> }[]; pageInfo: { hasNextPage: boolean } }>;
        errors?: unknown;
      } = await api.query(
        `query($where: ${names.type}Where, $orderBy: ${names.type}OrderBy, $after: String) {
          ${names.list}(where: $where, orderBy: $orderBy, first: 9, after: $after) { totalCount edges { cursor node { id ${VALUE_FIELDS.join(' ')} } } pageInfo { hasNextPage } }
        }`,
        { where, orderBy, after },
      );
      expect(response.errors).toBeUndefined();
      const connection = response.data![names.list]!;
      totalCount = connection.totalCount;
      ids.push(...connection.edges.map((e) => e.node.id as string));
      values.push(...connection.edges.map((e) => e.node));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.edges.at(-1)!.cursor;
    }
    return { ids, totalCount, values };
  }

  it('returns every value exactly as written (scale, digits and offset kept)', async () => {
    const { values } = await listAll({}, { field: 'id', direction: 'ASC' });
    expect(values).toEqual(docs.map((d) => ({ id: d.id, ...Object.fromEntries(VALUE_FIELDS.map((f) => [f, d.data[f] ?? null])) })));
  });

  it('answers random filters with random orderings, paged by cursor, like the oracle (list, aggregate count, subscription matcher)', async () => {
    for (let i = 0; i < 40; i += 1) {
      const { field, op, operand } = randomFilter(rng);
      const where = { [field]: { [op]: operand } };
      const sortField = VALUE_FIELDS[i % VALUE_FIELDS.length]!;
      const direction = i % 2 === 0 ? 'ASC' : 'DESC';
      const matching = docs.filter((d) => oracleMatches(d.data, field, op, operand));
      const expected = oracleOrder(matching, sortField, direction === 'ASC' ? 1 : -1);
      const context = JSON.stringify({ where, sortField, direction });
      const listed = await listAll(where, { field: sortField, direction });
      expect({ context, ids: listed.ids, total: listed.totalCount }).toEqual({ context, ids: expected, total: expected.length });
      const aggregate = await api.query<Record<string, { count: number }[]>>(
        `query($where: ${names.type}Where) { ${names.aggregate}(where: $where) { count } }`,
        { where },
      );
      expect(aggregate.errors).toBeUndefined();
      expect({ context, count: aggregate.data![names.aggregate]!.reduce((n, g) => n + g.count, 0) }).toEqual({ context, count: expected.length });
      const clause = compileWhere(where, fields);
      expect({ context, ids: docs.filter((d) => matchesClause(clause, d.data, d.id)).map((d) => d.id) }).toEqual({ context, ids: matching.map((d) => d.id) });
    }
  });

  it('aggregates by value: sum, min and max of a Decimal keep the scale, equal to the oracle', async () => {
    const response = await api.query<Record<string, { count: number; sum: string; min: string; max: string }[]>>(
      `{ ${names.aggregate}(measure: "amount") { count sum min max } }`,
    );
    expect(response.errors).toBeUndefined();
    const [group] = response.data![names.aggregate]!;
    const amounts = docs.map((d) => d.data.amount).filter((a): a is string => typeof a === 'string');
    const sum = amounts.reduce((acc, a) => addDec(acc, toDec(a)!), toDec('0')!);
    expect(group!.sum).toBe(formatDec(sum));
    expect(group!.sum.split('.')[1]?.length ?? 0).toBe(Math.max(...amounts.map((a) => a.split('.')[1]?.length ?? 0)));
    const sorted = [...amounts].sort((a, b) => compareValues('amount', a, b));
    expect(compareValues('amount', group!.min, sorted[0])).toBe(0);
    expect(compareValues('amount', group!.max, sorted.at(-1))).toBe(0);
  });

  it('refuses a malformed Decimal or DateTime literal or variable with BAD_USER_INPUT naming the argument path and the value', async () => {
    const literal = await api.query(`{ ${names.list}(where: { amount: { gt: "12,50" } }) { totalCount } }`);
    expect(literal.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'where.amount.gt', value: '12,50' } })]);
    expect(literal.errors?.[0]?.message).toMatch(/at "where\.amount\.gt".*"12,50"/);
    const inDefault = await api.query(
      `query($w: ${names.type}Where = { at: { in: ["2024-03-01T10:00:00Z", "noon"] } }) { ${names.list}(where: $w) { totalCount } }`,
    );
    expect(inDefault.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: '$w.at.in[1]', value: 'noon' } })]);
    const variable = await api.query(`query($w: ${names.type}Where) { ${names.list}(where: $w) { totalCount } }`, {
      w: { at: { lt: '2024-03-01T10:00:00.1234567891Z' } },
    });
    expect(variable.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(variable.errors?.[0]?.message).toMatch(/"\$w".*at "w\.at\.lt".*2024-03-01T10:00:00\.1234567891Z/);
  });
});
