import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { MongoServerError, MongoServerSelectionError } from 'mongodb';
import { AppError } from '../../../src/errors';
import { kafkaConnectError, type KafkaSettings } from '../../../src/infra/kafka';
import { mongoConnectError, redact } from '../../../src/infra/mongo';

/** Secrets stay out of logs and errors; refused credentials and TLS failures get their own codes. */

describe('redact (MongoDB connection strings)', () => {
  it('masks the password of standard and SRV URIs, keeping the user and hosts', () => {
    expect(redact('mongodb+srv://app:p%40ss%2Fw0rd@cluster0.abcde.mongodb.net/canonql?retryWrites=true')).toBe(
      'mongodb+srv://app:***@cluster0.abcde.mongodb.net/canonql?retryWrites=true',
    );
    expect(redact('mongodb://app:secret@db1:27017,db2:27017/?replicaSet=rs0&tls=true')).toBe('mongodb://app:***@db1:27017,db2:27017/?replicaSet=rs0&tls=true');
  });

  it('masks an AWS session token among the options and leaves credential-free URIs alone', () => {
    expect(redact('mongodb+srv://AKIA:sk@c.mongodb.net/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:FwoGZX,x:y')).toBe(
      'mongodb+srv://AKIA:***@c.mongodb.net/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:***,x:y',
    );
    expect(redact('mongodb://127.0.0.1:27117/?directConnection=true')).toBe('mongodb://127.0.0.1:27117/?directConnection=true');
  });
});

describe('mongoConnectError', () => {
  const uri = 'mongodb+srv://app:hunter2@cluster0.abcde.mongodb.net/?tls=true';

  it('refused credentials: STORE_AUTH_FAILED, not retriable, naming the user and not the password', () => {
    const refused = new MongoServerError({ message: 'Authentication failed. (password hunter2 rejected)', code: 18, codeName: 'AuthenticationFailed' });
    const error = mongoConnectError(refused, uri);
    expect(error.code).toBe('STORE_AUTH_FAILED');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('user "app"');
    expect(error.message).toContain('cluster0.abcde.mongodb.net');
    expect(error.message).not.toContain('hunter2');
    expect(error.cause).toBe(refused);
  });

  it('anything else: STORE_UNAVAILABLE, retriable, URI redacted even where the driver quotes it', () => {
    const unreachable = new MongoServerSelectionError(`Server selection timed out connecting to ${uri}`, {
      type: 'Unknown',
      servers: new Map(),
      stale: false,
      compatible: true,
      heartbeatFrequencyMS: 10000,
      localThresholdMS: 15,
      setName: null,
      maxElectionId: null,
      maxSetVersion: null,
      commonWireVersion: 0,
      logicalSessionTimeoutMinutes: null,
    } as never);
    const error = mongoConnectError(unreachable, uri);
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.retriable).toBe(true);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('mongodb+srv://app:***@cluster0');
  });
});

describe('kafkaConnectError', () => {
  const settings: KafkaSettings = {
    brokers: ['b-1.msk.example:9096', 'b-2.msk.example:9096'],
    clientId: 'canonql',
    sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'hunter2' },
    ssl: { caFile: null, certFile: null, keyFile: null, rejectUnauthorized: true },
  };

  it('SASL refusal: KAFKA_AUTH_FAILED naming mechanism, user and brokers, password scrubbed', () => {
    // kafkajs's typings omit the message argument its constructor takes.
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const refused = new SaslError('SASL SCRAM SHA512 authentication failed: bad proof for hunter2');
    const error = kafkaConnectError(refused, settings) as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('KAFKA_AUTH_FAILED');
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/^SASL SCRAM-SHA-512 authentication failed for user "alice" on b-1\.msk\.example:9096,b-2\.msk\.example:9096/);
    expect(error.message).not.toContain('hunter2');
  });

  it('TLS failures behind kafkajs retries: KAFKA_TLS_FAILED', () => {
    const tls = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', {
      broker: 'b-1.msk.example:9096',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    } as never);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(tls, { retryCount: 8, retryTime: 25600 });
    const error = kafkaConnectError(exhausted, settings) as AppError;
    expect(error.code).toBe('KAFKA_TLS_FAILED');
    expect(error.message).toContain('b-1.msk.example:9096');
    // Without TLS configured the same words cannot come from our TLS: left to the caller.
    expect(kafkaConnectError(exhausted, { ...settings, ssl: null })).toBe(exhausted);
  });

  it('leaves ordinary unavailability to the retry policy: the error is returned as is', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 10.0.0.1:9096', {
      broker: 'b-1.msk.example:9096',
      code: 'ECONNREFUSED',
    } as never);
    expect(kafkaConnectError(refused, settings)).toBe(refused);
  });
});
