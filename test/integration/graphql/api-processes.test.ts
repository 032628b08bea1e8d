import net from 'node:net';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { mongoChange, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile, type IngestionHarness } from '../../support/ingestion-harness';
import { startService, type ServiceProcess } from '../../support/service-process';
import { createLeftovers, testKafka, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait-for';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/**
 * Scale-out of the API: two separate canonql processes (role api) on different ports, each with
 * its own change feed; a subscriber on each receives every event, no sticky sessions.
 */
describe('two API processes', () => {
  const kafka = testKafka();
  const topic = uniqueName('raw.mongo.orders');
  const leftovers = createLeftovers();
  let ingest: IngestionHarness;
  const processes: { service: ServiceProcess; port: number }[] = [];

  beforeAll(async () => {
    ingest = await startIngestionHarness([specFromFile('order.json', topic)]);
    leftovers.add(() => ingest.stop());
    for (let i = 0; i < 2; i += 1) {
      const port = await freePort();
      const service = startService({
        CANONQL_ROLES: 'api',
        CANONQL_HTTP_PORT: String(port),
        MONGODB_DATABASE: ingest.db.databaseName,
        CANONQL_CANONICAL_TOPIC_PREFIX: ingest.topicPrefix,
      });
      leftovers.add(() => service.kill('SIGTERM'));
      processes.push({ service, port });
    }
    for (const { port, service } of processes) {
      await waitFor(`API on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok ?? false, { timeoutMs: 60000 }).catch(
        (error: unknown) => {
          throw new Error(`${String(error)}\n${service.output.join('')}`);
        },
      );
    }
  });
  afterAll(() => leftovers.dispose());

  it('each delivers every event to its own subscriber', async () => {
    const received: string[][] = [[], []];
    processes.forEach(({ port }, i) => {
      const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
      leftovers.add(async () => {
        await client.dispose();
      });
      client.subscribe<{ orderChanged: { node: { order_id: string } } }>(
        { query: 'subscription { orderChanged { node { order_id } } }' },
        { next: (value) => received[i]!.push(value.data!.orderChanged.node.order_id), error: () => undefined, complete: () => undefined },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const events = Array.from({ length: 30 }, (_, n) =>
      mongoChange({
        op: 'c',
        id: { $oid: n.toString(16).padStart(24, '0') },
        tsMs: 1_700_000_000_000 + n,
        ord: 1,
        after: { orderId: `o-${n}`, customer: { email: 'p@x.io' }, items: [] },
      }),
    );
    await produce(kafka, topic, events);
    await waitFor('30 events on both processes', () => received[0]!.length >= 30 && received[1]!.length >= 30, { timeoutMs: 30000 });
    const expected = Array.from({ length: 30 }, (_, n) => `o-${n}`).sort();
    expect([...received[0]!].sort()).toEqual(expected);
    expect([...received[1]!].sort()).toEqual(expected);
  });
});
