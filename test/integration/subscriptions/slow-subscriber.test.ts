import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startHeapMeasuredApp, type HeapMeasuredApp } from '../../support/heap-measured-app-process';
import { mongoChange, produce } from '../../support/debezium-messages';
import { specFromFile } from '../../support/ingestion-harness';
import { checkReliability, createOffsetSampler } from '../../support/reliability-checker';
import { expectedModel, expectReliable, oid, sleep } from '../../support/reliability-harness';
import { createLeftovers, testKafka, testMongo, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';
import { WS_CLOSE_SUBSCRIBER_TOO_SLOW } from '../../../src/subscriptions/slow-subscriber-close';

const KEYS = 50;
const EVENTS = 6000;
/** Every payload carries this much text, so an unbounded backlog would show in the heap at once. */
const PAD = 'x'.repeat(3000);
const QUERY = 'subscription { orderChanged { eventId key version node { line_items { sku } } } }';

jest.setTimeout(240_000);

/**
 * A subscriber that stops reading its socket under load: the server ends it with the coded error
 * SUBSCRIBER_TOO_SLOW and closes its connection with 4413, other subscribers go on, and the
 * server's heap stays bounded (measured after full collections while the load runs: an unbounded
 * backlog of ~6000 × 3 KB payloads would hold about 20 MiB until the close; the bound allows 12).
 * The server runs in a process of its own (heap-measured-app.ts), so its heap holds nothing of the
 * suites that ran before in this jest worker. Ends with the shared checker.
 */
describe('reliability: a subscriber that stops reading', () => {
  const leftovers = createLeftovers();
  const kafka = testKafka();
  const rawTopic = uniqueName('raw.orders.slow');
  let app: HeapMeasuredApp;
  const groupId = uniqueName('slow-ingest');
  const prefix = `${uniqueName('canonical')}.`;

  beforeAll(async () => {
    const specsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-specs-'));
    fs.writeFileSync(path.join(specsDir, 'order.json'), JSON.stringify(specFromFile('order.json', rawTopic)));
    app = await startHeapMeasuredApp('slow-subscriber', {
      CANONQL_SPECS_DIR: specsDir,
      CANONQL_INGEST_GROUP_ID: groupId,
      CANONQL_CANONICAL_TOPIC_PREFIX: prefix,
      CANONQL_METRICS: 'false',
      CANONQL_DISCOVERY_SAMPLE_RATE: '0',
    });
    leftovers.add(() => app.stop());
    leftovers.add(async () => fs.rmSync(specsDir, { recursive: true, force: true }));
  });
  afterAll(() => leftovers.dispose());

  const change = (n: number) => {
    const k = n % KEYS;
    const v = Math.floor(n / KEYS) + 1;
    return mongoChange({
      op: v === 1 ? 'c' : 'u',
      id: { $oid: oid(k) },
      tsMs: 1_700_000_000_000 + v * 1000,
      ord: k + 1,
      after: { orderId: `o-${k}`, customer: { email: `v${v}@x.io` }, items: [{ sku: `sku-${k}-${v}` }, { sku: PAD }] },
    });
  };

  it('is disconnected with SUBSCRIBER_TOO_SLOW / 4413 while the heap stays bounded and others go on', async () => {
    const url = app.graphqlUrl.replace(/^http/, 'ws');
    await produce(kafka, rawTopic, [change(0)]); // creates the canonical topic
    await waitFor('the first change', async () => {
      const response = await fetch(app.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ orders { totalCount } }' }),
      });
      return ((await response.json()) as { data?: { orders: { totalCount: number } } }).data?.orders.totalCount === 1;
    });
    await sleep(1500);

    // The fast subscriber: a normal graphql-ws client.
    let fastReceived = 0;
    const fast = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 });
    leftovers.add(async () => {
      await fast.dispose();
    });
    fast.subscribe(
      { query: QUERY },
      {
        next: () => {
          fastReceived += 1;
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );

    // The slow one: speaks graphql-ws by hand, subscribes, then stops reading its socket.
    const slow = new WebSocket(url, 'graphql-transport-ws');
    leftovers.add(async () => slow.terminate());
    const slowMessages: { type: string; payload?: unknown }[] = [];
    let closeCode: number | null = null;
    slow.on('message', (data) => slowMessages.push(JSON.parse(String(data)) as { type: string }));
    slow.on('close', (code) => {
      closeCode = code;
    });
    await new Promise<void>((resolve) => slow.once('open', () => resolve()));
    slow.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await waitFor('connection_ack', () => slowMessages.some((m) => m.type === 'connection_ack'));
    slow.send(JSON.stringify({ id: 'slow-1', type: 'subscribe', payload: { query: QUERY } }));
    await sleep(1500);
    slow.pause();

    const baseline = await app.heap();
    app.startSampling();
    const load = (async () => {
      for (let n = 1; n < EVENTS; n += 100) {
        await produce(
          kafka,
          rawTopic,
          Array.from({ length: Math.min(100, EVENTS - n) }, (_, i) => change(n + i)),
        );
        await sleep(50);
      }
    })();
    // Well past the point where its backlog (socket buffers + 1000 queued payloads) overflowed, the
    // slow client reads again, within the 30 s ws gives a peer to take the close frame before it
    // destroys the socket (a client that never reads again sees 1006 then; the server is freed either way).
    await waitFor('the fast subscriber to be well ahead', () => fastReceived >= 2500, { timeoutMs: 120_000, intervalMs: 200 });
    slow.resume();
    await load;
    await waitFor('the fast subscriber to receive every change', () => fastReceived >= EVENTS - 1, { timeoutMs: 180_000, intervalMs: 500 });
    const { peak, samples } = await app.peak();

    // The slow client, reading again, found the coded error, then the close code.
    await waitFor('the slow socket to be closed', () => closeCode !== null, { timeoutMs: 60_000 });
    expect(closeCode).toBe(WS_CLOSE_SUBSCRIBER_TOO_SLOW);
    const error = slowMessages.find((m) => m.type === 'error');
    expect(error?.payload).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBSCRIBER_TOO_SLOW' }) })]);
    // It got less than everything (it was cut off), the fast one everything.
    expect(slowMessages.filter((m) => m.type === 'next').length).toBeLessThan(EVENTS - 1);
    const after = await app.heap();
    console.log(
      `[measure] server heap MiB after GC (own process): baseline ${baseline.toFixed(1)}, peak during load ${peak.toFixed(1)} over ${samples} samples, after ${after.toFixed(1)}`,
    );
    // What the slow subscriber held at most (released when it was closed) stays within its bound;
    // the rest of the growth is the feed's bounded recent-events cache and the consumers' buffers.
    expect(peak - after).toBeLessThan(12);
    expect(peak - baseline).toBeLessThan(64);

    // The shared checker over the stream ingested meanwhile (one raw partition: offset n is change n).
    const mongo = await testMongo();
    leftovers.add(() => mongo.close());
    const db = mongo.db(app.database);
    const rawLog = new Map([[0, Array.from({ length: EVENTS }, (_, n) => ({ key: oid(n % KEYS), version: Math.floor(n / KEYS) + 1 }))]]);
    const offsets = createOffsetSampler({ kafka, db, subject: 'order', groupId, rawTopic, rawLog });
    expect(await offsets.sample()).toBe(true);
    const expected = expectedModel(EVENTS, KEYS);
    for (const entry of expected.values()) (entry.data.line_items as unknown[]).push({ sku: PAD });
    expectReliable(await checkReliability({ kafka, db, canonicalTopic: `${prefix}order`, offsets, model: { subject: 'order', expected } }));
  });
});
