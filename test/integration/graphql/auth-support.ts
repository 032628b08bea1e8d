import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload, type KeyLike } from 'jose';
import WebSocket from 'ws';

/**
 * Helpers of the authentication and hostile-request suites: credentials (API keys, HS256 and RS256 JWTs with a JWKS
 * file), and a raw graphql-transport-ws socket that sends protocol messages as they are, so
 * protocol abuse can be sent on purpose and every close code observed.
 */
export const READER_KEY = 'reader-key-0123456789';
export const CUSTOMER_READER_KEY = 'customer-reader-key-0123456789';
export const RATE_KEY = 'rate-limited-reader-key-0123456789';
export const JWT_SECRET = 'a-test-hs256-secret-of-at-least-32-characters';
export const JWT_ISSUER = 'https://issuer.test';

export interface Credentials {
  readonly env: Record<string, string>;
  hs256(claims: JWTPayload, options?: { expiresIn?: string | number; secret?: string }): Promise<string>;
  rs256(claims: JWTPayload, options?: { expiresIn?: string | number; key?: KeyLike }): Promise<string>;
  /** A key pair whose public half is not in the JWKS file. */
  readonly strangerKey: KeyLike;
}

export async function createCredentials(): Promise<Credentials> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const stranger = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const jwksFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'canonql-jwks-')), 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  const sign = (claims: JWTPayload, expiresIn: string | number) =>
    new SignJWT(claims)
      .setIssuer(JWT_ISSUER)
      .setSubject(String(claims.sub ?? 'someone'))
      .setIssuedAt()
      .setExpirationTime(expiresIn);
  return {
    env: {
      CANONQL_API_KEYS: `${READER_KEY}=reader,${CUSTOMER_READER_KEY}=reader:customer,${RATE_KEY}=reader`,
      CANONQL_JWT_SECRET: JWT_SECRET,
      CANONQL_JWT_JWKS_FILE: jwksFile,
      CANONQL_JWT_ISSUER: JWT_ISSUER,
    },
    hs256: (claims, options = {}) =>
      sign(claims, options.expiresIn ?? '5m')
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET)),
    rs256: (claims, options = {}) =>
      sign(claims, options.expiresIn ?? '5m')
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .sign(options.key ?? privateKey),
    strangerKey: stranger.privateKey,
  };
}

export interface RawMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

/** A graphql-transport-ws socket driven message by message. */
export interface RawSocket {
  send(message: unknown): void;
  /** The next message of `type` (earlier messages of other types are skipped). */
  next(type?: string, timeoutMs?: number): Promise<RawMessage>;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly isOpen: boolean;
  close(): void;
}

export async function openRaw(url: string): Promise<RawSocket> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const inbox: RawMessage[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (data) => {
    inbox.push(JSON.parse(String(data)) as RawMessage);
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      wake?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    send: (message) => socket.send(JSON.stringify(message)),
    async next(type, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = inbox.findIndex((m) => type === undefined || m.type === type);
        if (index >= 0) return inbox.splice(index, 1)[0]!;
        if (socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${type ?? 'a message'}`);
        if (Date.now() > deadline) throw new Error(`no ${type ?? 'message'} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
        wake = null;
      }
    },
    closed,
    get isOpen() {
      return socket.readyState === WebSocket.OPEN;
    },
    close: () => socket.close(),
  };
}

/** Opens a socket and completes `connection_init` with `authorization`; resolves once acknowledged. */
export async function openAcked(url: string, authorization?: string): Promise<RawSocket> {
  const socket = await openRaw(url);
  socket.send({ type: 'connection_init', payload: authorization ? { authorization } : {} });
  await socket.next('connection_ack');
  return socket;
}

export const bearer = (credential: string) => `Bearer ${credential}`;
