import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { Express } from 'express';
import { subscribe as executeSubscription, type ExecutionResult } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logger';
import { graphqlMetrics } from './graphql-metrics-plugin';
import { acceptedQueries } from './accepted-queries';
import type { ServiceMetrics } from '../observability/service-metrics';
import { observeWebsockets, requestScope } from '../observability/websocket-observer';
import { isScoped } from './access';
import { createContext, type ApiContext, type ApiServices } from './context';
import { limitsPlugin, withRefusalCodes } from './limits/apollo-limits';
import { DEFAULT_API_LIMITS, type ApiLimits } from './limits/api-limits';
import { PARSE_OPTIONS } from './limits/document-limits';
import { createDocumentStore } from './limits/document-store';
import { httpGuards, principalOf } from './limits/http-guards';
import { authorizationParam, wsGuards } from './limits/ws-guards';
import { createRateLimiter } from './limits/rate-limit';
import { createFormatError } from './format-error';
import { createSharedSubscriptions, type SharedSubscriptions } from './shared-subscriptions';
import { slowSubscriberOnError } from '../subscriptions/slow-subscriber-close';
import { serveGraphqlWs } from './ws-transport';
import { graphqlHttpListener } from './graphql-http';
import type { SchemaGateway } from './schema-gateway';

/**
 * The GraphQL endpoint on one HTTP server and path: Apollo Server for queries and mutations over
 * HTTP, graphql-ws for subscriptions over websockets, both reading the gateway's current schema,
 * both drained on stop (in-flight requests finish, sockets close with 1001 "going away"), and the
 * explorer (GraphiQL, served from npm packages, no CDN) for browsers on the same URL.
 */
export interface GraphqlEndpoint {
  /** Live subscriptions of one shape share one execution (see shared-subscriptions.ts). */
  readonly subscriptions: SharedSubscriptions;
  stop(): Promise<void>;
}

export async function mountGraphqlEndpoint(options: {
  /** The app serving every other route: the server's request listener, behind the endpoint's own (graphql-http.ts). */
  readonly app: Express;
  readonly httpServer: http.Server;
  readonly path: string;
  readonly gateway: SchemaGateway;
  readonly services: ApiServices;
  readonly logger: Logger;
  /** Prometheus metrics of the app (operation latency, connections, subscriptions). */
  readonly metrics?: ServiceMetrics;
  /** Abuse limits (src/graphql/limits/); absent: the defaults. */
  readonly limits?: ApiLimits;
}): Promise<GraphqlEndpoint> {
  const log = options.logger.child({ component: 'graphql' });
  const limits = options.limits ?? DEFAULT_API_LIMITS;
  // One rate limiter for both transports: a credential's HTTP and websocket operations share its bucket.
  const rateLimiter = createRateLimiter({ perMinute: limits.rateLimitPerMinute });
  const guards = wsGuards({ access: options.services.access, limits, rateLimiter, schema: () => options.gateway.current() });
  // A websocket message is bounded like an HTTP body (CANONQL_MAX_BODY_BYTES): beyond it, ws closes
  // the socket with 1009 before the message is read (its default, 100 MiB, let a 10 MB subscribe
  // through, which stalled the event loop for seconds).
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: limits.maxBodyBytes });
  const subscriptions = createSharedSubscriptions({ maxQueued: limits.maxSubscriberBacklog });
  // Connection ids, connection and subscription gauges (src/observability/).
  const sockets = observeWebsockets(wsServer, { logger: log, ...(options.metrics ? { metrics: options.metrics } : {}) });
  // graphql-ws; a shareable subscription joins its shared execution without graphql-ws's per-operation state (ws-transport.ts).
  const wsCleanup = serveGraphqlWs({
    wsServer,
    logger: log,
    keepAliveMs: limits.wsKeepAliveMs,
    shared: subscriptions,
    // A reader limited to some subjects gets an execution of its own: a shared one answers with its first subscriber's rights.
    shareable: (ctx) => ctx.extra.principal !== undefined && !isScoped(ctx.extra.principal),
    ...(sockets.counter ? { counter: sockets.counter } : {}),
    schema: () => options.gateway.current(),
    onConnect: guards.onConnect,
    onSubscribe: guards.onSubscribe,
    onError: slowSubscriberOnError(log), // SUBSCRIBER_TOO_SLOW: coded error, then close 4413 (src/subscriptions/slow-subscriber-close.ts)
    context: (ctx) => createContext(options.services, ctx.extra.principal ?? authorizationParam(ctx.connectionParams), sockets.scopeOf(ctx.extra.socket)),
    subscribe: (args) =>
      sockets.track(
        isScoped((args.contextValue as ApiContext).principal)
          ? (executeSubscription(args) as Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>)
          : subscriptions.subscribe(args),
      ),
  });

  const operations = options.metrics ? graphqlMetrics(options.metrics) : null;
  // A query Apollo accepted before is answered without its per-request pipeline when the answer is a success (accepted-queries.ts).
  const accepted = acceptedQueries({
    schema: () => options.gateway.current(),
    limits,
    headers: NO_STORE_HEADERS,
    ...(operations ? { onSuccess: (context, name, seconds) => operations.finished(context, name, 'query', false, seconds) } : {}),
  });
  const apollo = new ApolloServer<ApiContext>({
    gateway: options.gateway,
    formatError: withRefusalCodes(createFormatError(log)),
    includeStacktraceInErrorResponses: false,
    // Introspection is allowed or refused (INTROSPECTION_DISABLED) by limitsPlugin, per CANONQL_INTROSPECTION.
    introspection: true,
    allowBatchedHttpRequests: limits.batching,
    // Bounded by the heap its documents take, large ones never cached (limits/document-store.ts).
    documentStore: createDocumentStore(),
    // A document of more tokens is a syntax error before validation walks it (limits/document-limits.ts).
    parseOptions: PARSE_OPTIONS,
    plugins: [
      // Apollo's own landing page loads from a CDN; canonql serves its explorer itself.
      ApolloServerPluginLandingPageDisabled(),
      // No field has a cache hint, so every answer is `cache-control: no-store`; Apollo's cache
      // control plugin computed that per field of every operation (a hook and a policy object per
      // resolved field, and a wrapper around every resolver of the schema).
      ApolloServerPluginCacheControlDisabled(),
      noStorePlugin,
      limitsPlugin(limits),
      ...(operations ? [operations.plugin] : []),
      accepted.plugin,
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      {
        async serverWillStart() {
          return {
            // Apollo refuses operations from here on; so the accepted-query path hands them all to it.
            async serverWillStop() {
              accepted.stop();
            },
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  // Credential, rate, deadline, body size and batch are settled before Apollo sees the request.
  const httpLimits = httpGuards({ access: options.services.access, limits, rateLimiter });
  options.app.use(
    options.path,
    ...httpLimits.before,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => createContext(options.services, principalOf(res) ?? req.headers.authorization, requestScope(req, log)),
    }),
    httpLimits.errorHandler,
  );
  // A plain JSON POST to the path is answered before express, with the same checks (graphql-http.ts);
  // the app stays the server's listener for everything else.
  const listener = graphqlHttpListener({
    path: options.path,
    apollo,
    checks: httpLimits.checks,
    maxBodyBytes: limits.maxBodyBytes,
    accepted,
    context: async (req, principal) => createContext(options.services, principal, requestScope(req, log)),
    next: options.app,
    logger: log,
  });
  options.httpServer.removeListener('request', options.app);
  options.httpServer.on('request', listener);
  log.info({ path: options.path }, 'GraphQL endpoint mounted (HTTP + graphql-ws)');
  return {
    subscriptions,
    async stop() {
      await apollo.stop();
      wsServer.close();
    },
  };
}

/** Every answer over HTTP is private and fresh: `cache-control: no-store`, as Apollo's cache control plugin sets without hints. */
const noStorePlugin: ApolloServerPlugin<ApiContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};

/** The headers the plugins above add to a successful query's answer (the accepted-query path adds them itself). */
const NO_STORE_HEADERS = [['cache-control', 'no-store']] as const;
