import http from 'node:http';
import https from 'node:https';
import { LRUCache } from 'lru-cache';
import { AppError, ErrorCode } from '../errors';
import type { Logger } from '../logger';
import { withRetry, type RetryPolicy } from './retry';
import { isTlsFailure } from './tls-failure';

/**
 * Reads writer schemas by id from a schema registry speaking the Confluent registry protocol
 * (`GET /schemas/ids/{id}`): canonql's own (`/registry`) or any other. One call is all ingestion
 * needs, so this is a small client over node:http(s) rather than a registry library (see
 * docs/design-notes.md): the cache is bounded (an LRU of ids; an id never changes meaning, so an
 * entry needs no expiry), concurrent misses of one id share one request, and the retries are the
 * service's own (`withRetry`, counted and logged like every other transient call).
 *
 * Outcomes: the schema; SCHEMA_ID_UNKNOWN when the registry says the id does not exist (final,
 * not cached: a registry catching up answers the next batch); SCHEMA_REGISTRY_UNAVAILABLE when
 * it does not answer, answers 5xx, or refuses the credentials, through the bounded retries;
 * SCHEMA_REGISTRY_TLS_FAILED, not retried (the next try would fail alike), when an https registry's
 * certificate is not signed by the CA trusted for it (`caFile`, else the system's) or does not
 * name its host: the message names the CA file.
 */
export interface RegistrySchema {
  readonly id: number;
  /** `AVRO` when the registry omitted it (the protocol's default). */
  readonly schemaType: string;
  readonly schema: string;
}

export interface SchemaRegistryClient {
  schemaById(id: number): Promise<RegistrySchema>;
}

export interface SchemaRegistryClientOptions {
  /** Base URL of the registry API, e.g. `http://canonql:4000/registry`. */
  readonly url: string;
  /** HTTP Basic `user:password`. */
  readonly userInfo?: string | null;
  readonly bearerToken?: string | null;
  /** PEM of the CA(s) that signed the registry's certificate (https only). */
  readonly ca?: string | null;
  /** Where `ca` was read from, named in the message of a failed TLS session. */
  readonly caFile?: string | null;
  readonly timeoutMs?: number;
  /** Ids kept in memory. */
  readonly cacheSize?: number;
  readonly retryPolicy?: RetryPolicy;
  readonly logger?: Logger;
}

export const DEFAULT_REGISTRY_RETRY_POLICY: RetryPolicy = { attempts: 8, initialDelayMs: 250, maxDelayMs: 4000, factor: 2 };

export function createSchemaRegistryClient(options: SchemaRegistryClientOptions): SchemaRegistryClient {
  const base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
  const secure = base.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) }) : new http.Agent({ keepAlive: true });
  const authorization = options.bearerToken
    ? `Bearer ${options.bearerToken}`
    : options.userInfo
      ? `Basic ${Buffer.from(options.userInfo).toString('base64')}`
      : undefined;
  const cache = new LRUCache<number, RegistrySchema>({ max: options.cacheSize ?? 1000 });
  const inFlight = new Map<number, Promise<RegistrySchema>>();
  const where = `${base.origin}${base.pathname}`;

  const fetchOnce = (id: number) =>
    new Promise<RegistrySchema>((resolve, reject) => {
      const unavailable = (message: string, cause?: unknown, retriable = true) =>
        new AppError(ErrorCode.SCHEMA_REGISTRY_UNAVAILABLE, `schema registry ${where}: ${message}`, { retriable, ...(cause ? { cause } : {}) });
      const request = (secure ? https : http).request(
        new URL(`schemas/ids/${id}`, base),
        {
          method: 'GET',
          agent,
          timeout: options.timeoutMs ?? 5000,
          headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json', ...(authorization ? { authorization } : {}) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (error) => reject(unavailable(`the answer broke off (${error.message})`, error)));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            let body: { schema?: unknown; schemaType?: unknown; error_code?: unknown; message?: unknown } = {};
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
            } catch {
              // Not JSON: judged by the status alone below.
            }
            if (status === 200 && typeof body.schema === 'string') {
              resolve({ id, schemaType: typeof body.schemaType === 'string' ? body.schemaType : 'AVRO', schema: body.schema });
            } else if (status === 404) {
              reject(new AppError(ErrorCode.SCHEMA_ID_UNKNOWN, `schema id ${id} is unknown to the schema registry ${where}`, { details: { schemaId: id } }));
            } else if (status === 401 || status === 403) {
              reject(unavailable(`refused our credentials (${status}: ${String(body.message ?? '')})`, undefined, false));
            } else {
              reject(unavailable(`answered ${status} ${String(body.message ?? '')} for schema id ${id}`));
            }
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? 5000} ms`)));
      request.on('error', (error) => {
        if (secure && isTlsFailure(error)) {
          const trusted = options.caFile ? `the CA file ${options.caFile}` : "the system's CAs (no caFile given)";
          reject(
            new AppError(
              ErrorCode.SCHEMA_REGISTRY_TLS_FAILED,
              `schema registry ${where}: no TLS session (${error.message.trim()}): its certificate must be signed by ${trusted} and name the URL's host, on a port that speaks TLS (the CA is the registry's caFile: CANONQL_SOURCE_REGISTRY_CA_FILE, or that of its CANONQL_SOURCE_REGISTRIES entry)`,
              { retriable: false, cause: error, details: { url: where, caFile: options.caFile ?? null } },
            ),
          );
        } else reject(unavailable(`unreachable (${error.message})`, error));
      });
      request.end();
    });

  return {
    async schemaById(id) {
      const cached = cache.get(id);
      if (cached) return cached;
      let pending = inFlight.get(id);
      if (!pending) {
        pending = withRetry(`reading schema ${id} from the schema registry`, () => fetchOnce(id), {
          policy: options.retryPolicy ?? DEFAULT_REGISTRY_RETRY_POLICY,
          ...(options.logger ? { logger: options.logger } : {}),
        })
          .then((schema) => {
            cache.set(id, schema);
            return schema;
          })
          .finally(() => inFlight.delete(id));
        inFlight.set(id, pending);
      }
      return pending;
    },
  };
}
