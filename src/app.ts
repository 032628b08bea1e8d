import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { Admin, Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import { createAdminServices } from './admin/admin-services';
import { createActiveSpecs, type ActiveSpecs } from './catalog/active-specs';
import { watchCatalogRevision, type RevisionWatch } from './catalog/catalog-revision';
import { loadSpecFiles } from './catalog/spec-files';
import { createMetricRegistry, type MetricRegistry } from './metrics/metric-registry';
import { activeAfterSeed, activeSpecProblems, createSpecRegistry, type SpecRegistry } from './catalog/spec-registry';
import { createSchemaRegistry, readSchemaFiles, type SchemaRegistry } from './catalog/schema-registry';
import { createRawSchemaStore } from './catalog/raw-schema-store';
import { createRegistryService, type RegistryService } from './catalog/registry-service';
import { createSchemaIds } from './catalog/schema-ids';
import { syncCatalogFromRegistry } from './catalog/schema-registry-sync';
import { createSubjectCatalog, type SubjectCatalog } from './catalog/subject-catalog';
import type { Config, SourceRegistry } from './config';
import { startDemoFeed } from './demo/demo-feed';
import { createDiscoveryReader } from './discovery/discovery-reader';
import { discoverySamples } from './admin/discovery-samples';
import { createProfiledTopics, type ProfiledTopics } from './discovery/profiled-topics';
import { createProfiler } from './discovery/profiler';
import { createProfilingConsumer } from './discovery/profiling-consumer';
import { createEventLog } from './events/event-log';
import type { EventSchemaIds } from './events/event-publisher';
import { createAccessPolicy } from './graphql/access';
import { createApiSchemaCheck } from './graphql/api-schema-check';
import { DEMO_QUERY } from './graphql/demo-query';
import { explorerRoutes } from './http/explorer-routes';
import { buildApiSchema } from './graphql/build-api-schema';
import { withRawSchemaDrift } from './graphql/discovery/drift-subscription';
import { mountGraphqlEndpoint } from './graphql/graphql-endpoint';
import { withMetricSubscriptions } from './graphql/metrics/metric-subscription';
import { createSubjectStatusReader } from './graphql/status/subject-status';
import { SchemaGateway } from './graphql/schema-gateway';
import type { SharedSubscriptions } from './graphql/shared-subscriptions';
import { buildServedSchema, type BuildSchema } from './graphql/served-schema';
import { ensureSubjectIndexes } from './graphql/subject/subject-indexes';
import { subscriptionFields } from './graphql/subscription-fields';
import { healthRoutes } from './http/health-routes';
import type { SiteLinks } from './http/html';
import { landingRoutes } from './http/landing-routes';
import { registryRoutes } from './http/registry-routes';
import { studioRoutes } from './http/studio-routes';
import { createKafka } from './infra/kafka';
import { connectMongo, type MongoHandle } from './infra/mongo';
import { createIngestion, type Ingestion } from './ingestion/ingestion-service';
import { byTopicPattern, recordFormatOf } from './ingestion/registry/record-format';
import { createBatchDecoder, type BatchDecoder } from './ingestion/registry/registry-decoder';
import { createSchemaRegistryClient, DEFAULT_REGISTRY_RETRY_POLICY, type SchemaRegistryClient } from './infra/schema-registry-client';
import type { Logger } from './logger';
import type { MetricDefinition } from './metrics/metric-definition';
import { loadMetricFiles } from './metrics/metric-files';
import { createMetricsReader } from './metrics/metric-reader';
import { createMetricsService, type MetricsService } from './metrics/metrics-service';
import { createLagReader, type LagReader } from './observability/consumer-lag';
import type { ConsumerHealth } from './observability/consumer-health';
import { metricsRoute } from './observability/metrics-route';
import { consumerReadiness, storeRoundTrip } from './observability/readiness';
import { requestIdMiddleware } from './observability/request-id';
import { createServiceMetrics, type ServiceMetrics } from './observability/service-metrics';
import { createEntityStore } from './state/entity-store';
import { migrateOrderKeys } from './state/migrate-order-keys';
import { createChangeFeed } from './subscriptions/change-feed';

/**
 * Composition root: builds every component from the config, wired by hand, in data-flow order.
 * Nothing else constructs infrastructure clients, so tests can start a whole app per suite.
 */
export interface App {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly catalog: SubjectCatalog;
  readonly ingestion: Ingestion | null;
  /** The state store's database (tests read it, and observe its commands when the URI sets monitorCommands). */
  readonly db: Db;
  /** The api role's live subscription executions (null without the role). */
  readonly subscriptions: SharedSubscriptions | null;
  /** This instance's Prometheus registry and counters (served at /metrics). */
  readonly metrics: ServiceMetrics;
  stop(): Promise<void>;
  /** While stopping: the resources not closed yet, the one being closed first (named when a shutdown deadline passes). */
  pendingStop(): string[];
}

export const GRAPHQL_PATH = '/graphql';
export const STUDIO_PATH = '/studio';

type Resource = { name: string; close: () => Promise<void> };

export async function startApp(config: Config, logger: Logger): Promise<App> {
  const resources: Resource[] = [];
  const pending: string[] = [];
  let stopping = false;
  // One registry per app: several apps can run in one process (tests), each scraping its own.
  const serviceMetrics = createServiceMetrics();
  try {
    const core = await startCore(config, logger, serviceMetrics, resources);
    // State stored by an earlier version gets its order keys before anything reads or writes it.
    await migrateStoredState(core);
    const ingestion = config.roles.includes('ingest') ? await startIngestRole(core) : null;
    const metricDefinitions = await followMetricDefinitions(core);
    const metricsService = config.metrics.enabled && config.roles.includes('ingest') ? await startMetricsRole(core, metricDefinitions) : null;
    if (config.demo.enabled) await startDemo(core);
    const { app, server } = createHttpServer(core, {
      ingestion: () => ingestion?.health() ?? null,
      metrics: metricsService ? () => metricsService.health() : null,
      accepting: () => !stopping,
    });
    const subscriptions = config.roles.includes('api') ? await startApiRole(core, app, server, metricDefinitions) : null;

    const url = await listen(server, config);
    logger.info({ url, graphql: `${url}${GRAPHQL_PATH}`, roles: config.roles }, 'canonql started');
    return {
      url,
      graphqlUrl: `${url}${GRAPHQL_PATH}`,
      catalog: core.catalog,
      ingestion,
      db: core.mongo.db,
      subscriptions,
      metrics: serviceMetrics,
      stop: () => {
        stopping = true;
        return closeAll(resources, logger, pending);
      },
      pendingStop: () => [...pending],
    };
  } catch (error) {
    await closeAll(resources, logger, pending);
    throw error;
  }
}

/** What every role is built from: the connections, the catalog, and the lists of what to close and what to reload. */
interface Core {
  readonly config: Config;
  readonly logger: Logger;
  readonly serviceMetrics: ServiceMetrics;
  readonly mongo: MongoHandle;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly schemaRegistry: SchemaRegistry;
  /** The same registry in the Confluent registry's model (ids, raw writer schemas, event schemas). */
  readonly registryService: RegistryService;
  /**
   * Decodes raw records whatever their topic's record format, with the source registry's client
   * (null: every topic is JSON). One per process: ingestion, backfills and dead-letter replays read
   * records alike and share its caches.
   */
  readonly recordDecoder: BatchDecoder | null;
  /**
   * The event schema id of each subject published in the registry wire format (undefined: every
   * subject is plain JSON). One per process: every publisher of canonical events (ingestion,
   * backfills, replays) writes a subject's events in the same form.
   */
  readonly eventSchemaIds: EventSchemaIds | undefined;
  readonly catalog: SubjectCatalog;
  readonly specRegistry: SpecRegistry;
  readonly activeSpecs: ActiveSpecs;
  readonly profiledTopics: ProfiledTopics;
  readonly lag: LagReader;
  readonly catalogWatch: RevisionWatch;
  /** Closed in reverse order by stop(). */
  readonly resources: Resource[];
  /** Run in order whenever the catalog revision moves (any process changed the catalog). */
  readonly reloaders: (() => Promise<void>)[];
  /** Told when the active specs change. */
  readonly specListeners: ((specs: ReturnType<ActiveSpecs['list']>) => Promise<void>)[];
  /** How the API role builds its schema (its subscription fields included), once it has one: registrations are checked against it. */
  apiSchemaBuilder: BuildSchema | undefined;
}

/** Connections, the catalog (schemas, specs) seeded from files and followed through the catalog revision, and consumer lag. */
async function startCore(config: Config, logger: Logger, serviceMetrics: ServiceMetrics, resources: Resource[]): Promise<Core> {
  const mongo: MongoHandle = await connectMongo(config.mongo, { logger });
  resources.push({ name: 'mongo', close: () => mongo.close() });

  const kafka = createKafka(config.kafka, logger);
  const admin: Admin = kafka.admin();
  await admin.connect();
  resources.push({ name: 'kafka-admin', close: () => admin.disconnect() });

  // Schema files are the seed; the schema registry in the store is the runtime truth, and the
  // in-memory catalog (read by GraphQL and ingestion) is its view, reloaded on every revision.
  const core: Partial<Core> & { apiSchemaBuilder: BuildSchema | undefined } = { apiSchemaBuilder: undefined };
  // Spec files are the seed; the registry in the store is the runtime truth (admin API). A new
  // schema version is checked against the specs active for its subject.
  const catalog = createSubjectCatalog();
  const specRegistry = createSpecRegistry(mongo.db, (subject) => catalog.get(subject)?.schema);
  const schemaRegistry = createSchemaRegistry(mongo.db, {
    logger,
    api: createApiSchemaCheck(() => core.apiSchemaBuilder),
    activeSpecs: async (subject, candidate, current) => activeSpecProblems(await specRegistry.active(), subject, candidate, current),
  });
  // Schema files first (the spec files may write fields they add), checked against the specs
  // active once the spec files are seeded (they may stop writing a field a schema file drops).
  const specFiles = loadSpecFiles(path.resolve(config.specsDir));
  const seededSpecs = await activeAfterSeed(specRegistry, specFiles);
  await schemaRegistry.seed(readSchemaFiles(path.resolve(config.schemaDir, 'canonical')), {
    activeSpecs: async (subject, candidate, current) => activeSpecProblems(seededSpecs, subject, candidate, current),
  });
  await syncCatalogFromRegistry(schemaRegistry, catalog);
  await specRegistry.seed(specFiles);
  const activeSpecs = createActiveSpecs(specRegistry);
  await activeSpecs.reload();
  // Lag of the ingestion group over the raw topics of the active specs, read at most once per
  // cache interval whatever asks (scrapes, subjectStatus), by every process.
  const lag = createLagReader({
    admin,
    groupId: config.ingest.groupId,
    cacheMs: config.observability.lagCacheMs,
    topics: () => activeSpecs.list().flatMap((spec) => spec.topics),
    onError: (error) => serviceMetrics.recordFailure('consumer-lag', error),
  });
  serviceMetrics.lagFrom(() => lag.read());

  // Every catalog change made through any process reaches this one through the revision poll.
  const reloaders: (() => Promise<void>)[] = [];
  const specListeners: Core['specListeners'] = [];
  const catalogWatch = watchCatalogRevision(mongo.db, {
    intervalMs: config.catalog.pollMs,
    logger,
    onChange: async () => {
      for (const reload of reloaders) await reload();
    },
  });
  resources.push({ name: 'catalog-watch', close: async () => catalogWatch.stop() });
  // Schemas first: the specs reloaded next are checked against the subjects.
  reloaders.push(async () => {
    await syncCatalogFromRegistry(schemaRegistry, catalog);
  });
  reloaders.push(async () => {
    if (!(await activeSpecs.reload())) return;
    for (const listener of specListeners) await listener(activeSpecs.list());
  });
  const wireFormat = new Set(config.ingest.wireFormatSubjects);
  const registryService = createRegistryService({
    canonical: schemaRegistry,
    raw: createRawSchemaStore(mongo.db),
    ids: createSchemaIds(mongo.db),
    onCanonicalChange: () => catalogWatch.refresh(),
    events: { topicPrefix: config.ingest.canonicalTopicPrefix, published: (subject) => wireFormat.has('*') || wireFormat.has(subject) },
  });
  const eventSchemaIds = await followEventSchemaIds(config, catalog, registryService, reloaders);
  return Object.assign(core, {
    config,
    logger,
    serviceMetrics,
    mongo,
    kafka,
    admin,
    schemaRegistry,
    registryService,
    recordDecoder: createRecordDecoder(config, logger),
    eventSchemaIds,
    catalog,
    specRegistry,
    activeSpecs,
    profiledTopics: createProfiledTopics(mongo.db),
    lag,
    catalogWatch,
    resources,
    reloaders,
    specListeners,
  });
}

async function migrateStoredState({ mongo, config, logger }: Core): Promise<void> {
  const migration = await migrateOrderKeys(mongo.db, {
    batchSize: config.migrationBatch,
    onProgress: (p) => logger.info({ collection: p.collection, done: p.done, total: p.total }, `order keys: ${p.collection} ${p.done}/${p.total}`),
  });
  if (migration.migrated > 0) logger.info(migration, 'order keys: migration done');
}

/** The ingest role: raw-schema profiling, then the ingestion consumer over the active specs' raw topics. */
async function startIngestRole(core: Core): Promise<Ingestion> {
  const { config, logger, mongo, kafka, catalog, activeSpecs, resources } = core;
  const specs = activeSpecs.list();
  const decoder = core.recordDecoder;
  const profiler = createProfiler({ db: mongo.db, ...config.discovery, logger });
  await profiler.start();
  // Closed after ingestion (resources close in reverse), so the last batch's profile is flushed.
  resources.push({ name: 'discovery-profiler', close: () => profiler.stop() });
  if (profiler.enabled) {
    // Topics an admin asked to profile before any spec reads them; closed before the profiler.
    const profiling = createProfilingConsumer({
      kafka,
      groupId: `${config.ingest.groupId}-profile`,
      observe: profiler.observe,
      logger,
      ...(decoder ? { decoder } : {}),
    });
    resources.push({ name: 'discovery-consumer', close: () => profiling.stop() });
    const syncProfiling = async () => {
      const read = new Set(activeSpecs.list().flatMap((spec) => spec.topics));
      await profiling.setTopics((await core.profiledTopics.list()).filter((topic) => !read.has(topic)));
    };
    await syncProfiling();
    core.reloaders.push(syncProfiling);
  }
  const ingestion = createIngestion({
    kafka,
    db: mongo.db,
    specs,
    validate: (subject, document) => catalog.validate(subject, document),
    groupId: config.ingest.groupId,
    deadLetterTopic: config.ingest.deadLetterTopic,
    canonicalPartitions: config.ingest.canonicalPartitions,
    canonicalTopicPrefix: config.ingest.canonicalTopicPrefix,
    fromBeginning: config.ingest.fromBeginning,
    sessionTimeoutMs: config.ingest.sessionTimeoutMs,
    fetchMaxBytes: config.ingest.fetchMaxBytes,
    stateCacheEntries: config.ingest.stateCacheEntries,
    decodeLimits: config.ingest.decodeLimits,
    publishMaxBytes: config.ingest.publishMaxBytes,
    logger,
    metrics: core.serviceMetrics,
    ...(profiler.enabled ? { observe: profiler.observe } : {}),
    ...(decoder ? { decoder } : {}),
    ...(core.eventSchemaIds ? { eventSchemaIds: core.eventSchemaIds } : {}),
  });
  await ingestion.start();
  resources.push({ name: 'ingestion', close: () => ingestion.stop() });
  core.specListeners.push((next) => ingestion.setSpecs(next));
  logger.info({ specs: specs.map((s) => `${s.id}@${s.version}`), subjects: catalog.list().map((s) => s.subject) }, 'ingestion started');
  return ingestion;
}

/**
 * The decoder of raw topics in the registry wire format (Avro, JSON Schema), with a client per
 * source registry (the default one and those of CANONQL_SOURCE_REGISTRIES); null when no registry
 * is configured (every topic is JSON, decoded as it always was).
 */
function createRecordDecoder(config: Config, logger: Logger): BatchDecoder | null {
  const { registry, topicRegistries } = config.ingest;
  if (!registry && topicRegistries.length === 0) return null;
  const clientOf = (source: SourceRegistry) =>
    createSchemaRegistryClient({
      url: source.url,
      userInfo: source.userInfo,
      bearerToken: source.bearerToken,
      ca: source.caFile ? fs.readFileSync(source.caFile, 'utf8') : null,
      caFile: source.caFile,
      timeoutMs: source.timeoutMs,
      cacheSize: source.cacheSize,
      retryPolicy: { ...DEFAULT_REGISTRY_RETRY_POLICY, attempts: source.attempts },
      logger: logger.child({ component: 'source-registry' }),
    });
  // One client per registry (its own cache: ids are a registry's own), the topics it serves routed to it.
  const routes = topicRegistries.flatMap((entry) => {
    const client = clientOf(entry.registry);
    return entry.topics.map((topic) => ({ topic, value: client }));
  });
  return createBatchDecoder({
    formatOf: recordFormatOf(config.ingest.topicFormats, config.ingest.recordFormat),
    registryOf: byTopicPattern<SchemaRegistryClient | null>(routes, registry ? clientOf(registry) : null),
    limits: config.ingest.decodeLimits,
    // The same tuning for every registry (CANONQL_SOURCE_REGISTRY_CACHE_SIZE).
    cacheSize: (registry ?? topicRegistries[0]!.registry).cacheSize,
  });
}

/**
 * Subjects published in the wire format: the id of each one's latest event schema, read now and
 * again with every catalog change (the same reload that changes what ingestion validates against);
 * undefined when no subject is (CANONQL_WIRE_FORMAT_SUBJECTS empty).
 */
async function followEventSchemaIds(
  config: Config,
  catalog: SubjectCatalog,
  registryService: RegistryService,
  reloaders: (() => Promise<void>)[],
): Promise<EventSchemaIds | undefined> {
  if (config.ingest.wireFormatSubjects.length === 0) return undefined;
  const ids = new Map<string, number>();
  const refresh = async () => {
    for (const { subject } of catalog.list()) {
      const id = await registryService.eventSchemaId(subject);
      if (id === null) ids.delete(subject);
      else ids.set(subject, id);
    }
  };
  await refresh();
  reloaders.push(refresh);
  return (subject) => ids.get(subject) ?? null;
}

/** The active metric definitions, followed through the catalog revision; listeners hear of each change. */
interface MetricDefinitions {
  readonly registry: MetricRegistry | undefined;
  current: MetricDefinition[];
  readonly listeners: ((definitions: MetricDefinition[]) => Promise<void> | void)[];
}

/** Metric definitions share the specs' lifecycle: files in specs/metrics/ seed the registry. */
async function followMetricDefinitions(core: Core): Promise<MetricDefinitions> {
  const { config, mongo, catalog } = core;
  const registry = config.metrics.enabled ? createMetricRegistry(mongo.db, (subject) => catalog.get(subject) !== undefined) : undefined;
  const definitions: MetricDefinitions = { registry, current: [], listeners: [] };
  if (!registry) return definitions;
  await registry.seed(loadMetricFiles(path.resolve(config.metrics.dir)));
  const activeMetrics = async () => (await registry.active()).map((v) => v.body);
  definitions.current = await activeMetrics();
  let signature = JSON.stringify(definitions.current.map((d) => [d.name, d.version]));
  core.reloaders.push(async () => {
    const next = await activeMetrics();
    const nextSignature = JSON.stringify(next.map((d) => [d.name, d.version]));
    if (nextSignature === signature) return;
    signature = nextSignature;
    definitions.current = next;
    for (const listener of definitions.listeners) await listener(next);
  });
  return definitions;
}

/** The metrics role: its own consumer group over the canonical topics (see metrics-service.ts). */
async function startMetricsRole(core: Core, definitions: MetricDefinitions): Promise<MetricsService> {
  const { config, kafka, mongo, logger } = core;
  const metricsService = createMetricsService({
    kafka,
    db: mongo.db,
    logger,
    groupId: config.metrics.groupId,
    topicPrefix: config.ingest.canonicalTopicPrefix,
    canonicalPartitions: config.ingest.canonicalPartitions,
    sessionTimeoutMs: config.ingest.sessionTimeoutMs,
  });
  // Definitions first: the consumer then joins its group once, with its topics known.
  await metricsService.setDefinitions(definitions.current);
  await metricsService.start();
  core.resources.push({ name: 'metrics', close: () => metricsService.stop() });
  definitions.listeners.push((next) => metricsService.setDefinitions(next));
  return metricsService;
}

async function startDemo({ config, kafka, logger, resources }: Core): Promise<void> {
  // Stopped before ingestion (resources close in reverse), so its last changes are consumed.
  const demo = await startDemoFeed({
    kafka,
    sourcePostgresUrl: config.sourcePostgresUrl,
    ordersTopic: config.demo.ordersTopic,
    intervalMs: config.demo.intervalMs,
    logger,
  });
  resources.push({ name: 'demo-feed', close: () => demo.stop() });
  logger.info({ ordersTopic: config.demo.ordersTopic, intervalMs: config.demo.intervalMs }, 'demo feed started');
}

/** The HTTP server every role has: request ids, Prometheus metrics, health and readiness. */
function createHttpServer(
  core: Core,
  health: {
    /** The ingestion consumer's health (null: not created yet); null when this process does not ingest. */
    ingestion: (() => ConsumerHealth | null) | null;
    metrics: (() => ConsumerHealth) | null;
    accepting: () => boolean;
  },
): { app: express.Express; server: http.Server } {
  const { config, mongo, admin, catalog, serviceMetrics } = core;
  const app = express();
  app.disable('x-powered-by');
  // First: every response (health, metrics, GraphQL, errors) carries the request's correlation id.
  app.use(requestIdMiddleware());
  if (config.observability.prometheus) app.use(metricsRoute(serviceMetrics.registry, { token: config.observability.prometheusToken }));
  const startedAt = Date.now();
  // A consumer not created yet is starting: readiness reports it, but does not wait for it.
  const notYet = (): ConsumerHealth => ({ state: 'starting', since: startedAt });
  const ingestion = health.ingestion;
  const metrics = health.metrics;
  app.use(
    healthRoutes({
      store: storeRoundTrip(mongo.db),
      ...(config.roles.includes('ingest') && ingestion ? { ingestion: consumerReadiness(() => ingestion() ?? notYet()) } : {}),
      ...(config.metrics.enabled && config.roles.includes('ingest') ? { metrics: consumerReadiness(() => metrics?.() ?? notYet()) } : {}),
      kafka: async () => (await admin.describeCluster()).brokers.length > 0,
      catalog: async () => catalog.list().length > 0,
      // A stopping process leaves the load balancer's rotation before its server closes.
      accepting: async () => health.accepting(),
    }),
  );
  const server = http.createServer(app);
  // Registered before the API so it closes after it: the GraphQL drain (in-flight requests
  // answered, websockets closed with 1001) runs first, then the server's close can complete.
  core.resources.push({ name: 'http', close: () => new Promise((resolve) => server.close(() => resolve())) });
  return { app, server };
}

/**
 * The api role: every API process follows every canonical topic itself (its own consumer group),
 * so any replica can serve any subscriber (no sticky sessions); the landing page, the studio, the
 * explorer and the GraphQL endpoint over HTTP and websockets.
 */
async function startApiRole(core: Core, app: express.Express, server: http.Server, definitions: MetricDefinitions): Promise<SharedSubscriptions> {
  const { config, logger, mongo, kafka, admin, catalog, activeSpecs, resources, serviceMetrics } = core;
  const feed = createChangeFeed({
    kafka,
    db: mongo.db,
    topicPrefix: config.ingest.canonicalTopicPrefix,
    logger,
    maxBufferedPerSubscriber: config.api.limits.maxSubscriberBacklog,
  });
  await feed.start();
  resources.push({ name: 'change-feed', close: () => feed.stop() });
  for (const { subject } of catalog.list()) await feed.addSubject(subject);
  serviceMetrics.gaugeFrom(
    'canonql_change_feed_subscribers',
    'Change-feed subscriptions of this process (GraphQL subscriptions sharing one execution count once).',
    () => feed.stats().subscribers,
  );
  const store = createEntityStore(mongo.db);
  const eventLog = createEventLog(mongo.db);
  const discovery = createDiscoveryReader({ db: mongo.db, removalWindow: config.discovery.removalWindow });
  const adminServices = createAdminServices({
    db: mongo.db,
    kafka,
    kafkaAdmin: admin,
    store,
    eventLog,
    catalog,
    specs: core.specRegistry,
    ...(definitions.registry ? { metrics: definitions.registry } : {}),
    activeSpecs: () => activeSpecs.list(),
    profiledTopics: core.profiledTopics,
    samples: discoverySamples(discovery),
    canonicalTopicPrefix: config.ingest.canonicalTopicPrefix,
    deadLetterTopic: config.ingest.deadLetterTopic,
    publishMaxBytes: config.ingest.publishMaxBytes,
    refresh: () => core.catalogWatch.refresh(),
    logger,
    decodeLimits: config.ingest.decodeLimits,
    ...(core.recordDecoder ? { decoder: core.recordDecoder } : {}),
    ...(core.eventSchemaIds ? { eventSchemaIds: core.eventSchemaIds } : {}),
  });
  resources.push({ name: 'admin', close: () => adminServices.stop() });
  const metricsReader = config.metrics.enabled
    ? createMetricsReader({ db: mongo.db, definitions: definitions.current, limits: { maxScan: config.metrics.maxScan, maxGroups: config.metrics.maxGroups } })
    : undefined;
  if (metricsReader) {
    resources.push({ name: 'metrics-reader', close: async () => metricsReader.stop() });
    definitions.listeners.push((next) => metricsReader.setDefinitions(next));
  }
  const subscriptionsFactory = withMetricSubscriptions(withRawSchemaDrift(subscriptionFields(feed), discovery));
  const buildSchema: BuildSchema = (subjects) => buildApiSchema(subjects, subscriptionsFactory);
  core.apiSchemaBuilder = buildSchema;
  // Serve what is valid, report what is not: a catalog entry whose GraphQL names collide (stored
  // before registrations were checked for it) is left out, never keeps the process from starting.
  let unserved = new Map<string, string>();
  const build = () => {
    const built = buildServedSchema(catalog.list(), buildSchema);
    const refused = new Map([...catalog.unserved(), ...built.refused].map((r) => [r.subject, r.reason]));
    for (const [subject, reason] of refused) {
      if (unserved.get(subject) !== reason) logger.warn({ subject, reason }, 'canonical subject registered but not served');
    }
    unserved = refused;
    return built.schema;
  };
  const gateway = new SchemaGateway(build());
  // The indexes the API's reads use, in the background: building one on a large collection takes
  // a while, and a list or a relation is answered (by a scan) without it.
  const indexSubjects = () => ensureSubjectIndexes(store, catalog.list(), logger);
  void indexSubjects();
  // A subject registered or changed at run time is served at once, over HTTP and websockets.
  const unsubscribe = catalog.onChange(() => {
    gateway.update(build());
    for (const { subject } of catalog.list()) {
      feed.addSubject(subject).catch((error: unknown) => logger.error({ err: error, subject }, 'cannot follow subject'));
    }
    void indexSubjects();
  });
  const status = createSubjectStatusReader({
    db: mongo.db,
    serves: (subject) => catalog.get(subject) !== undefined && !unserved.has(subject),
    unservedReason: (subject) => unserved.get(subject) ?? null,
    activeSpecs: () => activeSpecs.list(),
    lag: core.lag,
  });
  const links: SiteLinks = {
    home: '/',
    explorer: GRAPHQL_PATH,
    studio: STUDIO_PATH,
    health: '/healthz',
    readiness: '/readyz',
    ...(config.observability.prometheus ? { metrics: '/metrics' } : {}),
  };
  // The landing page: what runs (subjects' status, active specs and metrics), links to the rest.
  app.use(
    landingRoutes({
      links,
      logger,
      // Reads that need a credential are not shown to an anonymous page.
      snapshot: config.api.auth.requireAuth
        ? null
        : async () => ({
            roles: config.roles,
            subjects: await Promise.all(catalog.list().map(async ({ subject }) => (await status.status(subject)) ?? { subject, error: 'no longer served' })),
            specs: activeSpecs.list(),
            metrics: definitions.current,
            takenAt: new Date(),
          }),
    }),
  );
  // The schema registry over the Confluent registry protocol: the same store and rules as the catalog.
  const registry = core.registryService;
  const access = createAccessPolicy(config.api.auth);
  app.use(registryRoutes({ registry, access, logger }));
  // The mapping studio: a page over the same GraphQL API (reads open, changes need an admin key).
  app.use(studioRoutes({ path: STUDIO_PATH, endpointPath: GRAPHQL_PATH, links }));
  // A browser asking for the endpoint gets the offline GraphiQL explorer; everything else is GraphQL.
  app.use(explorerRoutes({ endpointPath: GRAPHQL_PATH, defaultQuery: DEMO_QUERY, title: 'canonql explorer', links }));
  const endpoint = await mountGraphqlEndpoint({
    app,
    httpServer: server,
    path: GRAPHQL_PATH,
    gateway,
    services: {
      catalog,
      db: mongo.db,
      store,
      eventLog,
      maxPageSize: config.api.maxPageSize,
      access,
      schemaRegistry: { registry: core.schemaRegistry, refresh: () => core.catalogWatch.refresh() },
      admin: adminServices,
      discovery,
      status,
      ...(metricsReader ? { metrics: metricsReader } : {}),
    },
    logger,
    metrics: serviceMetrics,
    limits: config.api.limits,
  });
  serviceMetrics.gaugeFrom(
    'canonql_shared_subscription_executions',
    'Live subscription executions shared by identical GraphQL subscriptions.',
    () => endpoint.subscriptions.executions,
  );
  resources.push({
    name: 'graphql',
    close: async () => {
      unsubscribe();
      await endpoint.stop();
    },
  });
  return endpoint.subscriptions;
}

async function listen(server: http.Server, config: Config): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return `http://${config.http.host}:${port}`;
}

/**
 * Closes in reverse order of opening; one failing close does not keep the others open. `pending`
 * lists what is not closed yet (the one being closed first), for a shutdown deadline to name.
 */
async function closeAll(resources: Resource[], logger: Logger, pending: string[]): Promise<void> {
  const order = [...resources].reverse();
  pending.splice(0, pending.length, ...order.map((resource) => resource.name));
  for (const resource of order) {
    const started = Date.now();
    try {
      await resource.close();
      logger.debug({ resource: resource.name, ms: Date.now() - started }, 'closed');
    } catch (error) {
      logger.warn({ err: error, resource: resource.name }, 'error while closing');
    }
    pending.shift();
  }
  resources.length = 0;
}
