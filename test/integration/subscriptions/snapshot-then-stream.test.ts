import { stateCollectionName, type StoredEntity } from '../../../src/state/entity-store';
import { createChangeFeed, type ChangeFeed } from '../../../src/subscriptions/change-feed';
import { FeedReader, quietLogger } from '../../support/change-feed-support';
import { mongoChange, oid, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';

const ENTITIES = 300;

interface ClientEntity {
  version: number;
  data: Record<string, unknown> | null;
}

/**
 * Snapshot-then-stream against the real ingestion: the subscription starts while changes are
 * being applied, and the client's view (snapshot, then events applied by version) must end up
 * equal to the store, with every version of every entity seen exactly once and none skipped.
 */
describe('change feed: snapshot then stream', () => {
  const kafka = testKafka();
  const leftovers = createLeftovers();
  const rawTopic = uniqueName('raw.mongo.orders');
  let harness: IngestionHarness;
  let feed: ChangeFeed;
  let seq = 0;
  const change = (op: 'c' | 'u' | 'd', n: number) => {
    seq += 1;
    return mongoChange({
      op,
      id: { $oid: oid(n) },
      tsMs: 1_700_000_000_000 + seq,
      ord: 1,
      ...(op === 'd' ? {} : { after: { orderId: `o-${n}`, customer: { email: `c${n}-${seq}@x.io` }, items: [{ sku: `s${seq}` }] } }),
    });
  };

  beforeAll(async () => {
    harness = await startIngestionHarness([specFromFile('order.json', rawTopic)]);
    leftovers.add(() => harness.stop());
    await produce(
      kafka,
      rawTopic,
      Array.from({ length: ENTITIES }, (_, n) => change('c', n)),
    );
    await harness.waitForOutcomes(ENTITIES);
    // Small pages make the snapshot read many times while ingestion writes.
    feed = createChangeFeed({ kafka, db: harness.db, topicPrefix: harness.topicPrefix, logger: quietLogger(), snapshotPageSize: 10 });
    await feed.addSubject('order');
    await feed.start();
    leftovers.add(() => feed.stop());
  });
  afterAll(() => leftovers.dispose());

  it("the client's final view equals the store; no event lost or duplicated around the snapshot", async () => {
    const first = [...Array.from({ length: ENTITIES }, (_, n) => change('u', n)), ...Array.from({ length: 30 }, (_, n) => change('d', n * 7))];
    // Produced once the snapshot has begun, so some entities surely change after it; half of the
    // entities are left alone, so some surely arrive with their snapshot version only.
    const second = Array.from({ length: ENTITIES }, (_, n) => (n * 13) % ENTITIES)
      .filter((k) => k % 7 !== 0 && k < ENTITIES / 2)
      .map((k) => change('u', k));
    const writing = produce(kafka, rawTopic, first);
    // Subscribe while ingestion is applying the changes.
    await harness.waitForOutcomes(ENTITIES + 60);
    const reader = new FeedReader(feed.subscribe('order', { includeSnapshot: true }));
    await writing;

    const view = new Map<string, ClientEntity>();
    const history = new Map<string, number[]>();
    let snapshotDone = false;
    let stale = 0;
    const apply = async (timeoutMs: number) => {
      const result = await reader.nextWithin(timeoutMs);
      if (result === 'timeout' || result.done) return false;
      const item = result.value;
      if (item.kind === 'snapshot') {
        expect(snapshotDone).toBe(false);
        expect(view.has(item.key)).toBe(false);
        view.set(item.key, { version: item.version, data: item.data });
        history.set(item.key, [item.version]);
      } else if (item.kind === 'event') {
        snapshotDone = true;
        const { key, version, op, after } = item.event;
        history.set(key, [...(history.get(key) ?? []), version]);
        if (version <= (view.get(key)?.version ?? 0)) stale += 1;
        else view.set(key, { version, data: op === 'DELETE' ? null : after });
      } else {
        throw new Error(`unexpected ${item.kind}`);
      }
      return true;
    };

    expect(await apply(30000)).toBe(true); // the first snapshot item: the snapshot's start is fixed
    await produce(kafka, rawTopic, second);
    await harness.waitForOutcomes(ENTITIES + first.length + second.length);
    const store = await harness.db.collection<StoredEntity>(stateCollectionName('order')).find({}).toArray();
    const expected = new Map(store.filter((e) => !e._meta.deleted).map((e) => [e._id, e.data]));
    const expectedVersions = new Map(store.map((e) => [e._id, e._meta.version]));
    const deadline = Date.now() + 30000;
    const current = () => new Map([...view].filter(([, e]) => e.data !== null).map(([key, e]) => [key, e.data]));
    while (Date.now() < deadline && ![...expectedVersions].every(([key, v]) => view.get(key)?.version === v || (!expected.has(key) && !view.has(key)))) {
      await apply(deadline - Date.now());
    }
    while (await apply(300)); // anything left over would be a duplicate

    expect(current()).toEqual(expected);
    expect(stale).toBe(0);
    // Each entity: the snapshot version (or none), then every later version once, in order.
    for (const [key, versions] of history) {
      const first = versions[0]!;
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => first + i));
      expect(versions[versions.length - 1]).toBe(expectedVersions.get(key));
    }
    // The subscription really started mid-stream: some entities came with their changes after.
    expect([...history.values()].some((v) => v.length > 1)).toBe(true);
    expect([...history.values()].some((v) => v.length === 1 && v[0]! > 1)).toBe(true);
    await reader.iterator.return!();
  });

  it('sends only the entities the snapshot filter keeps', async () => {
    const wanted = new Set([oid(1), oid(2), oid(3)]);
    const reader = new FeedReader(
      feed.subscribe('order', {
        includeSnapshot: true,
        snapshotFilter: (data) => wanted.has(`${'0'.repeat(21)}${Number(String(data.order_id).slice(2)).toString(16).padStart(3, '0')}`),
      }),
    );
    const items = await reader.take(3);
    expect(items.map((i) => (i.kind === 'snapshot' ? i.key : i.kind)).sort()).toEqual([...wanted].sort());
    await reader.expectQuiet(300);
    await reader.iterator.return!();
  });
});
