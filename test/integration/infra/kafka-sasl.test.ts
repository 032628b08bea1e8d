import pino from 'pino';
import { LOCAL_SASL_BROKERS, LOCAL_SCRAM_USER } from '../../../infra/stack/kafka-scram';
import type { KafkaSaslMechanism } from '../../../src/infra/kafka';
import { AppError } from '../../../src/errors';
import { createKafka } from '../../../src/infra/kafka';
import { ensureTopics } from '../../../src/infra/kafka-topics';
import { startAppUnderTest } from '../../support/app-under-test';
import { parcelRoundTrip } from '../../support/parcel-round-trip';
import { createLeftovers, testConfig, uniqueName } from '../../support/test-env';

/**
 * Kafka behind SASL/SCRAM, the way a managed cluster (MSK, Confluent Cloud) is reached: a whole
 * canonql whose every Kafka client (admin, ingestion consumer, canonical and dead-letter producer)
 * goes through the local broker's SASL_PLAINTEXT listener ingests Debezium events produced there
 * and serves the entities; a wrong password stops startup at once with KAFKA_AUTH_FAILED.
 */

// The SASL listener and its user belong to the embedded stack; with KAFKA_BROKERS naming another
// cluster there is no such listener to test against (as in stack-restart.test.ts).
const describeLocal = testConfig.usesLocalStack ? describe : describe.skip;

const saslEnv = (mechanism: KafkaSaslMechanism, password: string) => ({
  KAFKA_BROKERS: LOCAL_SASL_BROKERS,
  KAFKA_SASL_MECHANISM: mechanism,
  KAFKA_SASL_USERNAME: LOCAL_SCRAM_USER.username,
  KAFKA_SASL_PASSWORD: password,
  // Naming KAFKA_BROKERS makes config treat the servers as external (usesLocalStack false), which
  // changes no default of the store: pin it to the test stack's store all the same.
  MONGODB_URI: testConfig.mongo.uri,
});

describeLocal('Kafka over SASL/SCRAM (the local broker listener on 19094)', () => {
  const leftovers = createLeftovers();
  afterAll(() => leftovers.dispose());

  it.each(['scram-sha-512', 'scram-sha-256'] as const)('ingests Debezium events end to end with %s', async (mechanism) => {
    const producerKafka = createKafka(
      {
        brokers: [LOCAL_SASL_BROKERS],
        clientId: 'canonql-test-sasl',
        ssl: null,
        sasl: { mechanism, username: LOCAL_SCRAM_USER.username, password: LOCAL_SCRAM_USER.password },
      },
      pino({ level: 'silent' }),
    );
    const topic = uniqueName(`raw.pg.sasl_${mechanism.replace(/-/g, '')}`);
    await ensureTopics(producerKafka, [{ topic, numPartitions: 1 }]);

    const target = await startAppUnderTest(`kafka-sasl-${mechanism}`, saslEnv(mechanism, LOCAL_SCRAM_USER.password));
    leftovers.add(() => target.stop());
    expect(await parcelRoundTrip(target, producerKafka, topic, 'sasl-parcels')).toEqual([
      { parcelId: '1', carrier: 'fedex' },
      { parcelId: '2', carrier: 'ups' },
    ]);
    await target.stop();
  });

  it('refuses to start with a wrong password: KAFKA_AUTH_FAILED at once, naming user and brokers, not the password', async () => {
    const wrong = `wrong-${uniqueName('pw')}`;
    const begun = Date.now();
    let caught: unknown;
    try {
      const app = await startAppUnderTest('kafka-sasl-wrong', saslEnv('scram-sha-512', wrong));
      leftovers.add(() => app.stop());
    } catch (error) {
      caught = error;
    }
    const seconds = (Date.now() - begun) / 1000;
    expect(caught).toBeInstanceOf(AppError);
    const error = caught as AppError;
    expect(error.code).toBe('KAFKA_AUTH_FAILED');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`user "${LOCAL_SCRAM_USER.username}"`);
    expect(error.message).toContain(LOCAL_SASL_BROKERS);
    expect(error.message).toContain('SCRAM-SHA-512');
    expect(error.message).not.toContain(wrong);
    // Not retried: refused credentials cannot succeed on a later attempt (kafkajs would otherwise
    // spend its whole retry budget, tens of seconds).
    expect(seconds).toBeLessThan(10);
  });
});
