import fs from 'node:fs';
import path from 'node:path';
import type tls from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import { run } from './processes';
import { PORTS, type StackPaths } from './stack-config';
import { LOCAL_SCRAM_USER, SCRAM_MECHANISMS } from './kafka-scram';

/**
 * The local broker's TLS listeners, so TLS settings (KAFKA_SSL_CA_FILE, mutual TLS) are exercised
 * against a real broker:
 *   SSL      127.0.0.1:19095  TLS with a client certificate required (mutual TLS)
 *   SASL_SSL 127.0.0.1:19096  TLS (server certificate only) + the SCRAM user of the SASL listener
 * A private CA, the broker's certificate (SAN IP:127.0.0.1 and DNS:localhost) and one client
 * certificate are generated with openssl on the first `up` into `<stack dir>/tls/` and kept (a
 * later `up` generates nothing). A second CA that signed nothing (`untrusted-ca.pem`) is there for
 * the wrong-CA case. LOCAL-ONLY material: the keystore password is fixed and the keys unencrypted.
 */
export const LOCAL_SSL_BROKERS = `${PORTS.host}:${PORTS.kafkaSslPort}`;
export const LOCAL_SASL_SSL_BROKERS = `${PORTS.host}:${PORTS.kafkaSaslSslPort}`;

const KEYSTORE_PASSWORD = 'canonql-local-only-tls';
const VALID_DAYS = '3650';

export interface LocalTlsFiles {
  readonly dir: string;
  /** The CA that signed the broker and client certificates (KAFKA_SSL_CA_FILE). */
  readonly caFile: string;
  /** A client certificate and its key for the mutual-TLS listener (KAFKA_SSL_CERT_FILE / KEY_FILE). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A CA that signed nothing the broker presents: trusting only it must fail the handshake. */
  readonly untrustedCaFile: string;
  /** The broker's key and certificate chain (PKCS#12). */
  readonly brokerKeystore: string;
  /**
   * The same server certificate (PEM, signed by `caFile`, SAN IP:127.0.0.1 and DNS:localhost) and
   * its key: the tests' HTTPS servers (a source schema registry over TLS) present them too.
   */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
}

export function localTlsFiles(paths: StackPaths): LocalTlsFiles {
  const dir = path.join(paths.stateDir, 'tls');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    clientCertFile: path.join(dir, 'client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    untrustedCaFile: path.join(dir, 'untrusted-ca.pem'),
    brokerKeystore: path.join(dir, 'broker.p12'),
    serverCertFile: path.join(dir, 'broker.pem'),
    serverKeyFile: path.join(dir, 'broker.key'),
  };
}

function openssl(args: string[], cwd: string): void {
  run('openssl', args, { cwd });
}

function selfSignedCa(cwd: string, name: string, subject: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      VALID_DAYS,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-subj',
      subject,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    cwd,
  );
}

function signedCertificate(cwd: string, name: string, subject: string, extensions: string): void {
  fs.writeFileSync(path.join(cwd, `${name}.ext`), extensions);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], cwd);
  openssl(
    [
      'x509',
      '-req',
      '-sha256',
      '-days',
      VALID_DAYS,
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ],
    cwd,
  );
  fs.rmSync(path.join(cwd, `${name}.csr`));
  fs.rmSync(path.join(cwd, `${name}.ext`));
}

/**
 * Generates the CA and certificates once; returns whether it did. Written to a temporary sibling
 * and renamed, so an interrupted generation never looks complete.
 */
export function ensureLocalTls(paths: StackPaths): 'present' | 'generated' {
  const files = localTlsFiles(paths);
  const all = [files.caFile, files.clientCertFile, files.clientKeyFile, files.untrustedCaFile, files.brokerKeystore, files.serverCertFile, files.serverKeyFile];
  if (all.every((f) => fs.existsSync(f))) return 'present';
  const tmp = `${files.dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  selfSignedCa(tmp, 'ca', '/O=canonql local stack/CN=canonql local CA');
  signedCertificate(
    tmp,
    'broker',
    '/O=canonql local stack/CN=localhost',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  signedCertificate(
    tmp,
    'client',
    '/O=canonql local stack/CN=canonql-client',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      'broker.pem',
      '-inkey',
      'broker.key',
      '-certfile',
      'ca.pem',
      '-name',
      'broker',
      '-out',
      'broker.p12',
      '-passout',
      `pass:${KEYSTORE_PASSWORD}`,
    ],
    tmp,
  );
  selfSignedCa(tmp, 'untrusted-ca', '/O=canonql local stack/CN=canonql untrusted CA (signs nothing)');
  // The CA keys are not needed once the certificates exist.
  fs.rmSync(path.join(tmp, 'ca.key'));
  fs.rmSync(path.join(tmp, 'untrusted-ca.key'));
  fs.rmSync(files.dir, { recursive: true, force: true });
  fs.renameSync(tmp, files.dir);
  return 'generated';
}

/** The listeners (merged into listeners/advertised.listeners by the Kafka service). */
export const TLS_LISTENERS = [`SSL://${LOCAL_SSL_BROKERS}`, `SASL_SSL://${LOCAL_SASL_SSL_BROKERS}`];

/** Broker settings of both TLS listeners. */
export function tlsListenerProperties(paths: StackPaths): string[] {
  const files = localTlsFiles(paths);
  return [
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${files.brokerKeystore}`,
    `ssl.keystore.password=${KEYSTORE_PASSWORD}`,
    `ssl.key.password=${KEYSTORE_PASSWORD}`,
    // Client certificates are checked against the stack's CA (a PEM truststore needs no password).
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${files.caFile}`,
    'listener.name.ssl.ssl.client.auth=required',
    'listener.name.sasl_ssl.ssl.client.auth=none',
    ...SCRAM_MECHANISMS.map(
      (m) => `listener.name.sasl_ssl.${m.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    ),
  ];
}

/** kafkajs TLS options for the local listeners: the stack's CA, and the client certificate for mTLS. */
export function localTlsOptions(paths: StackPaths, options: { clientCertificate: boolean }): tls.ConnectionOptions {
  const files = localTlsFiles(paths);
  return {
    ca: [fs.readFileSync(files.caFile, 'utf8')],
    ...(options.clientCertificate ? { cert: fs.readFileSync(files.clientCertFile, 'utf8'), key: fs.readFileSync(files.clientKeyFile, 'utf8') } : {}),
  };
}

/** Both TLS listeners answer a real client: SSL with the client certificate, SASL_SSL with SCRAM. */
export async function tlsListenersReady(paths: StackPaths): Promise<boolean> {
  const clients = [
    new Kafka({ brokers: [LOCAL_SSL_BROKERS], ssl: localTlsOptions(paths, { clientCertificate: true }), logLevel: logLevel.NOTHING, retry: { retries: 0 } }),
    new Kafka({
      brokers: [LOCAL_SASL_SSL_BROKERS],
      ssl: localTlsOptions(paths, { clientCertificate: false }),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      sasl: { mechanism: 'scram-sha-512', username: LOCAL_SCRAM_USER.username, password: LOCAL_SCRAM_USER.password },
    }),
  ];
  for (const kafka of clients) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  return true;
}
