import fs from 'node:fs';
import {
  Kafka,
  logLevel,
  type Admin,
  type AdminConfig,
  type Consumer,
  type ConsumerConfig,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { AppError, ErrorCode, isAppError } from '../errors';
import type { Logger } from '../logger';
import { isTlsFailure } from './tls-failure';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** What a client needs to reach the cluster; sasl/ssl absent means none (tooling built before them). */
export type KafkaSettings = {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** null or absent: no SASL. The password is never logged. */
  readonly sasl?: KafkaSasl | null;
  /** null or absent: plaintext. The files are read when a client is created. */
  readonly ssl?: KafkaTls | null;
};

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
export interface KafkaSasl {
  readonly mechanism: KafkaSaslMechanism;
  readonly username: string;
  readonly password: string;
}
export interface KafkaTls {
  readonly caFile: string | null;
  readonly certFile: string | null;
  readonly keyFile: string | null;
  readonly rejectUnauthorized: boolean;
}

/**
 * The connection options (brokers, TLS, SASL) of every kafkajs client in the codebase: the service,
 * the tests and the benchmarks, so all of them reach a managed cluster with the same settings.
 * Certificate files are read here, at client creation, so a rotated file is picked up on restart.
 */
export function kafkaConnection(settings: KafkaSettings): Pick<KafkaConfig, 'clientId' | 'brokers' | 'ssl' | 'sasl'> {
  const options: Pick<KafkaConfig, 'clientId' | 'brokers' | 'ssl' | 'sasl'> = { clientId: settings.clientId, brokers: [...settings.brokers] };
  if (settings.ssl) {
    const { caFile, certFile, keyFile, rejectUnauthorized } = settings.ssl;
    options.ssl = {
      rejectUnauthorized,
      // Without a CA file Node's bundled public CAs apply (MSK, Confluent Cloud certificates).
      ...(caFile ? { ca: [fs.readFileSync(caFile, 'utf8')] } : {}),
      ...(certFile && keyFile ? { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') } : {}),
    };
  }
  if (settings.sasl) {
    const { mechanism, username, password } = settings.sasl;
    // kafkajs types each mechanism separately; the three we accept share one shape.
    options.sasl = { mechanism, username, password } as KafkaConfig['sasl'];
  }
  return options;
}

/** One kafkajs client per process, logging through our structured logger. */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  const hide = secretScrubber(settings);
  return new SecuredKafka(settings, {
    ...kafkaConnection(settings),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        log[LEVELS[level] ?? 'info']({ namespace, ...extra }, hide(message));
      },
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

/**
 * kafkajs with one addition: a failed connect() of any admin, producer or consumer is reported
 * with our codes when retrying cannot help (refused credentials, no TLS session), so startup with
 * a wrong password stops at once with KAFKA_AUTH_FAILED instead of a bare kafkajs error.
 */
class SecuredKafka extends Kafka {
  private tlsChecked: Promise<void> | null = null;

  constructor(
    private readonly settings: KafkaSettings,
    private readonly config: KafkaConfig,
  ) {
    super(config);
  }

  override admin(config?: AdminConfig): Admin {
    return this.mapConnectErrors(super.admin(config));
  }

  override producer(config?: ProducerConfig): Producer {
    return this.mapConnectErrors(super.producer(config));
  }

  override consumer(config: ConsumerConfig): Consumer {
    return this.mapConnectErrors(super.consumer(config));
  }

  /**
   * With TLS on, the first connect of this client makes one attempt without retries before the
   * retrying one: kafkajs retries every connection error, a failed handshake too, so a wrong CA or
   * a refused client certificate would otherwise surface only after its whole retry budget (~30 s).
   * A handshake that fails is final (KAFKA_TLS_FAILED at once); a broker that does not answer is
   * left to the retrying connect. One success per client instance is enough.
   */
  private checkTls(): Promise<void> {
    if (!this.settings.ssl) return Promise.resolve();
    this.tlsChecked ??= singleAttempt(this.config, this.settings).catch((error: unknown) => {
      this.tlsChecked = null;
      throw error;
    });
    return this.tlsChecked;
  }

  private mapConnectErrors<T extends { connect(): Promise<void> }>(client: T): T {
    const connect = client.connect.bind(client);
    client.connect = async () => {
      try {
        await this.checkTls();
        await connect();
      } catch (error) {
        throw isAppError(error) ? error : kafkaConnectError(error, this.settings);
      }
    };
    return client;
  }
}

async function singleAttempt(config: KafkaConfig, settings: KafkaSettings): Promise<void> {
  const admin = new Kafka({ ...config, logLevel: logLevel.NOTHING, logCreator: undefined, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
  } catch (error) {
    const mapped = kafkaConnectError(error, settings);
    if (isAppError(mapped)) throw mapped;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Translates a kafkajs connect failure: SASL refusal → KAFKA_AUTH_FAILED (naming the user and the
 * brokers, never the password), TLS failure → KAFKA_TLS_FAILED; anything else is returned as is
 * (the caller's retry policy judges ordinary unavailability).
 */
export function kafkaConnectError(error: unknown, settings: KafkaSettings): unknown {
  const chain = causes(error);
  const hide = secretScrubber(settings);
  const brokers = settings.brokers.join(',');
  const sasl = chain.find((e) => e.name === 'KafkaJSSASLAuthenticationError');
  if (sasl) {
    const user = settings.sasl ? ` for user "${settings.sasl.username}"` : '';
    const mechanism = settings.sasl ? settings.sasl.mechanism.toUpperCase() : 'SASL';
    return new AppError(
      ErrorCode.KAFKA_AUTH_FAILED,
      `SASL ${mechanism} authentication failed${user} on ${brokers} (check KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD): ${hide(sasl.message)}`,
      { cause: error, retriable: false },
    );
  }
  const tls = chain.find(isTlsFailure);
  if (tls && settings.ssl) {
    return new AppError(ErrorCode.KAFKA_TLS_FAILED, `TLS to ${brokers} failed (check KAFKA_SSL_CA_FILE and the broker host names): ${hide(tls.message)}`, {
      cause: error,
      retriable: false,
    });
  }
  return error;
}

type ErrorLike = { name: string; message: string; code?: string };

/** The error and what it wraps (Error.cause, kafkajs's originalError on retries exceeded). */
function causes(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (current instanceof Error && chain.length < 10) {
    chain.push(current as ErrorLike);
    const next = current as Error & { originalError?: unknown };
    current = next.originalError ?? next.cause;
  }
  return chain;
}

/** Masks the SASL password wherever a message could carry it (logs, errors). */
function secretScrubber(settings: KafkaSettings): (text: string) => string {
  const password = settings.sasl?.password;
  return (text) => (password ? String(text).split(password).join('***') : text);
}
