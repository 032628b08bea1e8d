import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Env } from '../../../src/config';
import { AppError } from '../../../src/errors';
import { kafkaConnection } from '../../../src/infra/kafka';

/** Settings for managed Kafka (SASL, TLS) and MongoDB (TLS CA): parsing and every-problem validation. */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-managed-'));
const file = (name: string, content: string) => {
  const full = path.join(dir, name);
  fs.writeFileSync(full, content);
  return full;
};
const CA = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
const CERT = file('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
const KEY = file('client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function problemsOf(env: Env): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFIG_INVALID');
    return (error as AppError).details as string[];
  }
  return [];
}

const kafkaProblems = (env: Env) => problemsOf(env).filter((p) => /KAFKA_S|MONGODB_TLS/.test(p));

describe('managed Kafka settings', () => {
  it('are off by default: no SASL, no TLS, no store CA', () => {
    const config = loadConfig({});
    expect(config.kafka.sasl).toBeNull();
    expect(config.kafka.ssl).toBeNull();
    expect(config.mongo.tlsCAFile).toBeNull();
    expect(kafkaConnection(config.kafka)).toEqual({ clientId: 'canonql', brokers: ['127.0.0.1:19092'] });
  });

  it('reads SCRAM over TLS (MSK style): mechanism in any case, password exactly as given', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'b-1.msk.example:9096,b-2.msk.example:9096',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'alice',
      KAFKA_SASL_PASSWORD: ' s3cret ',
      KAFKA_SSL: 'true',
    });
    expect({ ...config.kafka.sasl }).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: ' s3cret ' });
    expect(config.kafka.ssl).toEqual({ caFile: null, certFile: null, keyFile: null, rejectUnauthorized: true });
    expect(kafkaConnection(config.kafka)).toEqual({
      clientId: 'canonql',
      brokers: ['b-1.msk.example:9096', 'b-2.msk.example:9096'],
      ssl: { rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: ' s3cret ' },
    });
  });

  it('reads a private CA and a client certificate (mutual TLS) into the client options', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'kafka.internal:9093',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: CA,
      KAFKA_SSL_CERT_FILE: CERT,
      KAFKA_SSL_KEY_FILE: KEY,
    });
    expect(config.kafka.ssl).toEqual({ caFile: CA, certFile: CERT, keyFile: KEY, rejectUnauthorized: true });
    const options = kafkaConnection(config.kafka);
    expect(options.ssl).toEqual({
      rejectUnauthorized: true,
      ca: [fs.readFileSync(CA, 'utf8')],
      cert: fs.readFileSync(CERT, 'utf8'),
      key: fs.readFileSync(KEY, 'utf8'),
    });
    expect(options.sasl).toBeUndefined();
  });

  it('lists every problem of half-configured security at once', () => {
    expect(
      kafkaProblems({
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SSL: 'yes',
        KAFKA_SSL_REJECT_UNAUTHORIZED: 'maybe',
        KAFKA_SSL_CA_FILE: path.join(dir, 'missing.pem'),
        KAFKA_SSL_CERT_FILE: CERT,
      }),
    ).toEqual([
      'KAFKA_SASL_MECHANISM=scram-sha-256 needs KAFKA_SASL_USERNAME',
      'KAFKA_SASL_MECHANISM=scram-sha-256 needs KAFKA_SASL_PASSWORD',
      'KAFKA_SSL must be true or false',
      'KAFKA_SSL_REJECT_UNAUTHORIZED must be true or false',
      `KAFKA_SSL_CA_FILE "${path.join(dir, 'missing.pem')}" is not a readable file`,
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS)',
      'KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE set but KAFKA_SSL is not true',
    ]);
  });

  it('refuses unsupported mechanisms by name, and credentials without a mechanism', () => {
    expect(kafkaProblems({ KAFKA_SASL_MECHANISM: 'AWS_MSK_IAM', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b' })).toEqual([
      'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512 (got "aws_msk_iam"; AWS IAM and OAUTHBEARER are not supported)',
    ]);
    expect(kafkaProblems({ KAFKA_SASL_USERNAME: 'key' })).toEqual(['KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is empty']);
    expect(kafkaProblems({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: dir })).toEqual([`KAFKA_SSL_CA_FILE "${dir}" is not a readable file`]);
  });

  it('in production refuses a clear-text PLAIN password and trusting any certificate; PLAIN over TLS is fine', () => {
    const plain = { CANONQL_MODE: 'production', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'key', KAFKA_SASL_PASSWORD: 'secret' };
    expect(kafkaProblems(plain)).toEqual(['KAFKA_SASL_MECHANISM=plain sends the password in clear text: production needs KAFKA_SSL=true']);
    expect(kafkaProblems({ ...plain, KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' })).toEqual([
      'KAFKA_SSL_REJECT_UNAUTHORIZED=false is refused in production mode',
    ]);
    expect(kafkaProblems({ ...plain, KAFKA_SSL: 'true' })).toEqual([]);
    // Development allows both (a local SASL_PLAINTEXT listener, a self-signed test broker).
    expect(kafkaProblems({ ...plain, CANONQL_MODE: 'development', KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' })).toEqual([]);
  });

  it('never serializes the SASL password (log lines, error details)', () => {
    const config = loadConfig({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'hunter2-secret' });
    const json = JSON.stringify(config);
    expect(json).not.toContain('hunter2-secret');
    expect(JSON.parse(json).kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: '***' });
    expect(config.kafka.sasl!.password).toBe('hunter2-secret');
    expect(Object.isFrozen(config.kafka.sasl)).toBe(true);
  });
});

describe('managed MongoDB settings', () => {
  it('takes TLS and credentials from the URI, a private CA from MONGODB_TLS_CA_FILE', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb+srv://app:pw@cluster0.abcde.mongodb.net/?retryWrites=true&w=majority', MONGODB_TLS_CA_FILE: CA });
    expect(config.mongo.tlsCAFile).toBe(CA);
    expect(loadConfig({ MONGODB_URI: 'mongodb://db:27017/?replicaSet=rs0&tls=true', MONGODB_TLS_CA_FILE: CA }).mongo.tlsCAFile).toBe(CA);
  });

  it('refuses a CA file when the URI does not turn TLS on, or when it cannot be read', () => {
    expect(kafkaProblems({ MONGODB_URI: 'mongodb://db:27017/', MONGODB_TLS_CA_FILE: CA })).toEqual([
      'MONGODB_TLS_CA_FILE is set but MONGODB_URI does not turn TLS on (add tls=true, or use mongodb+srv://)',
    ]);
    expect(kafkaProblems({ MONGODB_URI: 'mongodb://db:27017/?tls=true', MONGODB_TLS_CA_FILE: path.join(dir, 'nope.pem') })).toEqual([
      `MONGODB_TLS_CA_FILE "${path.join(dir, 'nope.pem')}" is not a readable file`,
    ]);
  });
});
