import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pino from 'pino';
import { LOCAL_SCRAM_USER } from '../../../infra/stack/kafka-scram';
import { LOCAL_SASL_SSL_BROKERS, LOCAL_SSL_BROKERS, localTlsFiles } from '../../../infra/stack/kafka-tls';
import { stackPaths } from '../../../infra/stack/stack-config';
import type { Config } from '../../../src/config';
import { AppError } from '../../../src/errors';
import { createKafka } from '../../../src/infra/kafka';
import { ensureTopics } from '../../../src/infra/kafka-topics';
import { startAppUnderTest, type AppUnderTest } from '../../support/app-under-test';
import { parcelRoundTrip } from '../../support/parcel-round-trip';
import { createLeftovers, testConfig, uniqueName } from '../../support/test-env';

/**
 * Kafka over TLS end to end, against the local broker's TLS listeners (infra/stack/kafka-tls.ts):
 * a whole canonql whose every Kafka client goes through the SSL listener with mutual TLS, or
 * through the SASL_SSL listener trusting the stack's CA (KAFKA_SSL_CA_FILE), ingests Debezium
 * events produced there and serves them; a CA that did not sign the broker's certificate, or no
 * client certificate where one is required, stops at once with KAFKA_TLS_FAILED.
 */
const describeLocal = testConfig.usesLocalStack ? describe : describe.skip;
const ROOT = path.join(__dirname, '..', '..', '..');

describeLocal('Kafka over TLS (the local broker listeners on 19095 and 19096)', () => {
  const tls = localTlsFiles(stackPaths());
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  const mutualTls = {
    KAFKA_BROKERS: LOCAL_SSL_BROKERS,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: tls.caFile,
    KAFKA_SSL_CERT_FILE: tls.clientCertFile,
    KAFKA_SSL_KEY_FILE: tls.clientKeyFile,
  };
  const caAndScram = {
    KAFKA_BROKERS: LOCAL_SASL_SSL_BROKERS,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: tls.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: LOCAL_SCRAM_USER.username,
    KAFKA_SASL_PASSWORD: LOCAL_SCRAM_USER.password,
  };
  // Naming KAFKA_BROKERS makes config treat the servers as external: pin the test stack's store.
  const withStore = (env: Record<string, string>) => ({ ...env, MONGODB_URI: testConfig.mongo.uri });

  async function ingestAndServe(label: string, env: Record<string, string>, kafka: Config['kafka']): Promise<void> {
    const producerKafka = createKafka(kafka, pino({ level: 'silent' }));
    const topic = uniqueName(`raw.pg.tls_${label}`);
    await ensureTopics(producerKafka, [{ topic, numPartitions: 1 }]);
    const target: AppUnderTest = await startAppUnderTest(`kafka-tls-${label}`, withStore(env));
    leftovers.add(() => target.stop());
    expect(await parcelRoundTrip(target, producerKafka, topic, `tls-parcels-${label}`)).toEqual([
      { parcelId: '1', carrier: 'fedex' },
      { parcelId: '2', carrier: 'ups' },
    ]);
    await target.stop();
  }

  it('ingests and serves through the SSL listener with mutual TLS (client certificate and key)', async () => {
    await ingestAndServe('mtls', mutualTls, {
      brokers: [LOCAL_SSL_BROKERS],
      clientId: 'canonql-test-tls',
      sasl: null,
      ssl: { caFile: tls.caFile, certFile: tls.clientCertFile, keyFile: tls.clientKeyFile, rejectUnauthorized: true },
    });
  });

  it('ingests and serves through the SASL_SSL listener trusting the stack CA (KAFKA_SSL_CA_FILE) with SCRAM', async () => {
    await ingestAndServe('ca', caAndScram, {
      brokers: [LOCAL_SASL_SSL_BROKERS],
      clientId: 'canonql-test-tls',
      sasl: { mechanism: 'scram-sha-256', username: LOCAL_SCRAM_USER.username, password: LOCAL_SCRAM_USER.password },
      ssl: { caFile: tls.caFile, certFile: null, keyFile: null, rejectUnauthorized: true },
    });
  });

  it('refuses to start without a client certificate where the listener requires one: KAFKA_TLS_FAILED', async () => {
    let caught: unknown;
    try {
      const app = await startAppUnderTest(
        'kafka-tls-no-cert',
        withStore({ KAFKA_BROKERS: LOCAL_SSL_BROKERS, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: tls.caFile }),
      );
      leftovers.add(() => app.stop());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('KAFKA_TLS_FAILED');
    expect((caught as AppError).retriable).toBe(false);
    expect((caught as AppError).message).toContain(LOCAL_SSL_BROKERS);
    // How fast it fails is measured in a child process (below), not in this shared worker.
  });

  it('fails a wrong CA, or a missing client certificate, at the first connection with KAFKA_TLS_FAILED (timed in a child process: well under the ~30 s retries took)', () => {
    const timings: { listener: string; ms: number }[] = [];
    const noClientCertificate = { KAFKA_BROKERS: LOCAL_SSL_BROKERS, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: tls.caFile };
    for (const [what, env] of [
      ['wrong CA', { ...mutualTls, KAFKA_SSL_CA_FILE: tls.untrustedCaFile }],
      ['wrong CA', { ...caAndScram, KAFKA_SSL_CA_FILE: tls.untrustedCaFile }],
      ['no client certificate', noClientCertificate],
    ] as const) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'support', 'kafka-first-connect.ts')], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60000,
        env: { ...process.env, ...withStore(env), CANONQL_MODE: 'test' },
      });
      expect(child.status).toBe(0);
      const result = JSON.parse(child.stdout.trim()) as { ms: number; code: string | null; message: string };
      expect({ what, code: result.code }).toEqual({ what, code: 'KAFKA_TLS_FAILED' });
      if (what === 'wrong CA') expect(result.message).toMatch(/certificate/);
      expect(result.message).toContain(env.KAFKA_BROKERS);
      // kafkajs' retries took ~30 s before: a third of that is a margin no load reaches, and no retry fits in it.
      expect(result.ms).toBeLessThan(10_000);
      timings.push({ listener: `${what} ${env.KAFKA_BROKERS}`, ms: result.ms });
    }
    console.log(`[measure] -> KAFKA_TLS_FAILED: ${timings.map((t) => `${t.listener} ${t.ms} ms`).join(', ')}`);
  });
});
