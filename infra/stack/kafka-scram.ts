import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { run, waitUntil } from './processes';
import { PORTS, REPO_ROOT, type StackPaths } from './stack-config';

/**
 * The local broker's SASL/SCRAM listener, so SASL settings (the ones a managed cluster such as MSK
 * needs) are exercised against a real broker: a SASL_PLAINTEXT listener on its own port beside the
 * PLAINTEXT one everything else uses, and one SCRAM user with both SHA-256 and SHA-512 credentials.
 * Inter-broker and controller traffic stay PLAINTEXT. The password is a fixed LOCAL-ONLY value:
 * this listener binds 127.0.0.1 and guards nothing but a development stack.
 */
export const LOCAL_SCRAM_USER = Object.freeze({ username: 'canonql', password: 'canonql-local-only-scram' });

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

export const LOCAL_SASL_BROKERS = `${PORTS.host}:${PORTS.kafkaSaslPort}`;

/** Broker settings of the listener (merged into listeners/advertised.listeners by the service). */
export const SASL_LISTENER = `SASL_PLAINTEXT://${PORTS.host}:${PORTS.kafkaSaslPort}`;
export function saslListenerProperties(): string[] {
  return [
    `sasl.enabled.mechanisms=${SCRAM_MECHANISMS.join(',')}`,
    // The broker side of SCRAM needs the login module but no credentials of its own: it checks
    // clients against the credentials stored in the cluster metadata.
    ...SCRAM_MECHANISMS.map(
      (m) => `listener.name.sasl_plaintext.${m.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    ),
  ];
}

/** Logs in on the SASL listener with one mechanism: 'ok', 'refused' (no such credential yet) or throws. */
export async function scramLogin(mechanism: ScramMechanism, password: string = LOCAL_SCRAM_USER.password): Promise<'ok' | 'refused'> {
  const admin = new Kafka({
    brokers: [LOCAL_SASL_BROKERS],
    sasl: { mechanism: mechanism.toLowerCase() as 'scram-sha-256', username: LOCAL_SCRAM_USER.username, password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return 'ok';
  } catch (error) {
    if ((error as Error).name === 'KafkaJSSASLAuthenticationError') return 'refused';
    throw error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Makes sure the SCRAM user can log in with both mechanisms; adds the missing credentials through
 * the PLAINTEXT listener with Kafka's own ConfigCommand (kafka-configs). Idempotent: a broker that
 * already knows the user (stored in the KRaft metadata log, so across restarts) costs two logins.
 */
export async function ensureScramUser(paths: StackPaths, timeoutMs: number): Promise<'present' | 'added'> {
  const missing: ScramMechanism[] = [];
  await waitUntil(
    'Kafka SASL/SCRAM listener',
    async () => {
      missing.length = 0;
      for (const mechanism of SCRAM_MECHANISMS) if ((await scramLogin(mechanism)) === 'refused') missing.push(mechanism);
      return true;
    },
    { timeoutMs, logFile: paths.logFile('kafka') },
  );
  if (missing.length === 0) return 'present';
  // One mechanism per request: the broker refuses two credential changes of one user in one call.
  for (const mechanism of missing) {
    run('java', [
      '-cp',
      path.join(paths.kafkaLibs, '*'),
      `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'infra', 'config', 'log4j2-quiet.properties')}`,
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      `${PORTS.host}:${PORTS.kafkaPort}`,
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      LOCAL_SCRAM_USER.username,
      '--add-config',
      `${mechanism}=[password=${LOCAL_SCRAM_USER.password}]`,
    ]);
  }
  // Credentials travel through the metadata log to the listener: wait until both log in.
  await waitUntil(
    'Kafka SCRAM user',
    async () => {
      for (const mechanism of SCRAM_MECHANISMS) if ((await scramLogin(mechanism)) !== 'ok') return false;
      return true;
    },
    { timeoutMs, logFile: paths.logFile('kafka') },
  );
  return 'added';
}
