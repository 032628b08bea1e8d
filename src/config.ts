import fs from 'node:fs';
import { AppError, ErrorCode } from './errors';
import { parseApiKeys, type ApiKeyGrant, type JwtSettings } from './graphql/access';
import type { ApiLimits } from './graphql/limits/api-limits';
import type { DecodeLimits } from './ingestion/debezium/decode-limits';
import { isRecordFormat, parseTopicFormats, RECORD_FORMATS, type RecordFormat, type TopicFormat } from './ingestion/registry/record-format';
import {
  parseSourceRegistries,
  registryAccessProblems,
  topicsWithoutRegistry,
  type RegistryAccess,
  type TopicRegistry,
} from './ingestion/registry/source-registries';
import type { KafkaSasl, KafkaSaslMechanism, KafkaTls } from './infra/kafka';
import { topicNameProblem } from './infra/kafka-topics';
import { LOCAL_CONNECT_URL, LOCAL_KAFKA_BROKERS, LOCAL_MARIADB_URL, LOCAL_MONGODB_URI, LOCAL_POSTGRES_URL } from './local-stack';

/**
 * The only reader of the environment. Every setting is declared once in SETTINGS (name, default,
 * meaning); `loadConfig` parses and validates all of them, reports every problem at once, and
 * returns a frozen object. docs/configuration.md's settings table is generated from SETTINGS (npm run docs:generate) and a test fails when it drifts.
 */

export type Role = 'ingest' | 'api';
export type Mode = 'development' | 'production' | 'test';

export interface Config {
  readonly mode: Mode;
  readonly roles: readonly Role[];
  readonly http: { readonly host: string; readonly port: number };
  /** `uri` carries TLS and credentials (`mongodb+srv://user:pass@host/?tls=true`); log it only through redact(). */
  readonly mongo: {
    readonly uri: string;
    readonly database: string;
    readonly tlsCAFile: string | null;
    /** How long start-up waits for the store (0: one attempt). */
    readonly startupTimeoutMs: number;
    /** Longest a store operation may hold its connection before it is ended with STORE_TIMEOUT (0: no bound). */
    readonly operationTimeoutMs: number;
  };
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    /** null: no SASL. The password is never logged. */
    readonly sasl: KafkaSasl | null;
    /** null: plaintext. Files are read when a client is created (src/infra/kafka.ts). */
    readonly ssl: KafkaTls | null;
  };
  readonly connectUrl: string;
  readonly sourcePostgresUrl: string;
  readonly sourceMariadbUrl: string;
  /** True when neither MONGODB_URI nor KAFKA_BROKERS is set: the embedded local stack serves. */
  readonly usesLocalStack: boolean;
  readonly logLevel: string;
  readonly api: { readonly maxPageSize: number; readonly adminKeys: readonly string[]; readonly auth: ApiAuth; readonly limits: ApiLimits };
  /** The demo domain feed (orders to Kafka, customer rows to PostgreSQL), for `npm start`. */
  readonly demo: { readonly enabled: boolean; readonly intervalMs: number; readonly ordersTopic: string };
  /** How often every process checks the catalog revision (schemas, specs, metric definitions). */
  readonly catalog: { readonly pollMs: number };
  /** Raw-schema discovery (src/discovery/): profiling in ingestion, drift polling in the API. */
  readonly discovery: { readonly sampleRate: number; readonly flushMs: number; readonly samples: number; readonly removalWindow: number };
  readonly specsDir: string;
  /** Metrics: the role runs with ingest, the queries are served with api. */
  readonly metrics: { readonly enabled: boolean; readonly dir: string; readonly groupId: string; readonly maxScan: number; readonly maxGroups: number };
  readonly schemaDir: string;
  /** Prometheus `/metrics` (src/observability/) and the consumer-lag cache behind it and `subjectStatus`. */
  readonly observability: { readonly prometheus: boolean; readonly prometheusToken: string | null; readonly lagCacheMs: number };
  /** How long SIGTERM/SIGINT may take (stop consuming, drain HTTP and websockets) before the process exits non-zero. */
  readonly shutdownTimeoutMs: number;
  /** Entities per round trip when the start-up migration gives stored state its order keys. */
  readonly migrationBatch: number;
  readonly ingest: {
    readonly groupId: string;
    readonly deadLetterTopic: string;
    readonly canonicalPartitions: number;
    readonly canonicalTopicPrefix: string;
    readonly fromBeginning: boolean;
    readonly sessionTimeoutMs: number;
    /** Raw bytes an ingestion batch takes from one partition (CANONQL_INGEST_FETCH_MAX_BYTES). */
    readonly fetchMaxBytes: number;
    /** Entity states an ingest process keeps after writing them (0: none). */
    readonly stateCacheEntries: number;
    /** Nesting and size bounds of what ingestion decodes and stores. */
    readonly decodeLimits: DecodeLimits;
    /** null: each canonical topic's own max.message.bytes. */
    readonly publishMaxBytes: number | null;
    /** Record format of raw topics not in `topicFormats`. */
    readonly recordFormat: RecordFormat;
    readonly topicFormats: readonly TopicFormat[];
    /** The registry holding the writer schemas of registry-encoded topics not in `topicRegistries`; null: none configured. */
    readonly registry: SourceRegistry | null;
    /** Registries of their own for the topics each names (CANONQL_SOURCE_REGISTRIES), over `registry`. */
    readonly topicRegistries: readonly TopicRegistry<SourceRegistry>[];
    /** Canonical subjects published in the registry wire format (`*`: all). */
    readonly wireFormatSubjects: readonly string[];
  };
}

/** Where ingestion reads writer schemas (CANONQL_SOURCE_REGISTRY_*, CANONQL_SOURCE_REGISTRIES); secrets never logged. */
export interface SourceRegistry extends RegistryAccess {
  readonly cacheSize: number;
  readonly timeoutMs: number;
  readonly attempts: number;
}

export interface SettingSpec {
  readonly name: string;
  readonly default: string;
  /** The default as docs/configuration.md shows it, when it depends on the mode or another setting. */
  readonly documentedDefault?: string;
  /** The setting's line in docs/configuration.md (generated from this list). */
  readonly description: string;
  /** How loadConfig checks a number or true/false setting (the others are parsed by code of their own). */
  readonly check?: SettingCheck;
}

export type SettingCheck =
  | { readonly kind: 'integer'; readonly min: number; readonly max?: number; readonly why?: string }
  | { readonly kind: 'boolean' }
  /** A Kafka topic name, or (`prefix`) the start of one: checked at start rather than refused by the broker later. */
  | { readonly kind: 'topic'; readonly prefix?: boolean };

/** The words of a broken integer rule: "must be a positive integer", "must be an integer from 2 to 1000"... */
function integerRuleText(rule: Extract<SettingCheck, { kind: 'integer' }>): string {
  if (rule.max !== undefined) return `must be an integer from ${rule.min} to ${rule.max}`;
  if (rule.min === 0) return 'must be a non-negative integer';
  if (rule.min === 1) return 'must be a positive integer';
  return `must be an integer of at least ${rule.min}${rule.why ? ` (${rule.why})` : ''}`;
}

export const SETTINGS: readonly SettingSpec[] = [
  { name: 'CANONQL_MODE', default: 'development', description: 'development, production or test. Production tightens defaults.' },
  { name: 'CANONQL_ROLES', default: 'ingest,api', description: 'Comma-separated roles this process runs: ingest, api, or both.' },
  { name: 'CANONQL_HTTP_HOST', default: '127.0.0.1', description: 'Address the HTTP/GraphQL server binds (0.0.0.0 in containers).' },
  { name: 'CANONQL_HTTP_PORT', default: '4000', description: 'Port of the HTTP/GraphQL server.' },
  { name: 'MONGODB_URI', default: LOCAL_MONGODB_URI, description: 'State store. Unset (with `KAFKA_BROKERS`): the local stack.' },
  { name: 'MONGODB_DATABASE', default: 'canonql', description: 'Database holding canonical state, event log and catalog.' },
  {
    name: 'MONGODB_TLS_CA_FILE',
    default: '',
    description:
      "PEM file of a private CA that signed the store's certificate. TLS and credentials themselves go in `MONGODB_URI` (`tls=true`, implied by `mongodb+srv://`); the password is masked in logs and errors. A wrong password fails startup with `STORE_AUTH_FAILED`.",
  },
  {
    name: 'CANONQL_STORE_STARTUP_TIMEOUT_MS',
    check: { kind: 'integer', min: 0 },
    default: '120000',
    description:
      'How long start-up waits for the state store to answer: it tries again every few seconds and logs each wait (`waiting for the state store`, with the time waited and the last error); past this, start-up fails with `STORE_UNAVAILABLE` naming this setting. Checked after each attempt (at most 5 s each); `0`: one attempt. Refused credentials fail at once (`STORE_AUTH_FAILED`).',
  },
  {
    name: 'CANONQL_STORE_OPERATION_TIMEOUT_MS',
    check: { kind: 'integer', min: 0 },
    default: '120000',
    description:
      'Longest one store operation may hold its connection. The MongoDB driver has no bound of its own on an operation whose socket was destroyed under its write or whose server stopped answering; such an operation is ended with `STORE_TIMEOUT` (retriable) and its connection closed. Longer than any operation canonql makes on a healthy store; `0`: no bound.',
  },
  { name: 'KAFKA_BROKERS', default: LOCAL_KAFKA_BROKERS, description: 'Comma-separated bootstrap servers. Unset (with `MONGODB_URI`): the local stack.' },
  { name: 'KAFKA_CLIENT_ID', default: 'canonql', description: 'Kafka client id.' },
  {
    name: 'KAFKA_SASL_MECHANISM',
    default: '',
    description:
      '`plain`, `scram-sha-256` or `scram-sha-512`; empty: no SASL. AWS IAM and OAUTHBEARER are not supported. Wrong credentials fail startup at once with `KAFKA_AUTH_FAILED`.',
  },
  { name: 'KAFKA_SASL_USERNAME', default: '', description: 'SASL user name (Confluent Cloud: the API key).' },
  { name: 'KAFKA_SASL_PASSWORD', default: '', description: 'SASL password (Confluent Cloud: the API secret); used exactly as given, never logged.' },
  {
    name: 'KAFKA_SSL',
    default: 'false',
    description: '`true`: TLS to the brokers, trusting the system CAs unless `KAFKA_SSL_CA_FILE` is set. Production refuses `plain` without it.',
  },
  { name: 'KAFKA_SSL_CA_FILE', default: '', description: 'PEM file of the CA(s) that signed the broker certificates (private CA).' },
  { name: 'KAFKA_SSL_CERT_FILE', default: '', description: 'PEM client certificate for mutual TLS (with `KAFKA_SSL_KEY_FILE`).' },
  { name: 'KAFKA_SSL_KEY_FILE', default: '', description: 'PEM private key of that client certificate.' },
  { name: 'KAFKA_SSL_REJECT_UNAUTHORIZED', default: 'true', description: '`false` accepts any broker certificate: tests only, refused in production mode.' },
  { name: 'KAFKA_CONNECT_URL', default: LOCAL_CONNECT_URL, description: 'Kafka Connect REST URL (tooling and tests manage Debezium connectors through it).' },
  { name: 'SOURCE_POSTGRES_URL', default: LOCAL_POSTGRES_URL, description: 'The demo PostgreSQL source captured by Debezium.' },
  {
    name: 'SOURCE_MARIADB_URL',
    default: LOCAL_MARIADB_URL,
    description: 'The MariaDB source captured by Debezium (`mariadb://user[:password]@host:port/database`; tooling and tests register its connector).',
  },
  {
    name: 'CANONQL_MAX_PAGE_SIZE',
    check: { kind: 'integer', min: 1 },
    default: '100',
    description: 'Largest `first` a list or history query may ask for (larger: `BAD_USER_INPUT`).',
  },
  {
    name: 'CANONQL_ADMIN_KEYS',
    default: '',
    description:
      'Comma-separated admin API keys, sent as `Authorization: Bearer <key>` (HTTP) or `authorization` in graphql-ws `connection_init`. Every mutation needs one; unset, mutations are refused with `FORBIDDEN`. `npm start` generates one and prints it.',
  },
  {
    name: 'CANONQL_API_KEYS',
    default: '',
    description:
      'API keys with roles: comma-separated `key=admin`, `key=reader`, or `key=reader:order|customer` (reads of those subjects only). At least 16 characters each.',
  },
  {
    name: 'CANONQL_JWT_SECRET',
    default: '',
    description:
      'HS256 secret (≥ 32 characters) verifying bearer JWTs offline. Claims: `role` (`admin`/`reader`, default reader), `subjects` (read scope), `exp` required.',
  },
  {
    name: 'CANONQL_JWT_JWKS_FILE',
    default: '',
    description: "JSON Web Key Set file with the issuer's public keys (RS256, ES256), read at start; JWTs are verified offline.",
  },
  { name: 'CANONQL_JWT_ISSUER', default: '', description: 'Required `iss` of accepted JWTs.' },
  { name: 'CANONQL_JWT_AUDIENCE', default: '', description: 'Required `aud` of accepted JWTs.' },
  {
    name: 'CANONQL_REQUIRE_AUTH',
    default: '',
    documentedDefault: '`true` in production, else `false`',
    description: 'Requests / websocket connections without a credential get HTTP 401 `UNAUTHENTICATED` / close 4401.',
  },
  { name: 'CANONQL_MAX_DEPTH', default: '12', description: 'Deepest field nesting; beyond: `DEPTH_LIMIT_EXCEEDED`.' },
  {
    name: 'CANONQL_MAX_COST',
    default: '20000',
    description: "Highest estimated cost (1 per field, a list's children × `first`); beyond: `COST_LIMIT_EXCEEDED`.",
  },
  { name: 'CANONQL_MAX_ALIASES', default: '50', description: 'Most aliased fields per document; beyond: `ALIAS_LIMIT_EXCEEDED`.' },
  { name: 'CANONQL_BATCHED_HTTP', default: 'false', description: 'Accept a JSON array of operations per HTTP request; off: `BATCHING_DISABLED`.' },
  { name: 'CANONQL_MAX_BATCH', default: '10', description: 'Most operations per batch; beyond: `BATCH_LIMIT_EXCEEDED`.' },
  {
    name: 'CANONQL_MAX_BODY_BYTES',
    default: '1048576',
    description: 'Largest request body; beyond: HTTP 413 `PAYLOAD_TOO_LARGE`. Also the largest graphql-ws message; beyond, the socket is closed with 1009.',
  },
  {
    name: 'CANONQL_RATE_LIMIT_PER_MINUTE',
    default: '',
    documentedDefault: '`1200` in production, else `0` (off)',
    description: 'Operations per minute per credential (anonymous: per client address); beyond: HTTP 429 `RATE_LIMITED` + `Retry-After`.',
  },
  {
    name: 'CANONQL_MAX_SUBSCRIPTIONS_PER_CONNECTION',
    default: '100',
    description: 'Operations open on one websocket; beyond: `TOO_MANY_SUBSCRIPTIONS` for that subscribe, connection kept.',
  },
  {
    name: 'CANONQL_INTROSPECTION',
    default: '',
    documentedDefault: '`false` in production, else `true`',
    description: '`__schema` / `__type`; off: `INTROSPECTION_DISABLED`.',
  },
  { name: 'CANONQL_OPERATION_TIMEOUT_MS', default: '30000', description: 'HTTP operations unanswered by then: HTTP 504 `OPERATION_TIMEOUT`; `0`: none.' },
  {
    name: 'CANONQL_WS_KEEPALIVE_MS',
    default: '12000',
    description:
      'Websocket keep-alive: a ping this often; a connection that has not answered within the same time is terminated (the client sees 1006). A client that stops reading its socket answers no ping either, so this can end it before its backlog makes it `SUBSCRIBER_TOO_SLOW`. `0`: off.',
  },
  {
    name: 'CANONQL_MAX_SUBSCRIBER_BACKLOG',
    default: '1000',
    description:
      'Live events a subscriber may fall behind (undelivered; subscribers sharing an execution count per websocket) before it is ended with `SUBSCRIBER_TOO_SLOW` and its connection closed 4413; it resumes with its last cursor. Each held event costs memory in the API process.',
  },
  {
    name: 'CANONQL_CATALOG_POLL_MS',
    check: { kind: 'integer', min: 50 },
    default: '1000',
    description:
      'How often each process checks the catalog revision; a schema, spec or metric change made through any process takes effect everywhere within this interval (the process that served the mutation applies it at once).',
  },
  {
    name: 'CANONQL_SPECS_DIR',
    default: 'specs',
    description: 'Directory of mapping spec files (`*.json`) loaded at start; every file is validated, all problems listed.',
  },
  { name: 'CANONQL_SCHEMA_DIR', default: 'schema', description: 'Directory of schemas; canonical subjects are read from `canonical/<subject>.schema.json`.' },
  { name: 'CANONQL_INGEST_GROUP_ID', default: 'canonql-ingest', description: 'Kafka consumer group of the ingestion role (all ingestion processes share it).' },
  {
    name: 'CANONQL_DEADLETTER_TOPIC',
    check: { kind: 'topic' },
    default: 'canonql.deadletter',
    description: 'Topic receiving messages that can never be ingested, with the reason in headers.',
  },
  {
    name: 'CANONQL_CANONICAL_PARTITIONS',
    check: { kind: 'integer', min: 1 },
    default: '3',
    description: 'Partitions of the `canonical.<subject>` topics canonql creates.',
  },
  {
    name: 'CANONQL_CANONICAL_TOPIC_PREFIX',
    check: { kind: 'topic', prefix: true },
    default: 'canonical.',
    description: 'Prefix of the canonical event topics (`canonical.order`).',
  },
  {
    name: 'CANONQL_INGEST_FROM_BEGINNING',
    check: { kind: 'boolean' },
    default: 'true',
    description: 'A new consumer group starts at the beginning of raw topics (`true`) or at their end.',
  },
  {
    name: 'CANONQL_INGEST_SESSION_TIMEOUT_MS',
    check: { kind: 'integer', min: 6000, why: 'the broker minimum' },
    default: '10000',
    description:
      "Consumer session timeout of the ingestion and metrics groups: how long a crashed process holds its partitions before the group reassigns them, so ingestion resumes after a crash within about this plus 5 s (measured: 12.6–15.1 s at 10000). Heartbeats go out between batches, after each commit and on every retry of a batch step; keep it well above the longest batch step (minimum 6000, the broker's `group.min.session.timeout.ms`).",
  },
  {
    name: 'CANONQL_INGEST_FETCH_MAX_BYTES',
    check: { kind: 'integer', min: 65536 },
    default: '4194304',
    description:
      'Most bytes of raw records an ingestion batch takes from one partition (the consumer fetch size per partition; a single larger record still comes whole). A batch costs the store a fixed number of bulk commands whatever its size, so larger batches cost the store less per change: at 4 MiB the ingestion benchmark ran 1.27× as many changes per second as at 1 MiB over 60,000 changes, with the store spending 88 instead of 140 µs per change. Smaller batches hold less memory (up to one batch per partition consumed at once, four at a time, decoded) and replay less after a crash. One fetch takes up to four times this in all (at least 10 MiB), so each of the four batches processed at once comes whole.',
  },
  {
    name: 'CANONQL_INGEST_STATE_CACHE',
    check: { kind: 'integer', min: 0 },
    default: '20000',
    description:
      'Entity states an ingest process keeps after writing them (least recently used first out), so that the next change of the same entity is planned without reading its state back from the store; 0 turns it off. Safe whatever else writes the entity: every state write is a compare-and-set on the version it was planned from, so a plan made from a state that moved on loses its write and is redone from the store, and a change skipped or refused on a kept state is checked against the store first. Cleared whenever the consumer rejoins its group. Costs memory of about one stored entity per entry.',
  },
  {
    name: 'CANONQL_DECODE_MAX_DEPTH',
    check: { kind: 'integer', min: 2, max: 1000 },
    default: '100',
    description:
      'Deepest nesting of objects and arrays in a record (its JSON, and each JSON document embedded in it) and in a canonical document as stored (2 to 1000); beyond, the record is dead-lettered with `DECODE_LIMIT_EXCEEDED` before anything reaches the store. 100 is what MongoDB accepts.',
  },
  {
    name: 'CANONQL_DECODE_MAX_BYTES',
    check: { kind: 'integer', min: 1024 },
    default: '16777216',
    description:
      "Largest record value (and JSON document embedded in one) decoded, in bytes; beyond, dead-lettered with `DECODE_LIMIT_EXCEEDED`. 16 MiB is MongoDB's document limit.",
  },
  {
    name: 'CANONQL_PUBLISH_MAX_BYTES',
    default: '',
    documentedDefault: "each topic's `max.message.bytes`",
    description:
      "Largest record batch ingestion sends to a canonical topic. By default each topic's `max.message.bytes` as the cluster reports it (re-read every minute); set a smaller figure to cap it. A canonical event over the limit on its own is dead-lettered with EVENT_TOO_LARGE (its state applied), never retried forever, and a reference without its data stands on the topic in its place.",
  },
  {
    name: 'CANONQL_RECORD_FORMAT',
    default: 'json',
    description:
      "How raw topics' records are encoded, unless `CANONQL_RECORD_FORMATS` names the topic: `json` (Kafka Connect's JSON converter, with or without schemas), `avro` or `json-schema` (the registry wire format: magic byte, writer schema id, value; the writer schema is read from `CANONQL_SOURCE_REGISTRY_URL`). Set it alike on ingest and API processes: backfills and dead-letter replays read records as ingestion does. See [ingestion](ingestion.md#registry-encoded-records).",
  },
  {
    name: 'CANONQL_RECORD_FORMATS',
    default: '',
    description:
      'Record format per raw topic, over `CANONQL_RECORD_FORMAT`: comma-separated `topic=format`, or `prefix*=format` for every topic starting with `prefix` (the longest prefix wins; an exact topic wins over any prefix). Example: `dbserver1.*=avro,legacy.orders=json`.',
  },
  {
    name: 'CANONQL_SOURCE_REGISTRY_URL',
    default: '',
    description:
      "Schema registry (the Confluent registry protocol) holding the writer schemas of `avro` and `json-schema` topics, e.g. canonql's own `http://canonql:4000/registry` or the registry Kafka Connect's converters write to: the default for every topic `CANONQL_SOURCE_REGISTRIES` does not name. Required when a registry-encoded topic is left to it.",
  },
  {
    name: 'CANONQL_SOURCE_REGISTRY_USER_INFO',
    default: '',
    description: 'HTTP Basic credentials for `CANONQL_SOURCE_REGISTRY_URL`, as `user:password` (never logged).',
  },
  {
    name: 'CANONQL_SOURCE_REGISTRY_BEARER_TOKEN',
    default: '',
    description: 'Bearer token for `CANONQL_SOURCE_REGISTRY_URL` (never logged); not together with `CANONQL_SOURCE_REGISTRY_USER_INFO`.',
  },
  {
    name: 'CANONQL_SOURCE_REGISTRY_CA_FILE',
    default: '',
    description:
      "PEM file of the CA(s) that signed the registry's certificate, for an `https` registry with a private CA (trusted instead of the system's CAs). A certificate it did not sign, or one not naming the URL's host, dead-letters the records needing a schema with `SCHEMA_REGISTRY_TLS_FAILED` (not retried). See [ingestion](ingestion.md#registry-encoded-records).",
  },
  {
    name: 'CANONQL_SOURCE_REGISTRIES',
    default: '',
    description:
      'Registries per raw topic, over `CANONQL_SOURCE_REGISTRY_*` (the default for the topics not named): a JSON array of `{"topics": ["<topic>", "<prefix>*", ...], "url": "https://...", "userInfo": "user:password", "bearerToken": "...", "caFile": "<PEM file>"}` (credentials and CA optional, never logged; a topic takes the entry naming it exactly, else the longest prefix, as `CANONQL_RECORD_FORMATS`). Each registry has its own client and cache (schema ids are a registry\'s own); cache size, timeout and tries are the settings below. See [ingestion](ingestion.md#registry-encoded-records).',
  },
  {
    name: 'CANONQL_SOURCE_REGISTRY_CACHE_SIZE',
    check: { kind: 'integer', min: 1 },
    default: '1000',
    description: 'Writer schemas kept in memory per registry (by id; an id never changes meaning, so they never expire, the least recently used go first).',
  },
  {
    name: 'CANONQL_SOURCE_REGISTRY_TIMEOUT_MS',
    check: { kind: 'integer', min: 100 },
    default: '5000',
    description: 'How long one request to the registry may take.',
  },
  {
    name: 'CANONQL_SOURCE_REGISTRY_ATTEMPTS',
    check: { kind: 'integer', min: 1, max: 100 },
    default: '8',
    description:
      'Tries of a writer-schema request that fails for a reason a later try may not see (no answer, 5xx), with backoff (250 ms doubling, at most 4 s between tries: 8 tries span about 15 s). After the last, the records that need the schema are dead-lettered with `SCHEMA_REGISTRY_UNAVAILABLE`, never a stalled partition.',
  },
  {
    name: 'CANONQL_WIRE_FORMAT_SUBJECTS',
    default: '',
    description:
      "Canonical subjects whose events are published in the registry wire format (magic byte, the id of the subject's event schema in canonql's registry, the JSON event), comma-separated, or `*` for all; the others stay plain JSON. Their event schemas are served at `/registry/subjects/<canonical topic>-value`. See [schema registry](schema-registry.md#canonical-events-in-the-wire-format).",
  },
  {
    name: 'CANONQL_DEMO_FEED',
    check: { kind: 'boolean' },
    default: 'false',
    documentedDefault: '`false` (`true` under `npm start`)',
    description: 'Continuously feed the demo domain: MongoDB-connector order events to Kafka, customer row changes to PostgreSQL (captured by Debezium).',
  },
  { name: 'CANONQL_DEMO_INTERVAL_MS', check: { kind: 'integer', min: 50 }, default: '2000', description: 'Pause between two ticks of the demo feed.' },
  {
    name: 'CANONQL_DEMO_ORDERS_TOPIC',
    check: { kind: 'topic' },
    default: 'raw.mongo.orders',
    description: "Raw topic of the demo order events (the seed spec's topic).",
  },
  {
    name: 'CANONQL_DISCOVERY_SAMPLE_RATE',
    default: '1',
    description: 'Share (0..1) of raw change records each ingestion process profiles for raw-schema discovery (a random sample); `0` turns discovery off.',
  },
  {
    name: 'CANONQL_DISCOVERY_FLUSH_MS',
    check: { kind: 'integer', min: 100 },
    default: '2000',
    description: 'How often each ingestion process writes its raw-topic profiles and samples to the store and checks for schema drift (and on stop).',
  },
  {
    name: 'CANONQL_DISCOVERY_SAMPLES',
    check: { kind: 'integer', min: 0, max: 1000 },
    default: '50',
    description: 'Last raw records kept per topic (0..1000), for spec previews and `rawTopic { samples }`.',
  },
  {
    name: 'CANONQL_DISCOVERY_REMOVAL_WINDOW',
    check: { kind: 'integer', min: 1, max: 100000 },
    default: '1000',
    description: 'A field that none of the last this-many profiled full images of its topic carried counts as removed (a new raw schema version).',
  },
  {
    name: 'CANONQL_METRICS',
    check: { kind: 'boolean' },
    default: 'true',
    description:
      'Maintain metric rollups (a consumer group over the canonical topics, with the ingest role) and serve `metric`/`metricDefinitions`/`metricUpdated` (with the api role).',
  },
  {
    name: 'CANONQL_METRICS_DIR',
    default: 'specs/metrics',
    description: 'Directory of metric definition files (`*.json`) loaded at start; every file is validated, all problems listed.',
  },
  {
    name: 'CANONQL_METRICS_GROUP_ID',
    default: '',
    documentedDefault: '`<CANONQL_INGEST_GROUP_ID>-metrics` (`canonql-ingest-metrics`)',
    description:
      'Kafka consumer group of the metrics role (all metrics processes of one deployment share it). Derived from the ingest group by default, so two deployments (or test runs) with their own ingest groups never share a metrics group.',
  },
  {
    name: 'CANONQL_AGGREGATE_MAX_SCAN',
    check: { kind: 'integer', min: 1 },
    default: '100000',
    description: 'Most entities an ad-hoc `<plural>Aggregate` query scans, and metric buckets a `metric` query reads; beyond, `LIMIT_EXCEEDED`.',
  },
  {
    name: 'CANONQL_AGGREGATE_MAX_GROUPS',
    check: { kind: 'integer', min: 1 },
    default: '1000',
    description: 'Most groups an ad-hoc aggregate or `metric` query returns; beyond, `LIMIT_EXCEEDED`.',
  },
  {
    name: 'CANONQL_PROMETHEUS',
    check: { kind: 'boolean' },
    default: 'true',
    description: 'Serve Prometheus metrics at `GET /metrics` on every process; `false`: no such route.',
  },
  {
    name: 'CANONQL_PROMETHEUS_TOKEN',
    default: '',
    description: 'When set, `GET /metrics` needs `Authorization: Bearer <token>` (401 otherwise); unset, it is open like `/healthz`.',
  },
  {
    name: 'CANONQL_LAG_CACHE_MS',
    check: { kind: 'integer', min: 0 },
    default: '5000',
    description:
      'Consumer lag (`canonql_consumer_lag`, `subjectStatus.lag`) is read from Kafka at most once per this interval, however many scrapes and queries ask.',
  },
  {
    name: 'CANONQL_SHUTDOWN_TIMEOUT_MS',
    check: { kind: 'integer', min: 1000 },
    default: '25000',
    description:
      "On SIGTERM/SIGINT: time to finish the batch in flight, commit, and drain HTTP and websockets; past it the process exits 1 with a log line naming what did not finish. Keep it below the orchestrator's kill grace period (Kubernetes: 30 s).",
  },
  {
    name: 'CANONQL_MIGRATION_BATCH',
    check: { kind: 'integer', min: 1, max: 100000 },
    default: '500',
    description:
      'At start, entities stored before order keys existed get them (state/migrate-order-keys.ts), this many per round trip; progress is logged, and a process stopped half-way resumes where the store stands.',
  },
  { name: 'LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug or trace.' },
];

const MODES: readonly Mode[] = ['development', 'production', 'test'];
const ROLES: readonly Role[] = ['ingest', 'api'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string): string => {
    const spec = SETTINGS.find((s) => s.name === name);
    if (!spec) throw new Error(`setting ${name} is not declared in SETTINGS`);
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? spec.default : raw.trim();
  };
  // Number and true/false settings are checked by the rule SETTINGS gives them.
  const checkOf = (name: string): SettingCheck | undefined => SETTINGS.find((s) => s.name === name)?.check;
  const integer = (name: string): number => {
    const rule = checkOf(name);
    if (rule?.kind !== 'integer') throw new Error(`setting ${name} has no integer check in SETTINGS`);
    const value = Number(read(name));
    if (!Number.isInteger(value) || value < rule.min || (rule.max !== undefined && value > rule.max)) problems.push(`${name} ${integerRuleText(rule)}`);
    return value;
  };
  const topic = (name: string): string => {
    const rule = checkOf(name);
    if (rule?.kind !== 'topic') throw new Error(`setting ${name} has no topic check in SETTINGS`);
    const value = read(name);
    const problem = topicNameProblem(value, { prefix: rule.prefix === true });
    if (problem !== null) problems.push(`${name} ${problem} (got ${JSON.stringify(value)})`);
    return value;
  };
  const flag = (name: string): boolean => {
    if (checkOf(name)?.kind !== 'boolean') throw new Error(`setting ${name} has no boolean check in SETTINGS`);
    const text = read(name);
    if (text !== 'true' && text !== 'false') problems.push(`${name} must be true or false`);
    return text === 'true';
  };

  const mode = read('CANONQL_MODE') as Mode;
  if (!MODES.includes(mode)) problems.push(`CANONQL_MODE must be one of ${MODES.join(', ')} (got "${mode}")`);

  const roles = read('CANONQL_ROLES')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean) as Role[];
  const badRoles = roles.filter((r) => !ROLES.includes(r));
  if (roles.length === 0 || badRoles.length > 0) {
    problems.push(`CANONQL_ROLES must list ${ROLES.join(' and/or ')} (got "${read('CANONQL_ROLES')}")`);
  }

  const port = Number(read('CANONQL_HTTP_PORT'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`CANONQL_HTTP_PORT must be an integer 0-65535 (got "${read('CANONQL_HTTP_PORT')}")`);
  }

  const mongoUri = read('MONGODB_URI');
  if (!/^mongodb(\+srv)?:\/\//.test(mongoUri)) problems.push('MONGODB_URI must start with mongodb:// or mongodb+srv://');

  const brokers = read('KAFKA_BROKERS')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d+$/.test(broker)) problems.push(`KAFKA_BROKERS entry "${broker}" must be host:port`);
  }
  if (brokers.length === 0) problems.push('KAFKA_BROKERS must name at least one broker');
  const kafkaSecurity = readKafkaSecurity(read, env, mode, problems);
  const mongoTlsCAFile = readableFile('MONGODB_TLS_CA_FILE', read('MONGODB_TLS_CA_FILE'), problems);
  if (read('MONGODB_TLS_CA_FILE') !== '' && !/^mongodb\+srv:|[?&](tls|ssl)=true/i.test(mongoUri)) {
    problems.push('MONGODB_TLS_CA_FILE is set but MONGODB_URI does not turn TLS on (add tls=true, or use mongodb+srv://)');
  }

  const connectUrl = read('KAFKA_CONNECT_URL');
  if (!/^https?:\/\//.test(connectUrl)) problems.push('KAFKA_CONNECT_URL must be an http(s) URL');

  const logLevel = read('LOG_LEVEL');
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const canonicalPartitions = integer('CANONQL_CANONICAL_PARTITIONS');
  const deadLetterTopic = topic('CANONQL_DEADLETTER_TOPIC');
  const canonicalTopicPrefix = topic('CANONQL_CANONICAL_TOPIC_PREFIX');
  const demoOrdersTopic = topic('CANONQL_DEMO_ORDERS_TOPIC');
  const fromBeginning = flag('CANONQL_INGEST_FROM_BEGINNING');
  const demoFeed = flag('CANONQL_DEMO_FEED');
  const demoInterval = integer('CANONQL_DEMO_INTERVAL_MS');
  const maxPageSize = integer('CANONQL_MAX_PAGE_SIZE');
  const sessionTimeoutMs = integer('CANONQL_INGEST_SESSION_TIMEOUT_MS');
  const stateCacheEntries = integer('CANONQL_INGEST_STATE_CACHE');
  const fetchMaxBytes = integer('CANONQL_INGEST_FETCH_MAX_BYTES');
  // Past a thousand levels our own recursive walks of a decoded value would risk the stack (the rule's maximum).
  const decodeMaxDepth = integer('CANONQL_DECODE_MAX_DEPTH');
  const decodeMaxBytes = integer('CANONQL_DECODE_MAX_BYTES');
  const publishMaxBytesText = read('CANONQL_PUBLISH_MAX_BYTES');
  const publishMaxBytes = publishMaxBytesText === '' ? null : Number(publishMaxBytesText);
  if (publishMaxBytes !== null && (!Number.isInteger(publishMaxBytes) || publishMaxBytes < 4096)) {
    problems.push('CANONQL_PUBLISH_MAX_BYTES must be empty or an integer of at least 4096');
  }

  const sourceFormats = readSourceFormats(read, problems);
  const registryTuning = {
    cacheSize: integer('CANONQL_SOURCE_REGISTRY_CACHE_SIZE'),
    timeoutMs: integer('CANONQL_SOURCE_REGISTRY_TIMEOUT_MS'),
    attempts: integer('CANONQL_SOURCE_REGISTRY_ATTEMPTS'),
  };

  const catalogPollMs = integer('CANONQL_CATALOG_POLL_MS');
  const storeStartupTimeoutMs = integer('CANONQL_STORE_STARTUP_TIMEOUT_MS');
  const storeOperationTimeoutMs = integer('CANONQL_STORE_OPERATION_TIMEOUT_MS');

  const discoverySampleRate = Number(read('CANONQL_DISCOVERY_SAMPLE_RATE'));
  if (!Number.isFinite(discoverySampleRate) || discoverySampleRate < 0 || discoverySampleRate > 1) {
    problems.push('CANONQL_DISCOVERY_SAMPLE_RATE must be a number from 0 to 1');
  }
  const discoveryFlushMs = integer('CANONQL_DISCOVERY_FLUSH_MS');
  const discoverySamples = integer('CANONQL_DISCOVERY_SAMPLES');
  const discoveryRemovalWindow = integer('CANONQL_DISCOVERY_REMOVAL_WINDOW');

  const metricsEnabled = flag('CANONQL_METRICS');
  const maxScan = integer('CANONQL_AGGREGATE_MAX_SCAN');
  const maxGroups = integer('CANONQL_AGGREGATE_MAX_GROUPS');

  const prometheus = flag('CANONQL_PROMETHEUS');
  const lagCacheMs = integer('CANONQL_LAG_CACHE_MS');
  const migrationBatch = integer('CANONQL_MIGRATION_BATCH');
  const shutdownTimeoutMs = integer('CANONQL_SHUTDOWN_TIMEOUT_MS');

  const hardening = readApiHardening(read, env, { mode, api: roles.includes('api'), maxPageSize }, problems);

  if (problems.length > 0) {
    throw new AppError(ErrorCode.CONFIG_INVALID, `invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      details: problems,
    });
  }

  const isSet = (name: string) => env[name] !== undefined && env[name]!.trim() !== '';
  return deepFreeze({
    mode,
    roles,
    http: { host: read('CANONQL_HTTP_HOST'), port },
    mongo: {
      uri: mongoUri,
      database: read('MONGODB_DATABASE'),
      tlsCAFile: mongoTlsCAFile,
      startupTimeoutMs: storeStartupTimeoutMs,
      operationTimeoutMs: storeOperationTimeoutMs,
    },
    kafka: { brokers, clientId: read('KAFKA_CLIENT_ID'), ...kafkaSecurity },
    connectUrl,
    sourcePostgresUrl: read('SOURCE_POSTGRES_URL'),
    sourceMariadbUrl: read('SOURCE_MARIADB_URL'),
    usesLocalStack: !isSet('MONGODB_URI') && !isSet('KAFKA_BROKERS'),
    logLevel,
    api: { maxPageSize, adminKeys: hardening.adminKeys, auth: hardening.auth, limits: hardening.limits },
    demo: { enabled: demoFeed, intervalMs: demoInterval, ordersTopic: demoOrdersTopic },
    catalog: { pollMs: catalogPollMs },
    discovery: { sampleRate: discoverySampleRate, flushMs: discoveryFlushMs, samples: discoverySamples, removalWindow: discoveryRemovalWindow },
    specsDir: read('CANONQL_SPECS_DIR'),
    metrics: {
      enabled: metricsEnabled,
      dir: read('CANONQL_METRICS_DIR'),
      groupId: read('CANONQL_METRICS_GROUP_ID') || `${read('CANONQL_INGEST_GROUP_ID')}-metrics`,
      maxScan,
      maxGroups,
    },
    schemaDir: read('CANONQL_SCHEMA_DIR'),
    observability: { prometheus, prometheusToken: read('CANONQL_PROMETHEUS_TOKEN') || null, lagCacheMs },
    shutdownTimeoutMs,
    migrationBatch,
    ingest: {
      groupId: read('CANONQL_INGEST_GROUP_ID'),
      deadLetterTopic,
      canonicalPartitions,
      canonicalTopicPrefix,
      fromBeginning,
      sessionTimeoutMs,
      fetchMaxBytes,
      stateCacheEntries,
      decodeLimits: { maxDepth: decodeMaxDepth, maxBytes: decodeMaxBytes },
      publishMaxBytes,
      ...sourceFormats,
      registry: sourceFormats.registry && { ...sourceFormats.registry, ...registryTuning },
      topicRegistries: sourceFormats.topicRegistries.map((entry) => ({ topics: entry.topics, registry: { ...entry.registry, ...registryTuning } })),
      wireFormatSubjects: read('CANONQL_WIRE_FORMAT_SUBJECTS')
        .split(',')
        .map((subject) => subject.trim())
        .filter(Boolean),
    },
  });
}

/** Record formats per topic, and the registries of registry-encoded topics (one is required for each such topic). */
function readSourceFormats(
  read: (name: string) => string,
  problems: string[],
): Pick<Config['ingest'], 'recordFormat' | 'topicFormats' | 'registry'> & { topicRegistries: TopicRegistry[] } {
  const fallback = read('CANONQL_RECORD_FORMAT');
  if (!isRecordFormat(fallback)) problems.push(`CANONQL_RECORD_FORMAT must be one of ${RECORD_FORMATS.join(', ')}`);
  const { formats, problems: formatProblems } = parseTopicFormats(read('CANONQL_RECORD_FORMATS'));
  problems.push(...formatProblems);
  const url = read('CANONQL_SOURCE_REGISTRY_URL');
  const userInfo = read('CANONQL_SOURCE_REGISTRY_USER_INFO');
  const bearerToken = read('CANONQL_SOURCE_REGISTRY_BEARER_TOKEN');
  const caFile = readableFile('CANONQL_SOURCE_REGISTRY_CA_FILE', read('CANONQL_SOURCE_REGISTRY_CA_FILE'), problems);
  const { registries, problems: registryProblems } = parseSourceRegistries(read('CANONQL_SOURCE_REGISTRIES'), readableFile);
  problems.push(...registryProblems);
  problems.push(
    ...registryAccessProblems(
      { url, userInfo, bearerToken },
      { url: 'CANONQL_SOURCE_REGISTRY_URL', userInfo: 'CANONQL_SOURCE_REGISTRY_USER_INFO', bearerToken: 'CANONQL_SOURCE_REGISTRY_BEARER_TOKEN' },
    ),
  );
  // Every registry-encoded topic needs a registry: its own (CANONQL_SOURCE_REGISTRIES) or the default.
  const encoded = [...(fallback !== 'json' ? ['*'] : []), ...formats.filter((f) => f.format !== 'json').map((f) => f.topic)];
  const unserved = url === '' ? topicsWithoutRegistry(encoded, registries) : [];
  if (unserved.length > 0) {
    problems.push(
      `CANONQL_SOURCE_REGISTRY_URL is required when a topic is avro or json-schema (CANONQL_RECORD_FORMAT, CANONQL_RECORD_FORMATS) and CANONQL_SOURCE_REGISTRIES names no registry for it: ${unserved.join(', ')}`,
    );
  }
  return {
    recordFormat: isRecordFormat(fallback) ? fallback : 'json',
    topicFormats: formats,
    registry: url === '' ? null : { url, userInfo: userInfo || null, bearerToken: bearerToken || null, caFile, cacheSize: 0, timeoutMs: 0, attempts: 0 },
    topicRegistries: registries,
  };
}

const SASL_MECHANISMS: readonly KafkaSaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

/**
 * Kafka SASL and TLS (managed clusters: MSK, Confluent Cloud). Half-configured security is a
 * startup error, never a silent plaintext connection; production refuses settings that expose the
 * password (PLAIN without TLS) or trust any certificate.
 */
function readKafkaSecurity(read: (name: string) => string, env: Env, mode: string, problems: string[]) {
  const mechanism = read('KAFKA_SASL_MECHANISM').toLowerCase();
  const username = read('KAFKA_SASL_USERNAME');
  // Not trimmed: a secret is used exactly as given.
  const password = env.KAFKA_SASL_PASSWORD ?? '';
  let sasl: KafkaSasl | null = null;
  if (mechanism === '') {
    if (username !== '' || password !== '') problems.push('KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is empty');
  } else if (!SASL_MECHANISMS.includes(mechanism as KafkaSaslMechanism)) {
    problems.push(`KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')} (got "${mechanism}"; AWS IAM and OAUTHBEARER are not supported)`);
  } else {
    if (username === '') problems.push(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME`);
    if (password === '') problems.push(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_PASSWORD`);
    // Serialized (a log line, an error detail) without the password.
    sasl = Object.defineProperty({ mechanism: mechanism as KafkaSaslMechanism, username, password }, 'toJSON', {
      value: () => ({ mechanism, username, password: '***' }),
    });
  }

  const enabled = read('KAFKA_SSL');
  if (!['true', 'false'].includes(enabled)) problems.push('KAFKA_SSL must be true or false');
  const rejectUnauthorized = read('KAFKA_SSL_REJECT_UNAUTHORIZED');
  if (!['true', 'false'].includes(rejectUnauthorized)) problems.push('KAFKA_SSL_REJECT_UNAUTHORIZED must be true or false');
  const files = {
    caFile: readableFile('KAFKA_SSL_CA_FILE', read('KAFKA_SSL_CA_FILE'), problems),
    certFile: readableFile('KAFKA_SSL_CERT_FILE', read('KAFKA_SSL_CERT_FILE'), problems),
    keyFile: readableFile('KAFKA_SSL_KEY_FILE', read('KAFKA_SSL_KEY_FILE'), problems),
  };
  if ((read('KAFKA_SSL_CERT_FILE') === '') !== (read('KAFKA_SSL_KEY_FILE') === '')) {
    problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS)');
  }
  const ssl: KafkaTls | null = enabled === 'true' ? { ...files, rejectUnauthorized: rejectUnauthorized !== 'false' } : null;
  if (enabled !== 'true') {
    const stray = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'].filter((name) => read(name) !== '');
    if (stray.length > 0) problems.push(`${stray.join(', ')} set but KAFKA_SSL is not true`);
  }
  if (mode === 'production') {
    if (sasl?.mechanism === 'plain' && ssl === null)
      problems.push('KAFKA_SASL_MECHANISM=plain sends the password in clear text: production needs KAFKA_SSL=true');
    if (ssl !== null && !ssl.rejectUnauthorized) problems.push('KAFKA_SSL_REJECT_UNAUTHORIZED=false is refused in production mode');
  }
  return { sasl, ssl };
}

/** A configured file path that must be readable now, so a typo fails at startup, not at connect. */
function readableFile(name: string, file: string, problems: string[]): string | null {
  if (file === '') return null;
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (!fs.statSync(file).isFile()) throw new Error('not a file');
    return file;
  } catch {
    problems.push(`${name} "${file}" is not a readable file`);
    return null;
  }
}

export interface ApiAuth {
  /** CANONQL_ADMIN_KEYS as admin grants, then CANONQL_API_KEYS. */
  readonly apiKeys: readonly ApiKeyGrant[];
  readonly jwt: JwtSettings | null;
  readonly requireAuth: boolean;
}

/**
 * Credentials and abuse limits of the API. Production tightens three defaults (credential
 * required, no introspection, a rate limit) and refuses to serve an API nobody could log in to:
 * no key and no JWT verifier at all is a startup error, not an open or a locked-out API.
 */
function readApiHardening(read: (name: string) => string, env: Env, where: { mode: string; api: boolean; maxPageSize: number }, problems: string[]) {
  const production = where.mode === 'production';
  const bool = (name: string, unset: boolean): boolean => {
    const value = read(name);
    if (value === '') return unset;
    if (value !== 'true' && value !== 'false') problems.push(`${name} must be true or false`);
    return value === 'true';
  };
  const int = (name: string, min: number, unset?: number): number => {
    const raw = read(name);
    const value = raw === '' && unset !== undefined ? unset : Number(raw);
    if (!Number.isInteger(value) || value < min) problems.push(`${name} must be an integer of at least ${min}`);
    return value;
  };

  const adminKeys = read('CANONQL_ADMIN_KEYS')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const { grants, problems: keyProblems } = parseApiKeys(read('CANONQL_API_KEYS'));
  problems.push(...keyProblems);
  // Not trimmed: a secret is used exactly as given.
  const secret = env.CANONQL_JWT_SECRET ?? '';
  if (secret !== '' && secret.length < 32) problems.push('CANONQL_JWT_SECRET must be at least 32 characters (HS256 needs a 256-bit key)');
  const jwksFile = read('CANONQL_JWT_JWKS_FILE');
  let jwks: JwtSettings['jwks'] = null;
  if (jwksFile !== '') {
    try {
      const parsed = JSON.parse(fs.readFileSync(jwksFile, 'utf8')) as { keys?: unknown };
      if (!Array.isArray(parsed.keys) || parsed.keys.length === 0 || !parsed.keys.every((k) => typeof k === 'object' && k !== null && 'kty' in k)) {
        throw new Error('not a JWKS');
      }
      jwks = parsed as NonNullable<JwtSettings['jwks']>;
    } catch {
      problems.push(`CANONQL_JWT_JWKS_FILE "${jwksFile}" is not a readable JSON Web Key Set ({"keys": [...]})`);
    }
  }
  const issuer = read('CANONQL_JWT_ISSUER');
  const audience = read('CANONQL_JWT_AUDIENCE');
  const jwt: JwtSettings | null =
    secret !== '' || jwksFile !== ''
      ? { secret: secret === '' ? null : secret, jwks, issuer: issuer === '' ? null : issuer, audience: audience === '' ? null : audience }
      : null;
  if (jwt === null && (issuer !== '' || audience !== ''))
    problems.push('CANONQL_JWT_ISSUER/CANONQL_JWT_AUDIENCE are set but neither CANONQL_JWT_SECRET nor CANONQL_JWT_JWKS_FILE');
  const apiKeys: ApiKeyGrant[] = [...adminKeys.map((key) => ({ key, role: 'admin' as const, subjects: null })), ...grants];
  if (production && where.api && apiKeys.length === 0 && jwt === null) {
    problems.push('no credentials configured: production mode needs CANONQL_ADMIN_KEYS, CANONQL_API_KEYS, CANONQL_JWT_SECRET or CANONQL_JWT_JWKS_FILE');
  }

  const limits: ApiLimits = {
    maxDepth: int('CANONQL_MAX_DEPTH', 1),
    maxCost: int('CANONQL_MAX_COST', 1),
    maxAliases: int('CANONQL_MAX_ALIASES', 0),
    maxPageSize: where.maxPageSize,
    introspection: bool('CANONQL_INTROSPECTION', !production),
    maxBodyBytes: int('CANONQL_MAX_BODY_BYTES', 1024),
    batching: bool('CANONQL_BATCHED_HTTP', false),
    maxBatch: int('CANONQL_MAX_BATCH', 1),
    rateLimitPerMinute: int('CANONQL_RATE_LIMIT_PER_MINUTE', 0, production ? 1200 : 0),
    maxSubscriptionsPerConnection: int('CANONQL_MAX_SUBSCRIPTIONS_PER_CONNECTION', 1),
    operationTimeoutMs: int('CANONQL_OPERATION_TIMEOUT_MS', 0),
    wsKeepAliveMs: int('CANONQL_WS_KEEPALIVE_MS', 0),
    maxSubscriberBacklog: int('CANONQL_MAX_SUBSCRIBER_BACKLOG', 1),
  };
  return { adminKeys, auth: { apiKeys, jwt, requireAuth: bool('CANONQL_REQUIRE_AUTH', production) }, limits };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
