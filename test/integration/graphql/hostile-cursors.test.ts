import { encodeOpaqueCursor } from '../../../src/infra/opaque-cursor';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { TEST_ADMIN_KEY } from '../../support/graphql-result';
import { createLeftovers } from '../../support/test-env';
import { bearer, openAcked } from './auth-support';

/**
 * Cursors and JSON-typed arguments are data, never query operators (issue 14, item 6): a cursor a
 * client crafted so that its decoded value is an operator object (`{"$gt": ""}`, `{"$where": …}`),
 * and operator objects or operator names in `metric(where:)`, `groupBy` and `measure`, are refused
 * with BAD_USER_INPUT naming the argument over GraphQL against a running canonql (ingest + api on
 * the real stack), before any of it reaches the store; the same queries with honest arguments
 * answer, and a crafted change-feed cursor is a RESYNC with MALFORMED_CURSOR, never a read.
 */
type Reply = { data?: unknown; errors?: { message: string; extensions?: { code?: string; argument?: string } }[] };

const OPERATORS = [{ $gt: '' }, { $where: 'sleep(1000) || true' }, { $ne: null }, { $regex: '.*' }];

describe('crafted cursors and JSON arguments are refused before the store', () => {
  const leftovers = createLeftovers();
  let target: AppUnderTest;

  beforeAll(async () => {
    target = await startAppUnderTest('hostile-cursors');
    leftovers.add(() => target.stop());
    await target.ok(`mutation($d: JSON!) { registerMetricDefinition(definition: $d, activate: true) { version } }`, {
      d: {
        name: 'hostile-amount',
        version: 1,
        subject: 'order',
        measure: { field: 'line_items[*].price', multiplyBy: 'line_items[*].qty' },
        dimensions: [{ name: 'region', field: 'region' }],
        time: { field: 'created_at' },
        windows: ['hour'],
      },
    });
  });
  afterAll(() => leftovers.dispose());

  const refusal = (reply: Reply) => ({ code: reply.errors?.[0]?.extensions?.code, data: reply.data ?? null });
  /** Every refusal is followed by the honest query, answered from the store. */
  const stillServing = async () => {
    expect(await target.gql('{ orders(first: 1, orderBy: {field: region}) { totalCount } }')).toEqual({ data: { orders: { totalCount: 0 } } });
  };

  it.each([
    ['region', 'ASC', 1],
    ['created_at', 'DESC', -1],
    ['updatedAt', 'ASC', 1],
    ['id', 'ASC', 1],
  ] as const)('a list cursor ordered by %s whose value or id is an operator object: BAD_USER_INPUT on after', async (field, direction, d) => {
    for (const operator of OPERATORS) {
      for (const payload of [
        { s: field, d, v: operator, i: 'k1' },
        { s: field, d, v: null, i: operator },
      ]) {
        const reply: Reply = await target.gql<unknown>(
          `query($after: String) { orders(first: 5, after: $after, orderBy: {field: ${field}, direction: ${direction}}) { totalCount } }`,
          { after: encodeOpaqueCursor(payload) },
        );
        expect({ payload, ...refusal(reply) }).toEqual({ payload, code: 'BAD_USER_INPUT', data: null });
        expect(reply.errors?.[0]?.extensions?.argument).toBe('after');
      }
    }
    await stillServing();
  });

  it('a history cursor whose version is an operator object: BAD_USER_INPUT on after', async () => {
    for (const operator of OPERATORS) {
      const reply: Reply = await target.gql<unknown>('query($after: String) { orderHistory(id: "k1", after: $after) { totalCount } }', {
        after: encodeOpaqueCursor({ h: operator }),
      });
      expect({ operator, ...refusal(reply) }).toEqual({ operator, code: 'BAD_USER_INPUT', data: null });
      expect(reply.errors?.[0]?.extensions?.argument).toBe('after');
    }
    expect(await target.gql('{ orderHistory(id: "k1") { totalCount } }')).toEqual({ data: { orderHistory: { totalCount: 0 } } });
  });

  it('a change-feed cursor whose topic or offsets are operator objects: RESYNC with MALFORMED_CURSOR, then the stream stays', async () => {
    const socket = await openAcked(target.app.graphqlUrl, bearer(TEST_ADMIN_KEY));
    leftovers.add(async () => socket.close());
    const crafted = [
      { v: 1, t: { $gt: '' }, o: {} },
      { v: 1, t: 'x', o: { 0: { $gt: 0 } } },
      { v: 1, t: 'x', o: { $where: 1 } },
    ];
    for (const [i, payload] of crafted.entries()) {
      socket.send({
        id: `s${i}`,
        type: 'subscribe',
        payload: {
          query: 'subscription($after: String) { orderChanged(after: $after) { op resyncReason node { id } } }',
          variables: { after: encodeOpaqueCursor(payload) },
        },
      });
      const first = await socket.next('next', 20_000);
      expect({ payload, id: first.id, first: first.payload }).toEqual({
        payload,
        id: `s${i}`,
        first: { data: { orderChanged: { op: 'RESYNC', resyncReason: 'MALFORMED_CURSOR', node: null } } },
      });
    }
    expect(socket.isOpen).toBe(true);
    await stillServing();
  });

  it('metric where: an operator object or an operator as a dimension name is BAD_USER_INPUT naming it', async () => {
    const query = 'query($where: JSON, $groupBy: [String!]) { metric(name: "hostile-amount", window: hour, where: $where, groupBy: $groupBy) { count } }';
    expect(await target.gql(query, { where: { region: 'eu-west' } })).toEqual({ data: { metric: [] } });
    for (const operator of OPERATORS) {
      const reply = await target.gql<unknown>(query, { where: { region: operator } });
      expect({ operator, ...refusal(reply) }).toEqual({ operator, code: 'BAD_USER_INPUT', data: null });
      expect(reply.errors?.[0]?.message).toContain('where.region');
    }
    for (const where of [{ $where: 'true' }, { 'dims.region': 'x' }, { $or: [{ region: 'x' }] }]) {
      const reply = await target.gql<unknown>(query, { where });
      expect({ where, ...refusal(reply) }).toEqual({ where, code: 'BAD_USER_INPUT', data: null });
    }
    const groupBy = await target.gql<unknown>(query, { groupBy: ['$where'] });
    expect(refusal(groupBy)).toEqual({ code: 'BAD_USER_INPUT', data: null });
    await stillServing();
  });

  it('aggregate groupBy and measure: an operator or a dotted store path is BAD_USER_INPUT naming the argument', async () => {
    for (const [argument, value] of [
      ['groupBy', ['$where']],
      ['groupBy', ['_meta.version']],
      ['measure', '$gt'],
      ['measure', 'data.amount'],
    ] as const) {
      const reply = await target.gql<unknown>(`query($v: ${argument === 'groupBy' ? '[String!]' : 'String'}) { ordersAggregate(${argument}: $v) { count } }`, {
        v: value,
      });
      expect({ argument, value, ...refusal(reply) }).toEqual({ argument, value, code: 'BAD_USER_INPUT', data: null });
    }
    expect(await target.gql('{ ordersAggregate(groupBy: ["region"]) { count } }')).toEqual({ data: { ordersAggregate: [] } });
  });
});
