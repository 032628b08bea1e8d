import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { orderKeysOf } from '../../../src/state/order-keys';
import { EVENT_LOG_COLLECTION, eventOfLogged, loggedEventOf, type LoggedEvent } from '../../../src/events/event-log';
import { startApiHarness, type ApiHarness } from '../../support/api-harness';
import { DEMO_EMAILS as EMAILS, demoOrderChange, mongoChange, oid, pgChange, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { testConfig, testKafka, uniqueName } from '../../support/test-env';

const order = demoOrderChange;

/** What a read of an entity takes of its `_meta` when the query selects `_meta`: the parts the field shows. */
const SHOWN_META = {
  '_meta.version': 1,
  '_meta.updatedAt': 1,
  '_meta.createdAt': 1,
  '_meta.position': 1,
  '_meta.specId': 1,
  '_meta.specVersion': 1,
  '_meta.sourceTsMs': 1,
  '_meta.deleted': 1,
};

describe('GraphQL entity queries over canonical state', () => {
  const kafka = testKafka();
  const ordersTopic = uniqueName('raw.mongo.orders');
  const customersTopic = uniqueName('raw.pg.customers');
  let ingest: IngestionHarness;
  let api: ApiHarness;
  const finds: { collection: string; projection?: unknown }[] = [];
  let applied = 0;
  const produceAndWait = async (messages: Parameters<typeof produce>[2]) => {
    await produce(kafka, ordersTopic, messages);
    applied += messages.length;
    await ingest.waitForOutcomes(applied);
  };

  beforeAll(async () => {
    ingest = await startIngestionHarness([specFromFile('order.json', ordersTopic), specFromFile('customer.json', customersTopic)]);
    await produce(
      kafka,
      customersTopic,
      EMAILS.map((email, i) =>
        pgChange({
          op: 'c',
          key: { id: i + 1 },
          lsn: 100 + i,
          after: { id: i + 1, email, name: `Customer ${i + 1}`, balance: '10.50', tier: ['gold', 'silver', 'bronze'][i] },
        }),
      ),
    );
    applied += 3;
    await produceAndWait(Array.from({ length: 30 }, (_, k) => order(k, 1)));
    // Order 1 changes e-mail twice (history, as-of); order 29 is deleted.
    await produceAndWait([order(1, 2, 'b@x.io'), order(1, 3, 'c@x.io'), mongoChange({ op: 'd', id: { $oid: oid(29) }, tsMs: 1_700_000_009_000, ord: 1 })]);
    // The app's own store client reports its commands: the store queries a request makes are counted.
    const uri = new URL(testConfig.mongo.uri);
    uri.searchParams.set('monitorCommands', 'true');
    api = await startApiHarness(ingest.db, { env: { MONGODB_URI: uri.toString() } });
    api.app.db.client.on('commandStarted', (event) => {
      if (event.commandName === 'find') finds.push({ collection: String(event.command.find), projection: event.command.projection });
    });
  });
  afterAll(async () => {
    await api.stop();
    await ingest.stop();
  });

  it('reads one entity by id, with its metadata', async () => {
    const { data } = await api.query<{ order: Record<string, unknown> }>(
      `{ order(id: "${oid(2)}") { id order_id customer { email } line_items { sku } currency _meta { version deleted specId position } } }`,
    );
    expect(data!.order).toEqual({
      id: oid(2),
      order_id: 'o-02',
      customer: { email: 'c@x.io' },
      line_items: [{ sku: 'sku-2' }],
      currency: 'USD',
      _meta: { version: 1, deleted: false, specId: 'order-canonicalization-v1', position: expect.stringMatching(/^mongo:/) },
    });
  });

  it('batches many by-id reads of one request into one store query', async () => {
    finds.length = 0;
    const aliases = Array.from({ length: 10 }, (_, k) => `o${k}: order(id: "${oid(k)}") { order_id }`).join(' ');
    const { data } = await api.query<Record<string, { order_id: string }>>(`{ ${aliases} }`);
    expect(Object.values(data!).map((o) => o.order_id)).toEqual(Array.from({ length: 10 }, (_, k) => `o-${String(k).padStart(2, '0')}`));
    expect(finds.filter((f) => f.collection === 'state_order')).toHaveLength(1);
  });

  it('reads an entity by id with only what the query shows, one read per selection', async () => {
    finds.length = 0;
    const { data } = await api.query<Record<string, Record<string, unknown>>>(
      `{ a: order(id: "${oid(3)}") { order_id } b: order(id: "${oid(4)}") { order_id }
         c: order(id: "${oid(3)}") { id currency customer { email account { tier } } _meta { version } }
         h: orderHistory(id: "${oid(3)}") { totalCount } }`,
    );
    expect(data).toEqual({
      a: { order_id: 'o-03' },
      b: { order_id: 'o-04' },
      c: { id: oid(3), currency: 'USD', customer: { email: 'a@x.io', account: { tier: 'GOLD' } }, _meta: { version: 1 } },
      h: { totalCount: 1 },
    });
    const orderFinds = finds.filter((f) => f.collection === 'state_order').map((f) => f.projection);
    // a and b share one read; c reads its own; the history reads the whole state (its version and last event).
    expect(orderFinds).toHaveLength(3);
    expect(orderFinds).toContainEqual({ _id: 1, 'data.order_id': 1, '_meta.deleted': 1, '_meta.purged': 1 });
    expect(orderFinds).toContainEqual({
      _id: 1,
      'data.currency': 1,
      'data.customer': 1,
      ...SHOWN_META,
      '_meta.purged': 1,
    });
    expect(orderFinds).toContainEqual(undefined);
  });

  it('filters on nested and top-level fields, combined with and/or', async () => {
    const count = async (where: string) =>
      (await api.query<{ orders: { totalCount: number } }>(`{ orders(where: ${where}) { totalCount } }`)).data!.orders.totalCount;
    expect(await count('{ customer: { email: { eq: "a@x.io" } } }')).toBe(10);
    expect(await count('{ order_id: { in: ["o-03", "o-04", "nope"] } }')).toBe(2);
    expect(await count('{ or: [{ order_id: { eq: "o-05" } }, { order_id: { contains: "o-1" } }] }')).toBe(11);
    expect(await count('{ and: [{ order_id: { gte: "o-10" } }, { order_id: { lt: "o-20" } }, { customer: { email: { ne: "a@x.io" } } }] }')).toBe(7);
    expect(await count('{ currency: { exists: true } }')).toBe(29);
  });

  it('orders and pages through results with cursors, no duplicate or gap while writes happen', async () => {
    const page1 = await api.query<{ orders: { edges: { node: { order_id: string } }[] } }>(
      '{ orders(first: 3, orderBy: { field: order_id, direction: DESC }) { edges { node { order_id } } } }',
    );
    expect(page1.data!.orders.edges.map((e) => e.node.order_id)).toEqual(['o-28', 'o-27', 'o-26']);

    const seen: string[] = [];
    let after: string | null = null;
    let round = 0;
    for (;;) {
      const result: { data?: { orders: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } } =
        await api.query(`query($after: String) { orders(first: 7, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
      seen.push(...result.data!.orders.edges.map((e) => e.node.id));
      // Writes between pages: updates of existing orders and brand-new ones.
      round += 1;
      await produceAndWait([order(round, 10 + round), order(100 + round, 1)]);
      if (!result.data!.orders.pageInfo.hasNextPage) break;
      after = result.data!.orders.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (let k = 0; k < 29; k += 1) expect(seen).toContain(oid(k));
  });

  it('resolves relations in batches (order → customer by e-mail)', async () => {
    finds.length = 0;
    const { data } = await api.query<{ orders: { edges: { node: { customer: { email: string; account: { name: string; tier: string } } } }[] } }>(
      '{ orders(first: 9, orderBy: { field: order_id }) { edges { node { customer { email account { name tier } } } } } }',
    );
    for (const edge of data!.orders.edges) {
      const i = EMAILS.indexOf(edge.node.customer.email);
      expect(edge.node.customer.account).toEqual({ name: `Customer ${i + 1}`, tier: ['GOLD', 'SILVER', 'BRONZE'][i] });
    }
    // One read for the page's customers, of what the query shows of them and the field they are matched by.
    expect(finds.filter((f) => f.collection === 'state_customer')).toEqual([
      { collection: 'state_customer', projection: { _id: 1, 'data.name': 1, 'data.tier': 1, 'data.email': 1 } },
    ]);
  });

  it("indexes the field a relation looks entities up by, in the related subject's state", async () => {
    // Made in the background when the API starts (app.ts, relationLookups): order.customer.email → customer by email.
    const keys = async () => (await ingest.db.collection('state_customer').listIndexes().toArray()).map((index) => index.key as Record<string, number>);
    const deadline = Date.now() + 10_000;
    while (!(await keys()).some((key) => JSON.stringify(key) === JSON.stringify({ 'data.email': 1, _id: 1 })) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await keys()).toContainEqual({ 'data.email': 1, _id: 1 });
    // The order's own relation-free fields get none: only what a relation looks up by.
    expect((await ingest.db.collection('state_order').listIndexes().toArray()).map((index) => Object.keys(index.key)[0])).not.toContain('data.email');
  });

  it('reads each selection of a relation with its own projection, and answers as from whole documents', async () => {
    const db = ingest.db.collection<{ _id: string; data: Record<string, unknown>; _meta: { version: number } }>('state_customer');
    const stored = new Map((await db.find({}).toArray()).map((doc) => [doc.data.email, doc]));
    finds.length = 0;
    const { data } = await api.query<{ orders: { edges: { node: { customer: { email: string; a: unknown; b: unknown } } }[] } }>(
      '{ orders(first: 9, orderBy: { field: order_id }) { edges { node { customer { email a: account { name } b: account { id tier _meta { version deleted } } } } } } }',
    );
    const customerFinds = finds.filter((f) => f.collection === 'state_customer').map((f) => f.projection);
    expect(customerFinds).toHaveLength(2);
    expect(customerFinds).toContainEqual({ _id: 1, 'data.name': 1, 'data.email': 1 });
    expect(customerFinds).toContainEqual({ _id: 1, 'data.tier': 1, ...SHOWN_META, 'data.email': 1 });
    expect(data!.orders.edges).toHaveLength(9);
    for (const { node } of data!.orders.edges) {
      const doc = stored.get(node.customer.email)!;
      expect(node.customer.a).toEqual({ name: doc.data.name });
      expect(node.customer.b).toEqual({ id: doc._id, tier: String(doc.data.tier).toUpperCase(), _meta: { version: doc._meta.version, deleted: false } });
    }
  });

  it('reads a page with only the stored parts its nodes show, and answers as from whole documents', async () => {
    const shown =
      '__typename id ...F ... on Order { currency } customer { email account { tier } } _meta { version updatedAt createdAt position specId specVersion sourceTs deleted }';
    const fragment = 'fragment F on Order { order_id line_items { sku } }';
    finds.length = 0;
    const page = await api.query<{ orders: { edges: { node: { id: string } }[] } }>(
      `{ orders(first: 12, orderBy: { field: order_id }) { edges { node { ${shown} } } } } ${fragment}`,
    );
    const nodes = page.data!.orders.edges.map((e) => e.node);
    expect(nodes).toHaveLength(12);
    expect(finds.find((f) => f.collection === 'state_order')!.projection).toEqual({
      _id: 1,
      'data.order_id': 1,
      'data.line_items': 1,
      'data.currency': 1,
      'data.customer': 1,
      ...SHOWN_META,
    });
    // The same entities read by id (whole documents, through the request's loader) show the same.
    const byId = await api.query<Record<string, unknown>>(`{ ${nodes.map((n, i) => `e${i}: order(id: "${n.id}") { ${shown} }`).join(' ')} } ${fragment}`);
    expect(nodes).toEqual(nodes.map((_, i) => byId.data![`e${i}`]));

    // A sort on a field the nodes do not show: its path is read too, so every cursor carries its value.
    const paged = async (orderBy: string) => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const result: { data?: { orders: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } } =
          await api.query(
            `query($after: String) { orders(first: 4, after: $after, orderBy: ${orderBy}) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
            { after },
          );
        ids.push(...result.data!.orders.edges.map((e) => e.node.id));
        if (!result.data!.orders.pageInfo.hasNextPage) return ids;
        after = result.data!.orders.pageInfo.endCursor;
      }
    };
    for (const orderBy of ['{ field: order_id, direction: DESC }', '{ field: updatedAt, direction: DESC }']) {
      const whole = await api.query<{ orders: { edges: { node: { id: string; order_id: string } }[] } }>(
        `{ orders(first: 100, orderBy: ${orderBy}) { edges { node { id order_id _meta { updatedAt } } } } }`,
      );
      expect(await paged(orderBy)).toEqual(whole.data!.orders.edges.map((e) => e.node.id));
    }
    finds.length = 0;
    await api.query('{ orders(first: 3) { totalCount } }');
    expect(finds.find((f) => f.collection === 'state_order')!.projection).toEqual({ _id: 1 });
  });

  it('serves history from the event log and as-of reads', async () => {
    const { data } = await api.query<{
      orderHistory: {
        totalCount: number;
        edges: { node: { op: string; version: number; changedFields: string[]; node: { customer: { email: string } }; sourceTs: string } }[];
      };
    }>(`{ orderHistory(id: "${oid(1)}", first: 3) { totalCount edges { node { op version changedFields sourceTs node { customer { email } } } } } }`);
    const history = data!.orderHistory.edges.map((e) => e.node);
    expect(history.map((h) => [h.op, h.version, h.node.customer.email])).toEqual([
      ['CREATE', 1, 'b@x.io'],
      ['UPDATE', 2, 'b@x.io'],
      ['UPDATE', 3, 'c@x.io'],
    ]);
    const asOf = await api.query<{ order: { customer: { email: string }; _meta: { version: number } } }>(
      `{ order(id: "${oid(1)}", asOf: "${history[1]!.sourceTs}") { customer { email } _meta { version } } }`,
    );
    expect(asOf.data!.order).toEqual({ customer: { email: 'b@x.io' }, _meta: { version: 2 } });
    const before = await api.query<{ order: null }>(`{ order(id: "${oid(1)}", asOf: "2000-01-01T00:00:00Z") { id } }`);
    expect(before.data!.order).toBeNull();
  });

  it('leaves out of history and as-of reads an event whose state write is in flight or lost a race', async () => {
    // The event log is written before the state, so for a few milliseconds it can hold an event of
    // the state's version that lost to another writer's (discarded right after) and one whose
    // write has not happened yet. These two stand in for that window.
    const events = ingest.db.collection<LoggedEvent>(EVENT_LOG_COLLECTION);
    const applied = (
      await events
        .find({ key: oid(1) })
        .sort({ version: 1 })
        .toArray()
    ).map(eventOfLogged);
    const latest = applied.at(-1)!;
    const late = new Date(latest.sourceTsMs! + 1000);
    const unapplied = [
      loggedEventOf({ ...latest, id: `${latest.id}-lost`, after: { ...latest.after, customer: { email: 'lost@x.io' } } }),
      loggedEventOf({ ...latest, id: `${latest.id}-in-flight`, version: latest.version + 1, sourceTsMs: late.getTime() }),
    ];
    await events.insertMany(unapplied);
    try {
      const { data } = await api.query<{ orderHistory: { totalCount: number; edges: { node: { version: number; node: { customer: { email: string } } } }[] } }>(
        `{ orderHistory(id: "${oid(1)}", first: 10) { totalCount edges { node { version node { customer { email } } } } } }`,
      );
      expect(data!.orderHistory.totalCount).toBe(applied.length);
      expect(data!.orderHistory.edges.map((e) => [e.node.version, e.node.node.customer.email])).toEqual(
        applied.map((e) => [e.version, (e.after as { customer: { email: string } }).customer.email]),
      );
      const asOf = await api.query<{ order: { customer: { email: string }; _meta: { version: number } } }>(
        `{ order(id: "${oid(1)}", asOf: "${new Date(late.getTime() + 1000).toISOString()}") { customer { email } _meta { version } } }`,
      );
      expect(asOf.data!.order).toEqual({
        customer: { email: (latest.after as { customer: { email: string } }).customer.email },
        _meta: { version: latest.version },
      });
    } finally {
      await events.deleteMany({ _id: { $in: unapplied.map((e) => e._id) } });
    }
  });

  it('hides soft-deleted entities unless asked', async () => {
    const hidden = await api.query<{ order: null; orders: { totalCount: number } }>(
      `{ order(id: "${oid(29)}") { id } orders(where: { id: { eq: "${oid(29)}" } }) { totalCount } }`,
    );
    expect(hidden.data).toEqual({ order: null, orders: { totalCount: 0 } });
    const shown = await api.query<{ order: { _meta: { deleted: boolean } } }>(`{ order(id: "${oid(29)}", includeDeleted: true) { _meta { deleted } } }`);
    expect(shown.data!.order._meta.deleted).toBe(true);
  });

  it('answers bad requests with coded errors', async () => {
    expect((await api.query('{ orders(first: 1000) { totalCount } }')).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect((await api.query('{ orders(after: "garbage") { totalCount } }')).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect((await api.query('query($t: DateTime) { order(id: "x", asOf: $t) { id } }', { t: 'yesterday' })).errors![0]!.extensions!.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await api.query('{ order(id: "x", asOf: "yesterday") { id } }')).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect((await api.query('{ nope }')).errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a String or ID operand with a lone surrogate (BAD_USER_INPUT, a field error): the store would compare U+FFFD; finds a NUL with contains', async () => {
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "glyph", schema: $s) { version } }', {
      s: { type: 'object', properties: { name: { type: 'string' } } },
    });
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    await ingest.db
      .collection<{ _id: string; data: unknown; _meta: unknown }>('state_glyph')
      .insertMany(['\uFFFD', '\uD83D\uDE00'].map((name, i) => ({ _id: `g${i}-${name}`, data: { name }, _meta: meta })));
    const list = (where: unknown) =>
      api.query<{ glyphs: { edges: { node: { id: string } }[] } }>('query($w: GlyphWhere) { glyphs(where: $w) { edges { node { id } } } }', { w: where });
    for (const [where, argument] of [
      [{ name: { eq: '\uD83D' } }, 'where.name.eq'],
      [{ name: { in: ['\uDE00'] } }, 'where.name.in[0]'],
      [{ name: { contains: '\uD83D' } }, 'where.name.contains'],
      [{ id: { eq: 'g0-\uD83D' } }, 'where.id.eq'],
    ] as const) {
      const { data, errors } = await list(where);
      expect({
        argument,
        data,
        errors: errors?.map((e) => ({ code: e.extensions?.code, argument: (e.extensions as { argument?: string } | undefined)?.argument })),
      }).toEqual({
        argument,
        data: null,
        errors: [{ code: 'BAD_USER_INPUT', argument }],
      });
    }
    // A NUL is text like any other: `contains` finds it on the store as the matcher does.
    await ingest.db
      .collection<{ _id: string; data: unknown; _meta: unknown }>('state_glyph')
      .insertMany(['a\u0000b', '\u0000'].map((name, i) => ({ _id: `n${i}`, data: { name }, _meta: meta })));
    expect((await list({ name: { contains: '\u0000' } })).data).toEqual({ glyphs: { edges: [{ node: { id: 'n0' } }, { node: { id: 'n1' } }] } });
    expect((await list({ name: { contains: 'a\u0000b' } })).data).toEqual({ glyphs: { edges: [{ node: { id: 'n0' } }] } });
    // Well-formed text is compared as stored: the replacement character is only itself.
    expect((await list({ name: { eq: '\uFFFD' } })).data).toEqual({ glyphs: { edges: [{ node: { id: 'g0-\uFFFD' } }] } });
    expect((await list({ name: { contains: '\uD83D\uDE00' } })).data).toEqual({ glyphs: { edges: [{ node: { id: 'g1-\uD83D\uDE00' } }] } });
  });

  it("aggregates read paths in the metric definitions' syntax; an unknown or list-crossing path is BAD_USER_INPUT naming it", async () => {
    const crossing = await api.query('{ ordersAggregate(measure: "line_items.price") { sum } }');
    expect(crossing.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('"line_items[*].price"') });
    const unknown = await api.query('{ ordersAggregate(groupBy: ["customer.nope"]) { count } }');
    expect(unknown.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringMatching(/groupBy\[0\]: "customer\.nope".*no field "nope"/),
    });
    const perElement = await api.query<{ ordersAggregate: { count: number }[] }>('{ ordersAggregate(measure: "line_items[*].price") { count sum min max } }');
    expect(perElement.errors).toBeUndefined();
    expect(perElement.data!.ordersAggregate.length).toBeGreaterThan(0);
  });

  it('resolves a relation by id from a numeric or string reference, and not to a deleted entity', async () => {
    // customer's key is its serial id: the customers above are "1", "2" and "3". Customer 3 is deleted now.
    await produce(kafka, customersTopic, [pgChange({ op: 'd', key: { id: 3 }, lsn: 300, before: { id: 3, email: EMAILS[2] } })]);
    applied += 1;
    await ingest.waitForOutcomes(applied);
    const shipment = {
      type: 'object',
      properties: {
        customer_id: { type: 'integer', 'x-canonql-ref': { subject: 'customer', as: 'customer' } },
        customer_key: { type: 'string', 'x-canonql-ref': { subject: 'customer', as: 'keyed' } },
      },
    };
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "shipment", schema: $s) { version } }', { s: shipment });
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    await ingest.db
      .collection<{ _id: string }>('state_shipment')
      .insertMany([1, 2, 3, 9].map((id) => ({ _id: `s${id}`, data: { customer_id: id, customer_key: String(id) }, _meta: meta })));
    const { data } = await api.query<Record<string, { customer: unknown; keyed: unknown }>>(
      `{ ${[1, 2, 3, 9].map((id) => `s${id}: shipment(id: "s${id}") { customer { id name } keyed { id _meta { deleted } } }`).join(' ')} }`,
    );
    expect(data).toEqual({
      s1: { customer: { id: '1', name: 'Customer 1' }, keyed: { id: '1', _meta: { deleted: false } } },
      s2: { customer: { id: '2', name: 'Customer 2' }, keyed: { id: '2', _meta: { deleted: false } } },
      // Deleted: not shown, as by any other field (and as order(id) without includeDeleted).
      s3: { customer: null, keyed: null },
      s9: { customer: null, keyed: null },
    });
  });

  it('resolves a relation by an object-valued field, to a subject whose name sorts after the referring one', async () => {
    const code = { type: 'object', properties: { region: { type: 'string' }, n: { type: 'integer' } } };
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "site", schema: $s) { version } }', {
      s: { type: 'object', properties: { code, name: { type: 'string' } } },
    });
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s) { version } }', {
      s: { type: 'object', properties: { site_code: { ...code, 'x-canonql-ref': { subject: 'site', by: 'code', as: 'site' } } } },
    });
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    await ingest.db.collection<{ _id: string; data: unknown; _meta: unknown }>('state_site').insertMany([
      { _id: 'eu-1', data: { code: { region: 'eu', n: 1 }, name: 'Europe one' }, _meta: meta },
      { _id: 'eu-2', data: { code: { region: 'eu', n: 2 }, name: 'Europe two' }, _meta: meta },
    ]);
    await ingest.db.collection<{ _id: string; data: unknown; _meta: unknown }>('state_parcel').insertMany([
      { _id: 'p1', data: { site_code: { region: 'eu', n: 1 } }, _meta: meta },
      { _id: 'p2', data: { site_code: { region: 'eu', n: 2 } }, _meta: meta },
      { _id: 'p3', data: { site_code: { region: 'us', n: 1 } }, _meta: meta },
      // The same keys in another order: another value to the store, so it refers to no site.
      { _id: 'p4', data: { site_code: { n: 1, region: 'eu' } }, _meta: meta },
    ]);
    const { data } = await api.query<Record<string, { site: unknown }>>(
      '{ a: parcel(id: "p1") { site { id name } } b: parcel(id: "p2") { site { id name } } c: parcel(id: "p3") { site { id } } }',
    );
    expect(data).toEqual({ a: { site: { id: 'eu-1', name: 'Europe one' } }, b: { site: { id: 'eu-2', name: 'Europe two' } }, c: { site: null } });
    // Alone or in one batch with p1's equal-but-reordered code, p4's answer is the store's.
    const alone = await api.query<Record<string, { site: unknown }>>('{ d: parcel(id: "p4") { site { id } } }');
    const together = await api.query<Record<string, { site: unknown }>>('{ a: parcel(id: "p1") { site { id } } d: parcel(id: "p4") { site { id } } }');
    expect(alone.data).toEqual({ d: { site: null } });
    expect(together.data).toEqual({ a: { site: { id: 'eu-1' } }, d: { site: null } });
  });

  it('filters and sorts by a canonical field named `id`, which the entity shows as its `id`', async () => {
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "gizmo", schema: $s) { version } }', {
      s: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    });
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    await ingest.db
      .collection<{ _id: string; data: unknown; _meta: unknown; _k: unknown }>('state_gizmo')
      .insertMany([9, 10, 42].map((n, i) => ({ _id: `key-${i}`, data: { id: n, name: `g${n}` }, _k: orderKeysOf({ id: n }), _meta: meta })));
    const { data, errors } = await api.query<{ eq: unknown; sorted: unknown; none: unknown }>(
      '{ eq: gizmos(where: { id: { eq: 42 } }) { edges { node { id name } } } sorted: gizmos(orderBy: { field: id, direction: DESC }) { edges { node { id } } } none: gizmos(where: { id: { isNull: true } }) { totalCount } }',
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      eq: { edges: [{ node: { id: 42, name: 'g42' } }] },
      // By the field's value (an Int), not by the key's text.
      sorted: { edges: [{ node: { id: 42 } }, { node: { id: 10 } }, { node: { id: 9 } }] },
      none: { totalCount: 0 },
    });
  });

  it('serves an integer with `format: int64` as Long: values beyond 32 bits out, in filters and in sorts', async () => {
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "ledger", schema: $s) { version } }', {
      s: { type: 'object', properties: { seq: { type: 'integer', format: 'int64' }, small: { type: 'integer' } } },
    });
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    const rows = [
      { key: 'a', seq: 4_999_999_999, small: 1 },
      { key: 'b', seq: 5_000_000_000, small: 2 },
      { key: 'c', seq: 9_007_199_254_740_991, small: 3 },
    ];
    await ingest.db
      .collection<{ _id: string; data: unknown; _meta: unknown; _k: unknown }>('state_ledger')
      .insertMany(rows.map(({ key, ...data }) => ({ _id: key, data, _k: orderKeysOf(data), _meta: meta })));
    const { data, errors } = await api.query<Record<string, unknown>>(
      'query($min: Long) { over: ledgers(where: { seq: { gte: $min } }, orderBy: { field: seq, direction: DESC }) { edges { node { id seq } } } one: ledger(id: "b") { seq small } }',
      { min: '5000000000' },
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      over: { edges: [{ node: { id: 'c', seq: 9_007_199_254_740_991 } }, { node: { id: 'b', seq: 5_000_000_000 } }] },
      one: { seq: 5_000_000_000, small: 2 },
    });
  });

  it('answers an Int or Long value its scalar cannot hold (stored from a source) as a VALUE_OUT_OF_RANGE field error, the rest of the entity served', async () => {
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "tally", schema: $s) { version } }', {
      s: {
        type: 'object',
        properties: {
          big: { type: 'integer', format: 'int64' },
          small: { type: 'integer' },
          counts: { type: 'array', items: { type: 'integer', format: 'int64' } },
          label: { type: 'string' },
        },
      },
    });
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    const data = { big: 2 ** 53 + 2, small: 2 ** 31, counts: [1, 1e20], label: 'x' };
    await ingest.db
      .collection<{ _id: string; data: unknown; _meta: unknown; _k: unknown }>('state_tally')
      .insertOne({ _id: 't1', data, _k: orderKeysOf(data), _meta: meta });
    const { data: answer, errors } = await api.query('{ tally(id: "t1") { label big small counts } }');
    expect(answer).toEqual({ tally: { label: 'x', big: null, small: null, counts: [1, null] } });
    expect(errors?.map((e) => ({ path: (e as { path?: unknown }).path, code: e.extensions?.code, message: e.message }))).toEqual([
      { path: ['tally', 'big'], code: 'VALUE_OUT_OF_RANGE', message: 'Tally.big: 9007199254740994 is beyond what a Long holds exactly (±9007199254740991)' },
      {
        path: ['tally', 'small'],
        code: 'VALUE_OUT_OF_RANGE',
        message: 'Tally.small: 2147483648 is beyond a 32-bit Int (-2147483648 to 2147483647); "format": "int64" serves it as a Long',
      },
      {
        path: ['tally', 'counts', 1],
        code: 'VALUE_OUT_OF_RANGE',
        message: 'Tally.counts[1]: 100000000000000000000 is beyond what a Long holds exactly (±9007199254740991)',
      },
    ]);
  });

  it('resolves a relation on a list of references to the list of entities, each in its place', async () => {
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "item", schema: $s) { version } }', {
      s: { type: 'object', properties: { sku: { type: 'string' }, name: { type: 'string' } } },
    });
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "bundle", schema: $s) { version } }', {
      s: {
        type: 'object',
        properties: {
          item_skus: { type: 'array', items: { type: 'string' }, 'x-canonql-ref': { subject: 'item', by: 'sku', as: 'items' } },
          item_ids: { type: 'array', items: { type: ['integer', 'string'] }, 'x-canonql-ref': { subject: 'item', as: 'members' } },
        },
      },
    });
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    await ingest.db.collection<{ _id: string; data: unknown; _meta: unknown }>('state_item').insertMany([
      { _id: '1', data: { sku: 'a', name: 'Apple' }, _meta: meta },
      { _id: '2', data: { sku: 'b', name: 'Banana' }, _meta: meta },
      { _id: '3', data: { sku: 'c', name: 'Cherry' }, _meta: { ...meta, deleted: true } },
    ]);
    await ingest.db.collection<{ _id: string; data: unknown; _meta: unknown }>('state_bundle').insertMany([
      { _id: 'b1', data: { item_skus: ['b', 'a', 'zz', 'c', 'a'], item_ids: [2, '1', 9, 3] }, _meta: meta },
      { _id: 'b2', data: { item_skus: [] }, _meta: meta },
    ]);
    const { data, errors } = await api.query<Record<string, unknown>>(
      '{ b1: bundle(id: "b1") { items { id name } members { id } } b2: bundle(id: "b2") { items { id } members { id } } }',
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      b1: {
        items: [{ id: '2', name: 'Banana' }, { id: '1', name: 'Apple' }, null, null, { id: '1', name: 'Apple' }],
        members: [{ id: '2' }, { id: '1' }, null, null],
      },
      b2: { items: [], members: null },
    });
  });

  it('resolves a relation by a field inside an object of the related subject (`by: "contact.email"`)', async () => {
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "depot", schema: $s) { version } }', {
      s: { type: 'object', properties: { contact: { type: 'object', properties: { email: { type: 'string' }, phone: { type: 'string' } } } } },
    });
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "crate", schema: $s) { version } }', {
      s: { type: 'object', properties: { depot_email: { type: 'string', 'x-canonql-ref': { subject: 'depot', by: 'contact.email', as: 'depot' } } } },
    });
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    await ingest.db.collection<{ _id: string; data: unknown; _meta: unknown }>('state_depot').insertMany([
      { _id: 'd1', data: { contact: { email: 'north@x.io', phone: '1' } }, _meta: meta },
      { _id: 'd2', data: { contact: { email: 'south@x.io', phone: '2' } }, _meta: meta },
    ]);
    await ingest.db.collection<{ _id: string; data: unknown; _meta: unknown }>('state_crate').insertMany([
      { _id: 'c1', data: { depot_email: 'north@x.io' }, _meta: meta },
      { _id: 'c2', data: { depot_email: 'south@x.io' }, _meta: meta },
      { _id: 'c3', data: { depot_email: 'east@x.io' }, _meta: meta },
    ]);
    const { data, errors } = await api.query<Record<string, unknown>>(
      '{ c1: crate(id: "c1") { depot { id } } c2: crate(id: "c2") { depot { id contact { email phone } } } c3: crate(id: "c3") { depot { id } } }',
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({ c1: { depot: { id: 'd1' } }, c2: { depot: { id: 'd2', contact: { email: 'south@x.io', phone: '2' } } }, c3: { depot: null } });
  });

  it('serves a subject registered at run time over HTTP and websockets, without a restart', async () => {
    const probe = '{ __type(name: "Product") { name fields { name } } }';
    expect((await api.query<{ __type: null }>(probe)).data!.__type).toBeNull();
    const product = { type: 'object', properties: { sku: { type: 'string' }, price: { type: 'string', 'x-canonql-type': 'Decimal' } } };
    await api.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "product", schema: $s) { version } }', { s: product });
    const http = await api.query<{ __type: { fields: { name: string }[] } }>(probe);
    expect(http.data!.__type.fields.map((f) => f.name)).toEqual(['id', 'sku', 'price', '_meta']);
    expect((await api.query<{ products: { totalCount: number } }>('{ products { totalCount } }')).data!.products.totalCount).toBe(0);

    const client = createClient({ url: api.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const viaWs = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: probe }, { next: (value) => resolve(value), error: reject, complete: () => undefined });
      });
      expect(viaWs).toMatchObject({ data: { __type: { name: 'Product' } } });
    } finally {
      await client.dispose();
    }
  });
});
