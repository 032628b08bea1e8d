import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startApiHarness, type ApiHarness } from '../../support/api-harness';
import { mongoChange, oid, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

let tick = 0;
const change = (k: number, email: string) =>
  mongoChange({
    op: 'u',
    id: { $oid: oid(k) },
    tsMs: 1_700_000_000_000 + (tick += 1) * 10,
    ord: 1,
    after: { orderId: `o-${k}`, customer: { email }, items: [] },
  });

interface Received {
  op: string;
  resyncReason: string | null;
  key: string | null;
  version: number | null;
  cursor: string;
  node: { customer: { email: string } } | null;
}
const SUBSCRIPTION = `subscription($after: String, $where: OrderWhere, $snapshot: Boolean) {
  orderChanged(after: $after, where: $where, includeSnapshot: $snapshot) { op resyncReason key version cursor node { customer { email } } }
}`;

/** A graphql-ws client collecting the payloads of one subscription. */
function subscribe(client: Client, variables: Record<string, unknown> = {}) {
  const received: Received[] = [];
  const stop = client.subscribe<{ orderChanged: Received }>(
    { query: SUBSCRIPTION, variables },
    {
      next: (value) => {
        if (value.data) received.push(value.data.orderChanged);
      },
      error: (error) => {
        throw error;
      },
      complete: () => undefined,
    },
  );
  return { received, stop };
}

describe('GraphQL change-feed subscriptions over graphql-ws', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.mongo.orders');
  const leftovers = createLeftovers();
  let ingest: IngestionHarness;
  const apis: ApiHarness[] = [];
  let produced = 0;
  const send = async (messages: ReturnType<typeof change>[]) => {
    await produce(kafka, topic, messages);
    produced += messages.length;
    await ingest.waitForOutcomes(produced);
  };

  async function startApi(): Promise<ApiHarness> {
    const api = await startApiHarness(ingest.db, { canonicalTopicPrefix: ingest.topicPrefix });
    leftovers.add(() => api.stop());
    apis.push(api);
    return api;
  }
  const client = (api: ApiHarness) => {
    const c = createClient({ url: api.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    leftovers.add(async () => {
      await c.dispose();
    });
    return c;
  };

  beforeAll(async () => {
    ingest = await startIngestionHarness([specFromFile('order.json', topic)]);
    leftovers.add(() => ingest.stop());
    await send(
      [0, 1, 2].map((k) =>
        mongoChange({
          op: 'c',
          id: { $oid: oid(k) },
          tsMs: 1_699_999_999_000,
          ord: k + 1,
          after: { orderId: `o-${k}`, customer: { email: 'start@x.io' }, items: [] },
        }),
      ),
    );
    await startApi();
    await startApi();
  });
  afterAll(() => leftovers.dispose());

  it('streams live changes in order per entity, filtered by where', async () => {
    const all = subscribe(client(apis[0]!));
    const onlyOne = subscribe(client(apis[0]!), { where: { id: { eq: oid(1) } } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send([change(0, 'a1@x.io'), change(1, 'b1@x.io'), change(0, 'a2@x.io'), change(1, 'b2@x.io')]);
    await waitFor('4 live changes', () => all.received.length >= 4);
    await waitFor('2 filtered changes', () => onlyOne.received.length >= 2);
    const of = (key: string) => all.received.filter((r) => r.key === key).map((r) => r.node!.customer.email);
    expect(of(oid(0))).toEqual(['a1@x.io', 'a2@x.io']);
    expect(of(oid(1))).toEqual(['b1@x.io', 'b2@x.io']);
    expect(onlyOne.received.map((r) => r.node!.customer.email)).toEqual(['b1@x.io', 'b2@x.io']);
    expect(all.received.every((r) => r.op === 'UPDATE' && typeof r.cursor === 'string')).toBe(true);
    all.stop();
    onlyOne.stop();
  });

  it('a client reconnecting with its last cursor gets exactly the 500 events it missed, then live ones', async () => {
    const first = subscribe(client(apis[0]!));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send([change(2, 'before@x.io')]);
    await waitFor('the event before the disconnect', () => first.received.length >= 1);
    first.stop();
    const lastCursor = first.received.at(-1)!.cursor;

    const missed = Array.from({ length: 500 }, (_, i) => change(i % 3, `missed-${i}@x.io`));
    await send(missed);
    const resumed = subscribe(client(apis[1]!), { after: lastCursor });
    await waitFor('the 500 missed events', () => resumed.received.length >= 500, { timeoutMs: 60000 });
    await send([change(0, 'live@x.io')]);
    await waitFor('the live event after catch-up', () => resumed.received.length >= 501);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resumed.received.map((r) => r.node!.customer.email)).toEqual([...Array.from({ length: 500 }, (_, i) => `missed-${i}@x.io`), 'live@x.io']);
    resumed.stop();
  });

  it('signals RESYNC for a cursor older than what Kafka retains, then streams live', async () => {
    const first = subscribe(client(apis[0]!));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send([change(0, 'old@x.io')]);
    await waitFor('an event to take a cursor from', () => first.received.length >= 1);
    first.stop();
    const oldCursor = first.received[0]!.cursor;
    await send([change(1, 'gone-1@x.io'), change(2, 'gone-2@x.io')]);
    // Retention: delete every record of the canonical topic up to its end.
    const admin = kafka.admin();
    await admin.connect();
    const topicName = `${ingest.topicPrefix}order`;
    const offsets = await admin.fetchTopicOffsets(topicName);
    await admin.deleteTopicRecords({ topic: topicName, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
    await admin.disconnect();

    const resumed = subscribe(client(apis[0]!), { after: oldCursor });
    await waitFor('the RESYNC signal', () => resumed.received.length >= 1);
    expect(resumed.received[0]).toMatchObject({ op: 'RESYNC', resyncReason: 'RETENTION', node: null });
    expect(typeof resumed.received[0]!.cursor).toBe('string');
    await send([change(0, 'after-resync@x.io')]);
    await waitFor('a live event after RESYNC', () => resumed.received.length >= 2);
    expect(resumed.received[1]!.node!.customer.email).toBe('after-resync@x.io');
    resumed.stop();
    const malformed = subscribe(client(apis[0]!), { after: 'not-a-cursor' });
    await waitFor('the RESYNC of a malformed cursor', () => malformed.received.length >= 1);
    expect(malformed.received[0]).toMatchObject({ op: 'RESYNC', resyncReason: 'MALFORMED_CURSOR' });
    malformed.stop();
  });

  it('snapshot-then-stream under concurrent writes: the client view ends equal to the store', async () => {
    const writes = (async () => {
      for (let i = 0; i < 10; i += 1) await send([change(i % 3, `concurrent-${i}@x.io`)]);
    })();
    const snap = subscribe(client(apis[1]!), { snapshot: true });
    await writes;
    const view = new Map<string, { version: number; email: string }>();
    await waitFor(
      'the client to converge on the store',
      async () => {
        for (const item of snap.received.splice(0)) {
          if (!item.key || !item.node) continue;
          const known = view.get(item.key);
          if (!known || (item.version ?? 0) > known.version) view.set(item.key, { version: item.version ?? 0, email: item.node.customer.email });
        }
        const stored = await ingest.db.collection('state_order').find({ '_meta.deleted': false }).toArray();
        return (
          stored.length === view.size &&
          stored.every((doc) => view.get(String(doc._id))?.email === doc.data.customer.email && view.get(String(doc._id))?.version === doc._meta.version)
        );
      },
      { timeoutMs: 30000 },
    );
    snap.stop();
  });

  it('identical live subscriptions share one execution per event, across sockets', async () => {
    const api = apis[0]!;
    const before = api.app.subscriptions!.started;
    const sockets = [client(api), client(api), client(api), client(api)];
    const subs = Array.from({ length: 40 }, (_, i) => subscribe(sockets[i % 4]!, { where: { id: { eq: oid(2) } } }));
    const resuming = subscribe(sockets[0]!, { where: { id: { eq: oid(2) } }, after: null, snapshot: true });
    await new Promise((resolve) => setTimeout(resolve, 800));
    await send([change(2, 'shared@x.io')]);
    await waitFor('all 40 subscribers', () => subs.every((s) => s.received.some((r) => r.node?.customer.email === 'shared@x.io')));
    // 40 identical live subscriptions: one execution; the snapshot one is its own.
    expect(api.app.subscriptions!.started - before).toBe(1);
    for (const s of subs) expect(s.received.map((r) => r.node?.customer.email)).toEqual(['shared@x.io']);
    for (const s of [...subs, resuming]) s.stop();
    await waitFor('the shared execution to end with its last member', () => api.app.subscriptions!.executions === 0);
  });

  it("shows each event's related entity as it is at that event, not as the subscription first read it", async () => {
    const customers = ingest.db.collection<{ _id: string; data: Record<string, unknown>; _meta: Record<string, unknown> }>('state_customer');
    const meta = { version: 1, deleted: false, updatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000, position: {}, specId: 't', specVersion: 1 };
    await customers.insertOne({ _id: 'rel-1', data: { customerId: 'rel-1', email: 'rel@x.io', name: 'Before', tier: 'gold' }, _meta: meta });
    const received: { account: { name: string } | null }[] = [];
    const stop = client(apis[0]!).subscribe<{ orderChanged: { node: { customer: { account: { name: string } | null } } } }>(
      { query: `subscription { orderChanged(where: { id: { eq: "${oid(2)}" } }) { node { customer { account { name } } } } }` },
      {
        next: (value) => {
          if (value.data) received.push(value.data.orderChanged.node.customer);
        },
        error: (error) => {
          throw error;
        },
        complete: () => undefined,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send([change(2, 'rel@x.io')]);
    await waitFor('the first change', () => received.length >= 1);
    await customers.updateOne({ _id: 'rel-1' }, { $set: { 'data.name': 'After' } });
    await send([change(2, 'rel@x.io')]);
    await waitFor('the second change', () => received.length >= 2);
    await customers.deleteOne({ _id: 'rel-1' });
    await send([change(2, 'rel@x.io')]);
    await waitFor('the third change', () => received.length >= 3);
    expect(received).toEqual([{ account: { name: 'Before' } }, { account: { name: 'After' } }, { account: null }]);
    stop();
  });

  it('a filtered subscription is sent the change that moves an entity out of its filter, and none after it', async () => {
    const filtered = subscribe(client(apis[0]!), { where: { customer: { email: { eq: 'in@x.io' } } } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send([change(1, 'in@x.io'), change(1, 'out@x.io'), change(1, 'elsewhere@x.io'), change(1, 'in@x.io')]);
    await waitFor('three changes', () => filtered.received.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // In, leaving (its after image no longer matches: the client drops it), back in; never the one outside before and after.
    expect(filtered.received.map((r) => r.node!.customer.email)).toEqual(['in@x.io', 'out@x.io', 'in@x.io']);
    filtered.stop();
  });

  it('every API process delivers every event to its own subscribers', async () => {
    const onFirst = subscribe(client(apis[0]!));
    const onSecond = subscribe(client(apis[1]!));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await send(Array.from({ length: 20 }, (_, i) => change(i % 3, `both-${i}@x.io`)));
    await waitFor('20 events on both', () => onFirst.received.length >= 20 && onSecond.received.length >= 20);
    expect(onSecond.received.map((r) => r.key)).toEqual(onFirst.received.map((r) => r.key));
    onFirst.stop();
    onSecond.stop();
  });
});
