import http from 'node:http';
import net from 'node:net';
import { createSchemaRegistryClient } from '../../../src/infra/schema-registry-client';
import { createBatchDecoder } from '../../../src/ingestion/registry/registry-decoder';
import type { RawRecord } from '../../../src/ingestion/debezium/decode-record';

/**
 * A registry nobody answers at (a closed local port): the client gives up after its bounded tries
 * with SCHEMA_REGISTRY_UNAVAILABLE, and the batch decoder makes that the outcome of exactly the
 * records needing the schema, beside a JSON topic's record and a record without the magic byte.
 */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const record = (topic: string, value: Buffer, offset: string): RawRecord => ({ topic, partition: 0, offset, key: null, value });

describe('schema registry client and batch decoder, registry unreachable', () => {
  it('retries a bounded number of times, then every record needing the schema gets SCHEMA_REGISTRY_UNAVAILABLE', async () => {
    const port = await closedPort();
    const tries: number[] = [];
    const client = createSchemaRegistryClient({
      url: `http://127.0.0.1:${port}/registry`,
      retryPolicy: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2, factor: 1 },
      logger: { warn: (fields: { attempt: number }) => tries.push(fields.attempt) } as never,
    });
    await expect(client.schemaById(7)).rejects.toMatchObject({ code: 'SCHEMA_REGISTRY_UNAVAILABLE', retriable: true });
    expect(tries).toEqual([1, 2]);

    const decoder = createBatchDecoder({ formatOf: (topic) => (topic === 'a' ? 'avro' : 'json'), registryOf: (topic) => (topic === 'a' ? client : null) });
    const wire = Buffer.from([0, 0, 0, 0, 7, 2, 4]);
    const entries = await decoder.decodeBatch([
      record('a', wire, '1'),
      record('a', Buffer.from('{"op":"c"}'), '2'),
      record('j', Buffer.from(JSON.stringify({ id: 1, name: 'row' })), '3'),
      record('a', wire, '4'),
    ]);
    expect(entries.map((e) => (e.decoded ? e.decoded.kind : (e.error as { code: string }).code))).toEqual([
      'SCHEMA_REGISTRY_UNAVAILABLE',
      'WIRE_FORMAT_INVALID',
      'change',
      'SCHEMA_REGISTRY_UNAVAILABLE',
    ]);
    expect(entries[0]!.writerSchemaId).toBe(7);
    expect(String((entries[0]!.error as Error).message)).toMatch(/^a\[0\]@1: schema registry http:\/\/127\.0\.0\.1:\d+\/registry\/: unreachable/);
  });

  it('does not retry a failed TLS session: SCHEMA_REGISTRY_TLS_FAILED at the first try, naming the CA file', async () => {
    // An https URL at a plain HTTP port: the handshake fails as every later one would.
    const server = http.createServer((_request, response) => response.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const tries: number[] = [];
      const client = createSchemaRegistryClient({
        url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}/registry`,
        caFile: '/etc/registry/ca.pem',
        retryPolicy: { attempts: 5, initialDelayMs: 1, maxDelayMs: 2, factor: 1 },
        logger: { warn: (fields: { attempt: number }) => tries.push(fields.attempt) } as never,
      });
      const failure = client.schemaById(7);
      await expect(failure).rejects.toMatchObject({ code: 'SCHEMA_REGISTRY_TLS_FAILED', retriable: false, details: { caFile: '/etc/registry/ca.pem' } });
      await expect(failure).rejects.toThrow(
        /^schema registry https:\/\/127\.0\.0\.1:\d+\/registry\/: no TLS session \(.+\): its certificate must be signed by the CA file \/etc\/registry\/ca\.pem/,
      );
      expect(tries).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
