/**
 * The subscribers of the subscription benchmark, in a child process of their own: BENCH_SOCKETS
 * graphql-ws clients (one websocket each, package `graphql-ws` over `ws`), each multiplexing
 * BENCH_SUBSCRIPTIONS / BENCH_SOCKETS subscriptions of
 * `orderChanged { op key node { order_id } }` (or BENCH_SUBSCRIPTION_FIELD / BENCH_STAMP_FIELD:
 * `<field> { op key node { <stamp field> } }`). The same client code talks to canonql and to the
 * baseline broadcast server.
 *
 * Every order id carries its produce time (`o-<epoch ms with µs fraction>-<n>`, warm-up events
 * `w-...`); latency = receive time − produce time on the same machine clock
 * (performance.timeOrigin + performance.now(), comparable across processes), kept in a 0.1 ms
 * histogram so millions of deliveries cost no memory.
 */
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { cpuSeconds, serveCommands } from './bench-common';

const url = process.env.BENCH_WS_URL!;
const SOCKETS = Number(process.env.BENCH_SOCKETS);
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS);
const FIELD = process.env.BENCH_SUBSCRIPTION_FIELD ?? 'orderChanged';
const STAMP = process.env.BENCH_STAMP_FIELD ?? 'order_id';
const QUERY = `subscription { ${FIELD} { op key node { ${STAMP} } } }`;

const BUCKET_MS = 0.1;
const histogram = new Uint32Array(120_000 / BUCKET_MS + 1);
let measured = 0;
let maxLatency = 0;
let sumLatency = 0;
let lastDeliveryAt = 0;
const perSubscription = new Uint32Array(SUBSCRIPTIONS);
const warmed = new Uint8Array(SUBSCRIPTIONS);
let warmedCount = 0;
let errors = 0;
let completed = 0;
const errorMessages = new Map<string, number>();
const clients: Client[] = [];
const disposers: (() => void)[] = [];
let connectedSockets = 0;

const now = () => performance.timeOrigin + performance.now();

function onPayload(index: number, orderId: string | undefined) {
  if (!orderId) return;
  const at = now();
  const kind = orderId.charCodeAt(0);
  const sentAt = Number(orderId.slice(2, orderId.indexOf('-', 2)));
  if (kind === 119 /* w */) {
    if (!warmed[index]) {
      warmed[index] = 1;
      warmedCount += 1;
    }
    return;
  }
  const latency = at - sentAt;
  lastDeliveryAt = at;
  measured += 1;
  perSubscription[index] += 1;
  sumLatency += latency;
  if (latency > maxLatency) maxLatency = latency;
  histogram[Math.min(histogram.length - 1, Math.max(0, Math.round(latency / BUCKET_MS)))] += 1;
}

function histogramPercentile(p: number): number {
  if (measured === 0) return NaN;
  const rank = Math.ceil((p / 100) * measured);
  let seen = 0;
  for (let i = 0; i < histogram.length; i += 1) {
    seen += histogram[i]!;
    if (seen >= rank) return i * BUCKET_MS;
  }
  return maxLatency;
}

async function open() {
  const perSocket = Math.ceil(SUBSCRIPTIONS / SOCKETS);
  const layout: number[] = [];
  await Promise.all(
    Array.from(
      { length: SOCKETS },
      (_, s) =>
        new Promise<void>((resolve, reject) => {
          const client = createClient({
            url,
            webSocketImpl: WebSocket,
            retryAttempts: 0,
            lazy: false,
            keepAlive: 0,
            on: {
              connected: () => {
                connectedSockets += 1;
                resolve();
              },
              error: reject,
            },
          });
          clients.push(client);
          const first = s * perSocket;
          const count = Math.max(0, Math.min(perSocket, SUBSCRIPTIONS - first));
          layout.push(count);
          for (let i = first; i < first + count; i += 1) {
            disposers.push(
              client.subscribe<Record<string, { node: Record<string, string> | null }>>(
                { query: QUERY },
                {
                  next: (value) => onPayload(i, value.data?.[FIELD]?.node?.[STAMP]),
                  error: (error) => {
                    errors += 1;
                    const message = Array.isArray(error)
                      ? String((error as { message?: string }[])[0]?.message)
                      : error instanceof Error
                        ? error.message
                        : String((error as { reason?: string }).reason ?? error);
                    errorMessages.set(message, (errorMessages.get(message) ?? 0) + 1);
                  },
                  complete: () => {
                    completed += 1;
                  },
                },
              ),
            );
          }
        }),
    ),
  );
  return { sockets: connectedSockets, subscriptions: disposers.length, subscriptionsPerSocket: layout };
}

serveCommands(
  {
    open: () => open(),
    warm: () => ({ warmed: warmedCount }),
    reset: () => {
      histogram.fill(0);
      perSubscription.fill(0);
      measured = 0;
      maxLatency = 0;
      sumLatency = 0;
      lastDeliveryAt = 0;
      return { cpuSeconds: cpuSeconds() };
    },
    count: () => ({ measured, errors, completed }),
    report: () => {
      let min = Infinity;
      let max = 0;
      for (const n of perSubscription) {
        if (n < min) min = n;
        if (n > max) max = n;
      }
      return {
        measured,
        errors,
        completed,
        errorMessages: Object.fromEntries(errorMessages),
        perSubscription: { min, max },
        latencyMs: {
          p50: histogramPercentile(50),
          p90: histogramPercentile(90),
          p99: histogramPercentile(99),
          max: maxLatency,
          mean: measured ? sumLatency / measured : NaN,
        },
        lastDeliveryAt,
        cpuSeconds: cpuSeconds(),
      };
    },
  },
  async () => {
    for (const dispose of disposers) dispose();
    await Promise.all(clients.map((c) => c.dispose()));
  },
);
process.send!({ type: 'ready', pid: process.pid });
