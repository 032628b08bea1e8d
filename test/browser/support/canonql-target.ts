import { DEMO_QUERY } from '../../../src/graphql/demo-query';
import { startApiHarness } from '../../support/api-harness';
import { mongoChange, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile } from '../../support/ingestion-harness';
import { testKafka, uniqueName } from '../../support/test-env';
import type { ExplorerTarget } from './explorer-suite';

/**
 * The real canonql GraphQL endpoint (with its explorer) over real ingestion: an order exists
 * before the page loads, and the subscription's event is a new order produced to Kafka.
 */
export async function startCanonqlTarget(): Promise<ExplorerTarget> {
  const kafka = testKafka();
  const topic = uniqueName('raw.mongo.orders');
  const ingest = await startIngestionHarness([specFromFile('order.json', topic)]);
  const order = (n: number, orderId: string) =>
    mongoChange({
      op: 'c',
      id: { $oid: n.toString(16).padStart(24, '0') },
      tsMs: 1_700_000_000_000 + n,
      ord: 1,
      after: { orderId, customer: { email: 'explorer@x.io' }, items: [{ sku: 'sku-1' }] },
    });
  await produce(kafka, topic, [order(1, 'o-first')]);
  await ingest.waitForOutcomes(1);
  const api = await startApiHarness(ingest.db, { canonicalTopicPrefix: ingest.topicPrefix });
  return {
    baseUrl: new URL(api.url).origin,
    endpointPath: '/graphql',
    defaultQuery: DEMO_QUERY,
    isExpectedQueryData: (data) => (data as { orders?: { totalCount?: number } }).orders?.totalCount === 1,
    subscription: {
      document: 'subscription { orderChanged { op node { order_id } } }',
      async triggerEvent() {
        await produce(kafka, topic, [order(2, 'o-live')]);
      },
      isExpectedEventData: (data) => (data as { orderChanged?: { node?: { order_id?: string } } }).orderChanged?.node?.order_id === 'o-live',
    },
    async stop() {
      await api.stop();
      await ingest.stop();
    },
  };
}
