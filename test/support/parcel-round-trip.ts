import type { Kafka } from 'kafkajs';
import type { AppUnderTest } from './app-under-test';
import { pgChange, produce } from './debezium-messages';
import { waitFor } from './wait-for';

/**
 * One round trip through a whole canonql for the secured-Kafka tests (SASL, TLS): registers the
 * `parcel` subject and a spec over `topic`, produces two creates and an update as Debezium
 * PostgreSQL changes with `producerKafka` (connected the way under test), and returns the parcels
 * the API serves once both are ingested, sorted by id.
 */
export async function parcelRoundTrip(target: AppUnderTest, producerKafka: Kafka, topic: string, mappingId: string) {
  await target.ok('mutation($s: JSON!) { registerCanonicalSchema(subject: "parcel", schema: $s) { version } }', {
    s: { type: 'object', properties: { parcelId: { type: 'string' }, carrier: { type: 'string' } }, required: ['parcelId'] },
  });
  await target.ok('mutation($s: JSON!) { registerMappingSpec(spec: $s, activate: true) { version } }', {
    s: {
      mappingId,
      version: 1,
      source: { type: 'kafka', topic },
      target: { subject: 'parcel' },
      key: { source: true },
      fieldMappings: [
        { src: '$.id', dst: '$.parcelId', transform: 'string' },
        { src: '$.carrier', dst: '$.carrier' },
      ],
    },
  });
  await produce(producerKafka, topic, [
    pgChange({ op: 'c', key: { id: 1 }, after: { id: 1, carrier: 'dhl' }, lsn: 10, table: 'parcels' }),
    pgChange({ op: 'c', key: { id: 2 }, after: { id: 2, carrier: 'ups' }, lsn: 11, table: 'parcels' }),
    pgChange({ op: 'u', key: { id: 1 }, before: { id: 1, carrier: 'dhl' }, after: { id: 1, carrier: 'fedex' }, lsn: 12, table: 'parcels' }),
  ]);
  const parcels = await waitFor(
    `both parcels of ${topic} ingested`,
    async () => {
      const data = await target.ok<{ parcels: { totalCount: number; edges: { node: { parcelId: string; carrier: string } }[] } }>(
        '{ parcels { totalCount edges { node { parcelId carrier } } } }',
      );
      const nodes = data.parcels.edges.map((e) => e.node);
      return nodes.some((n) => n.carrier === 'fedex') && data.parcels.totalCount === 2 ? nodes : undefined;
    },
    { timeoutMs: 60000 },
  );
  return parcels.sort((a, b) => a.parcelId.localeCompare(b.parcelId));
}
