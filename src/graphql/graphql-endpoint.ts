import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { explorerRoutes } from '../http/explorer-routes';
import type { Logger } from '../logger';
import { graphqlMetricsPlugin } from '../observability/graphql-metrics-plugin';
import type { ServiceMetrics } from '../observability/service-metrics';
import { observeWebsockets, requestScope } from '../observability/websocket-observer';
import { createContext, type ApiContext, type ApiServices } from './context';
import { DEMO_QUERY } from './demo-query';
import { createFormatError } from './format-error';
import { createSharedSubscriptions, type SharedSubscriptions } from './shared-subscriptions';
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
  readonly app: Express;
  readonly httpServer: http.Server;
  readonly path: string;
  readonly gateway: SchemaGateway;
  readonly services: ApiServices;
  readonly logger: Logger;
  /** Prometheus metrics of the app (operation latency, connections, subscriptions). */
  readonly metrics?: ServiceMetrics;
}): Promise<GraphqlEndpoint> {
  const log = options.logger.child({ component: 'graphql' });
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path });
  const subscriptions = createSharedSubscriptions();
  // Connection ids, connection and subscription gauges (src/observability/).
  const sockets = observeWebsockets(wsServer, { logger: log, ...(options.metrics ? { metrics: options.metrics } : {}) });
  const wsCleanup = useServer<Record<string, unknown>, { context?: ApiContext }>({
    schema: () => options.gateway.current(),
    context: (ctx) => createContext(options.services, authorizationParam(ctx.connectionParams), sockets.scopeOf(ctx.extra.socket)),
    subscribe: (args) => sockets.track(subscriptions.subscribe(args)),
  }, wsServer);

  const apollo = new ApolloServer<ApiContext>({
    gateway: options.gateway,
    formatError: createFormatError(log),
    includeStacktraceInErrorResponses: false,
    plugins: [
      // Apollo's own landing page loads from a CDN; canonql serves its explorer itself.
      ApolloServerPluginLandingPageDisabled(),
      ...(options.metrics ? [graphqlMetricsPlugin(options.metrics)] : []),
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
  });
  await apollo.start();
  // A browser asking for the endpoint gets the offline GraphiQL explorer; everything else is GraphQL.
  options.app.use(explorerRoutes({ endpointPath: options.path, defaultQuery: DEMO_QUERY, title: 'canonql explorer' }));
  options.app.use(options.path, express.json({ limit: '1mb' }), expressMiddleware(apollo, {
    context: async ({ req }) => createContext(options.services, req.headers.authorization, requestScope(req, log)),
  }));
  log.info({ path: options.path }, 'GraphQL endpoint mounted (HTTP + graphql-ws)');
  return {
    subscriptions,
    async stop() {
      await apollo.stop();
      wsServer.close();
    },
  };
}

/** The credential a graphql-ws client sends in `connection_init` (`{ authorization: 'Bearer …' }`). */
function authorizationParam(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}
