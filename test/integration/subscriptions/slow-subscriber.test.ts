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
/** Every payload carries this much text, so an unbounded backlog would show in the heap at once. */
const PAD = 'x'.repeat(3000);
const QUERY = 'subscription { orderChanged { eventId key version node { line_items { sku } } } }';
/** The server's bound: frames handed to a socket and not written out (docs/operations.md, backpressure). */
const MAX_UNWRITTEN = 1000;

/**
 * The most changes that can be needed before the slow subscriber overflows, whatever the kernel
 * makes of its socket buffers: until the server's bound is reached, the kernel holds at most the
 * client's receive buffer and the server's send buffer, each at most its sysctl maximum (Linux
 * autotunes them up to that; 32 MiB + 4 MiB here). The load stops as soon as the server has ended
 * the subscriber, so this is only a bound that cannot be too small, never the expected amount.
 */
function overflowBound(payloadBytes: number): number {
  const maxOf = (file: string, fallback: number) => {
    try {
      return Number(fs.readFileSync(file, 'utf8').trim().split(/\s+/).pop());
    } catch {
      return fallback;
    }
  };
  const kernelBytes = maxOf('/proc/sys/net/ipv4/tcp_rmem', 64 * 2 ** 20) + maxOf('/proc/sys/net/ipv4/tcp_wmem', 64 * 2 ** 20);
  return MAX_UNWRITTEN + Math.ceil(kernelBytes / payloadBytes) + 1000;
}

jest.setTimeout(600_000);

/**
 * A subscriber that stops reading its socket under load: the server ends it with the coded error
 * SUBSCRIBER_TOO_SLOW and closes its connection with 4413, other subscribers go on, and the
 * server's heap stays bounded (measured after full collections while the load runs: what the slow
 * subscriber held is released when it is closed; the bound allows 12 MiB for 1000 × 3 KB
 * payloads). The server runs in a process of its own (heap-measured-app.ts), so its heap holds
 * nothing of the suites that ran before in this jest worker. Changes are produced until the server
 * has ended the slow subscriber (at most {@link overflowBound}), so the case does not depend on
 * the kernel's socket buffers. The websocket keep-alive is off here: a client that reads nothing
 * answers no ping, and the keep-alive (CANONQL_WS_KEEPALIVE_MS, 12 s) would end it with 1006
 * before a loaded machine has pushed enough changes through to overflow it. Ends with the shared
 * checker.
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
      CANONQL_WS_KEEPALIVE_MS: '0',
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
    // Changes until the server ends the slow subscriber (its warning carries the code), at most the bound.
    const bound = overflowBound(PAD.length);
    const ended = () => app.output().includes(`"code":"SUBSCRIBER_TOO_SLOW"`);
    let produced = 1;
    while (!ended() && produced < bound) {
      const count = Math.min(100, bound - produced);
      await produce(
        kafka,
        rawTopic,
        Array.from({ length: count }, (_, i) => change(produced + i)),
      );
      produced += count;
      // Paced by the pipeline (the fast subscriber at most 200 changes behind), so the count at which
      // the server ends the slow subscriber is about what it had been sent by then.
      await waitFor('the fast subscriber to keep up', () => ended() || fastReceived >= produced - 1 - 200, { timeoutMs: 240_000, intervalMs: 50 });
    }
    await waitFor(`the server to end the slow subscriber (${produced} changes produced, bound ${bound})`, ended, { timeoutMs: 240_000, intervalMs: 200 });
    // It reads again within the 30 s ws gives a peer to take the close frame before destroying the
    // socket (a client that never reads again sees 1006 then; the server is freed either way).
    slow.resume();
    console.log(`[measure] the slow subscriber was ended after ${produced} changes (bound ${bound})`);
    await waitFor('the fast subscriber to receive every change', () => fastReceived >= produced - 1, { timeoutMs: 240_000, intervalMs: 500 });
    const { peak, samples } = await app.peak();

    // The slow client, reading again, found the coded error, then the close code.
    await waitFor('the slow socket to be closed', () => closeCode !== null, { timeoutMs: 60_000 });
    expect(closeCode).toBe(WS_CLOSE_SUBSCRIBER_TOO_SLOW);
    const error = slowMessages.find((m) => m.type === 'error');
    expect(error?.payload).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBSCRIBER_TOO_SLOW' }) })]);
    // It got less than everything (it was cut off), the fast one everything.
    expect(slowMessages.filter((m) => m.type === 'next').length).toBeLessThan(produced - 1);
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
    const rawLog = new Map([[0, Array.from({ length: produced }, (_, n) => ({ key: oid(n % KEYS), version: Math.floor(n / KEYS) + 1 }))]]);
    const offsets = createOffsetSampler({ kafka, db, subject: 'order', groupId, rawTopic, rawLog });
    expect(await offsets.sample()).toBe(true);
    const expected = expectedModel(produced, KEYS);
    for (const entry of expected.values()) (entry.data.line_items as unknown[]).push({ sku: PAD });
    expectReliable(await checkReliability({ kafka, db, canonicalTopic: `${prefix}order`, offsets, model: { subject: 'order', expected } }));
  });
});
